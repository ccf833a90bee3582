//! The endpoints' own server: a thread of oxprof's running a single-threaded tokio runtime with
//! hyper, so a program needs no async runtime of its own. Its threads are oxprof's (left out of
//! CPU profiles, their allocations uncounted), so serving a profile does not show up in it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

use super::config::Config;
use super::service::Endpoints;
use super::stall::WriteDeadline;

/// How long stopping waits for answers being written before dropping them.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// A running server of the endpoints, from [`serve`](super::serve) or
/// [`serve_with`](super::serve_with).
///
/// Dropping the handle leaves the server running for the rest of the program, as Go's
/// `go http.ListenAndServe(...)` does; [`stop`](Self::stop) stops it.
///
/// ```
/// let server = oxprof::http::serve("127.0.0.1:0")?;
/// println!("go tool pprof http://{}/debug/pprof/heap", server.local_addr());
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    local_addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The address the server listens on (with the port chosen when the address asked for
    /// port 0).
    ///
    /// ```
    /// let server = oxprof::http::serve(":0")?;
    /// assert!(server.local_addr().ip().is_loopback());
    /// assert_ne!(server.local_addr().port(), 0);
    /// # server.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, gives answers being written a second to finish, closes
    /// every connection (a CPU profile being taken for one stops), and returns once the
    /// listening socket is closed.
    ///
    /// ```
    /// let server = oxprof::http::serve("127.0.0.1:0")?;
    /// let addr = server.local_addr();
    /// server.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// Binds `config.addr` now (so a port in use is an error here) and serves on a new thread.
pub(super) fn start(config: Config) -> io::Result<Server> {
    config.check()?;
    let addr = config.socket_addr()?;
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("oxprof::http: cannot listen on {addr}: {e}"),
        )
    })?;
    listener.set_nonblocking(true)?;
    let local_addr = listener.local_addr()?;
    let endpoints = Endpoints::build(&config, "/debug/pprof", local_addr.ip().is_loopback());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        // Profiles are taken on blocking threads, at most max_concurrent at once, plus one for
        // stopping a CPU profile whose request went away.
        .max_blocking_threads(config.max_concurrent + 1)
        .thread_name("oxprof-http-work")
        .on_thread_start(crate::internal_thread::adopt_current)
        .build()?;
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let thread = crate::internal_thread::spawn("oxprof-http", move || {
        runtime.block_on(async {
            let accepting = pin!(accept(listener, endpoints, &config));
            let stopping = pin!(stopped.notified());
            until_first(accepting, stopping).await;
        });
        runtime.shutdown_timeout(STOP_GRACE);
    })?;
    Ok(Server {
        local_addr,
        stop,
        thread: Some(thread),
    })
}

/// Accepts connections for ever, at most `max_connections` open at once.
async fn accept(listener: std::net::TcpListener, endpoints: Endpoints, config: &Config) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(_) => return,
    };
    let open = Arc::new(Semaphore::new(config.max_connections));
    let io_timeout = config.io_timeout;
    loop {
        let Ok(slot) = open.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it was taken: wait a
                // little instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(WriteDeadline::new(stream, io_timeout));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(io_timeout)
                .serve_connection(io, endpoints);
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// Runs `a` until it or `b` finishes.
async fn until_first(
    mut a: std::pin::Pin<&mut impl Future<Output = ()>>,
    mut b: std::pin::Pin<&mut impl Future<Output = ()>>,
) {
    std::future::poll_fn(|cx| {
        if b.as_mut().poll(cx).is_ready() || a.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}
