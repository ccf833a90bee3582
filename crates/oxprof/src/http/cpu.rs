//! `profile?seconds=N`: a CPU profile of the whole process over N seconds (30 by default), one
//! at a time, as `net/http/pprof`'s `Profile` serves it. Waiting holds no worker; a client that
//! goes away ends the profile early and frees the profiler.

use std::time::Duration;

use super::answer::Answer;
use super::query::Query;
use super::service::Shared;
use crate::cpu::Profiler;

/// Go's default duration.
const DEFAULT_SECONDS: u64 = 30;

/// The CPU profile over the requested span.
pub(super) async fn serve(shared: &Shared, query: &Query) -> Answer {
    let seconds = match query.cpu_seconds(DEFAULT_SECONDS, shared.max_seconds) {
        Ok(seconds) => seconds,
        Err(answer) => return answer,
    };
    let running = match shared.blocking(|| Profiler::builder().start()).await {
        Ok(Ok(profiler)) => Running(Some(profiler)),
        Ok(Err(e)) => return Answer::internal(&format!("Could not enable CPU profiling: {e}")),
        Err(answer) => return answer,
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let profiler = running.take();
    let written = shared
        .blocking(move || {
            let profile = profiler.stop().map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            profile.write_to(&mut out).map_err(|e| e.to_string())?;
            Ok::<_, String>(out)
        })
        .await;
    match written {
        Ok(Ok(out)) => Answer::attachment("profile", out),
        Ok(Err(e)) => Answer::internal(&format!("Could not write the CPU profile: {e}")),
        Err(answer) => answer,
    }
}

/// A running profile owned by a request. If the request is dropped before the profile is
/// taken (the client left, the server stopped), the profiler is stopped on a blocking thread:
/// stopping joins the sampler thread, which must not hold up the async ones.
struct Running(Option<Profiler>);

impl Running {
    fn take(mut self) -> Profiler {
        self.0.take().expect("a running profile is taken once")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(profiler) = self.0.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || drop(profiler))),
                Err(_) => drop(profiler),
            }
        }
    }
}
