//! `trace?seconds=N`: an execution trace of the whole process over N seconds (1 by default;
//! fractions allowed), sent as the tracer writes it, one generation about every second, as Go's
//! `Trace` streams it; `oxprof trace` reads it. One at a time: a second gets Go's 500
//! `Could not enable tracing: tracing is already enabled`. Needs the `trace` feature; built
//! without it, the endpoint answers 501.

#[cfg(not(feature = "trace"))]
pub(super) use unavailable::serve;

#[cfg(feature = "trace")]
pub(super) use streamed::serve;

#[cfg(not(feature = "trace"))]
mod unavailable {
    use std::sync::Arc;

    use http::{Response, StatusCode};

    use super::super::answer::Answer;
    use super::super::body::Body;
    use super::super::query::Query;
    use super::super::service::Shared;

    /// Without the tracer: 501, saying what would bring it.
    pub(in super::super) async fn serve(_shared: &Arc<Shared>, _query: &Query) -> Response<Body> {
        Answer::error(
            StatusCode::NOT_IMPLEMENTED,
            "Could not enable tracing: this program was built without oxprof's trace feature",
        )
        .into_response()
    }
}

#[cfg(feature = "trace")]
mod streamed {
    use std::io::{self, Write};
    use std::sync::Arc;
    use std::time::Duration;

    use bytes::Bytes;
    use http::Response;
    use tokio::sync::mpsc;

    use super::super::answer::Answer;
    use super::super::body::Body;
    use super::super::query::{within_limit, Query};
    use super::super::service::Shared;

    /// Generations the answer may hold while the client reads (a generation is about a
    /// second of trace, at most 16 MiB). A client further behind makes the tracer's writing
    /// fail: the trace ends there, and the process keeps its memory.
    const BACKLOG: usize = 8;

    /// The trace over the requested span, streamed.
    pub(in super::super) async fn serve(shared: &Arc<Shared>, query: &Query) -> Response<Body> {
        let span = match span(query.value("seconds"), shared.max_seconds) {
            Ok(span) => span,
            Err(answer) => return answer.into_response(),
        };
        let (sender, chunks) = mpsc::channel(BACKLOG);
        let watch = sender.clone();
        let started = shared
            .blocking(move || crate::trace::start(Chunks(sender)))
            .await;
        match started {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Answer::internal(&format!("Could not enable tracing: {e}")).into_response()
            }
            Err(answer) => return answer.into_response(),
        }
        // The trace ends after the span, or as soon as the client goes away, as in Go; the
        // last generation is written by `stop`, after which the body ends.
        tokio::spawn(async move {
            let client_left = watch.closed();
            let _ = tokio::time::timeout(span, client_left).await;
            drop(watch);
            let _ = tokio::task::spawn_blocking(crate::trace::stop).await;
        });
        Answer::attachment("trace", Bytes::new()).with_body(Body::chunks(chunks))
    }

    /// Go's `seconds` for traces: a positive number of seconds, fractions allowed; 1 when
    /// absent or empty.
    fn span(text: &str, max: u64) -> Result<Duration, Answer> {
        if text.is_empty() {
            return Ok(Duration::from_secs(1).min(Duration::from_secs(max)));
        }
        match text.parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds > 0.0 => {
                within_limit(seconds.ceil() as u64, max)?;
                Ok(Duration::from_secs_f64(seconds))
            }
            _ => Err(Answer::bad_request(
                r#"invalid value for "seconds" - must be a positive number"#,
            )),
        }
    }

    /// The tracer's writer: each write a chunk of the answer.
    struct Chunks(mpsc::Sender<Bytes>);

    impl Write for Chunks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .try_send(Bytes::copy_from_slice(buf))
                .map_err(|e| match e {
                    mpsc::error::TrySendError::Full(_) => {
                        io::Error::other("the client is not reading the trace")
                    }
                    mpsc::error::TrySendError::Closed(_) => {
                        io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
                    }
                })?;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn spans_are_positive_numbers_within_the_limit() {
            assert_eq!(span("", 300).unwrap(), Duration::from_secs(1));
            assert_eq!(span("0.25", 300).unwrap(), Duration::from_millis(250));
            assert_eq!(span("300", 300).unwrap(), Duration::from_secs(300));
            for bad in ["0", "-1", "x", "NaN", "inf"] {
                assert_eq!(span(bad, 300).unwrap_err().status(), 400, "{bad}");
            }
            assert_eq!(span("300.5", 300).unwrap_err().status(), 400);
        }
    }
}
