//! The endpoints as an axum `Router`, to nest in an axum service.

use std::io;

use axum::Router;

use super::config::Config;
use super::service::Endpoints;

/// The endpoints as an [`axum::Router`], to [`nest`](axum::Router::nest) at `/debug/pprof` (or
/// anywhere: links and redirects follow the mount point). Default limits, no token: the
/// service it joins decides who reaches it. Needs a tokio runtime with its time driver, as
/// `#[tokio::main]` gives.
///
/// ```no_run
/// use axum::{routing::get, Router};
///
/// # async fn run() -> std::io::Result<()> {
/// let app = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .nest("/debug/pprof", oxprof::http::router());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
pub fn router() -> Router {
    routes(Endpoints::build(&Config::default(), "", false))
}

/// [`router`] with `config`'s token and limits. Fails with [`io::ErrorKind::InvalidInput`] for
/// a zero limit or an empty token.
///
/// ```
/// let pprof = oxprof::http::router_with(oxprof::http::Config {
///     token: Some("s3cret".into()),
///     max_concurrent: 2,
///     ..Default::default()
/// })?;
/// let app: axum::Router = axum::Router::new().nest("/debug/pprof", pprof);
/// # drop(app);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn router_with(config: Config) -> io::Result<Router> {
    config.check()?;
    Ok(routes(Endpoints::build(&config, "", false)))
}

/// Every path to `endpoints`: the mount point itself and everything under it.
fn routes(endpoints: Endpoints) -> Router {
    Router::new()
        .route_service("/", endpoints.clone())
        .route_service("/{*name}", endpoints)
}
