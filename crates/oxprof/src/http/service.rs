//! The endpoints as a `tower` and `hyper` `Service`, and what every request shares: the access
//! checks, the limits, and the bounded pool that takes profiles off the async threads.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tokio::sync::Semaphore;

use super::access::Access;
use super::answer::Answer;
use super::batch::Batches;
use super::body::Body;
use super::config::Config;
use super::routes;

/// The `/debug/pprof` endpoints as a [`tower` `Service`](tower_service::Service) and a
/// [`hyper` `Service`](hyper::service::Service), for servers other than
/// [`serve`](super::serve)'s own: hand it every request under `/debug/pprof/` (others get 404).
/// It runs on the server's tokio runtime, which needs its time driver (`enable_all`); taking a
/// profile runs on tokio's blocking threads, at most `max_concurrent` at once.
///
/// ```no_run
/// use hyper_util::rt::TokioIo;
///
/// # async fn run() -> std::io::Result<()> {
/// let endpoints = oxprof::http::Endpoints::default();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:6060").await?;
/// loop {
///     let (stream, _) = listener.accept().await?;
///     let endpoints = endpoints.clone();
///     tokio::spawn(async move {
///         let connection = hyper::server::conn::http1::Builder::new()
///             .serve_connection(TokioIo::new(stream), endpoints);
///         let _ = connection.await;
///     });
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Endpoints {
    shared: Arc<Shared>,
}

/// What every request of one set of endpoints shares.
pub(super) struct Shared {
    /// The path the endpoints are served under: `/debug/pprof`, or empty where a router has
    /// stripped it already.
    pub(super) prefix: &'static str,
    pub(super) access: Access,
    pub(super) max_seconds: u64,
    /// One permit per request allowed to take a profile at the same time.
    work: Arc<Semaphore>,
    /// Named profiles being written, by name as requested and debug level.
    pub(super) outputs: Batches<(String, u8), Answer>,
}

impl Default for Endpoints {
    /// The endpoints with [`Config::default`]'s limits, no token, and no host check.
    fn default() -> Self {
        Endpoints::build(&Config::default(), "/debug/pprof", false)
    }
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("prefix", &self.shared.prefix)
            .field("max_seconds", &self.shared.max_seconds)
            .finish_non_exhaustive()
    }
}

impl Endpoints {
    /// The endpoints with `config`'s token and limits (its `addr`, `max_connections` and
    /// `io_timeout` belong to a server and are not used here). Fails with
    /// [`io::ErrorKind::InvalidInput`] for a zero limit or an empty token.
    ///
    /// ```
    /// let endpoints = oxprof::http::Endpoints::new(oxprof::http::Config {
    ///     token: Some("s3cret".into()),
    ///     ..Default::default()
    /// })?;
    /// # drop(endpoints);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(config: Config) -> io::Result<Endpoints> {
        config.check()?;
        Ok(Endpoints::build(&config, "/debug/pprof", false))
    }

    /// Endpoints under `prefix`, checking Host headers when `loopback_hosts_only`.
    pub(super) fn build(config: &Config, prefix: &'static str, loopback_hosts_only: bool) -> Self {
        Endpoints {
            shared: Arc::new(Shared {
                prefix,
                access: Access::new(config.token.clone(), loopback_hosts_only),
                max_seconds: config.max_seconds,
                work: Arc::new(Semaphore::new(config.max_concurrent)),
                outputs: Batches::new(),
            }),
        }
    }

    fn respond<B>(&self, request: Request<B>) -> ResponseFuture
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let shared = self.shared.clone();
        ResponseFuture(Box::pin(async move {
            Ok(routes::answer(&shared, request).await)
        }))
    }
}

impl Shared {
    /// Runs `f` on a blocking thread once one of the `max_concurrent` permits is free. The
    /// permit goes with `f`, so work whose request was abandoned still counts until it ends.
    /// A panic in `f` becomes a 500.
    pub(super) async fn blocking<T, F>(&self, f: F) -> Result<T, Answer>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .work
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Answer::internal("the server is stopping"))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| Answer::internal(&format!("internal error: {e}")))
    }
}

/// What an [`Endpoints`] response future yields. It never fails: errors are answers.
type Outcome = Result<Response<Body>, Infallible>;

/// The future of an [`Endpoints`] response.
pub struct ResponseFuture(Pin<Box<dyn Future<Output = Outcome> + Send>>);

impl Future for ResponseFuture {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl<B> tower_service::Service<Request<B>> for Endpoints
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Always ready: requests beyond max_concurrent wait inside their own futures, so a
        // slow profile never stops the service from taking requests that need none (404s,
        // cmdline, errors).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        self.respond(request)
    }
}

impl<B> hyper::service::Service<Request<B>> for Endpoints
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<B>) -> ResponseFuture {
        self.respond(request)
    }
}
