//! The body of the endpoints' responses: a whole answer at once (with its length, so it is sent
//! with `Content-Length`), or chunks as they are made (a trace, sent as it is written).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
#[cfg(feature = "trace")]
use tokio::sync::mpsc;

/// The body of an [`Endpoints`](super::Endpoints) response, an [`http_body::Body`] of
/// [`Bytes`] that never fails.
///
/// ```
/// use http_body::Body as _;
/// let body = oxprof::http::Body::from(bytes::Bytes::from_static(b"num_symbols: 1\n"));
/// assert_eq!(body.size_hint().exact(), Some(15));
/// ```
#[derive(Debug)]
pub struct Body(Inner);

#[derive(Debug)]
enum Inner {
    /// The whole answer, until it is sent.
    Complete(Option<Bytes>),
    /// Chunks from their writer, until it hangs up.
    #[cfg(feature = "trace")]
    Chunks(mpsc::Receiver<Bytes>),
}

#[cfg(feature = "trace")]
impl Body {
    /// A body of the chunks `chunks` receives, ending when their sender is dropped.
    pub(super) fn chunks(chunks: mpsc::Receiver<Bytes>) -> Body {
        Body(Inner::Chunks(chunks))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body(Inner::Complete(Some(bytes)))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.0 {
            Inner::Complete(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            #[cfg(feature = "trace")]
            Inner::Chunks(chunks) => chunks.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.0, Inner::Complete(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Complete(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            #[cfg(feature = "trace")]
            Inner::Chunks(_) => SizeHint::default(),
        }
    }
}
