//! The block profile, Go's `block`: where threads waited, and for how long. Waits on
//! [`oxprof::sync`](crate::sync)'s primitives are recorded, and so is any blocking point the
//! program marks with [`record`].
//!
//! Off by default, as in Go; [`set_rate`] turns it on with Go's `SetBlockProfileRate`
//! semantics. Profiles have Go's sample types, `contentions/count` and `delay/nanoseconds`.
//!
//! ```
//! oxprof::block::set_rate(1); // every event
//! let m = oxprof::sync::Mutex::new(0);
//! *m.lock().unwrap() += 1;
//! let profile = oxprof::block::profile()?;
//! assert_eq!(profile.sample_type[1].ty, "delay");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};
use std::time::Instant;

use crate::contention::{self, Kind};
use crate::Profile;

/// Sets the block profile's rate in nanoseconds, Go's `runtime.SetBlockProfileRate`: the
/// profiler aims to sample an average of one blocking event per `nanos` spent blocked. Events
/// lasting `nanos` or more are all recorded; shorter ones with probability `duration / nanos`,
/// each then weighted by `nanos / duration` so totals stay unbiased. 1 records every event; 0
/// (the default) turns the profile off. Records made so far stay.
///
/// ```
/// oxprof::block::set_rate(100_000); // about one event per 100 µs blocked
/// assert_eq!(oxprof::block::rate(), 100_000);
/// oxprof::block::set_rate(0);
/// ```
pub fn set_rate(nanos: u64) {
    contention::set_block_rate(nanos);
}

/// The block profile's rate in nanoseconds (0: off).
///
/// ```
/// assert_eq!(oxprof::block::rate(), 0);
/// ```
pub fn rate() -> u64 {
    contention::block_rate()
}

/// Whether the block profile is on: one relaxed atomic load, to decide whether to read the
/// clock before a blocking point.
///
/// ```
/// let since = oxprof::block::enabled().then(std::time::Instant::now);
/// // ... block ...
/// if let Some(since) = since {
///     oxprof::block::record(since);
/// }
/// ```
#[inline]
pub fn enabled() -> bool {
    contention::block_rate() != 0
}

/// Whether waits are recorded (by this profile or the execution trace): whether to read the
/// clock before a blocking point.
#[inline]
pub(crate) fn waits_recorded() -> bool {
    enabled() || crate::trace_hooks::enabled()
}

/// A wait begins: its start, if anything records waits.
#[inline]
pub(crate) fn wait_start() -> Option<Instant> {
    waits_recorded().then(Instant::now)
}

/// The wait that began at `since` (from [`wait_start`]) ended: recorded in this profile and
/// in the trace, as a wait for `reason` on `object`, ended by release `waker` (0: unknown).
pub(crate) fn wait_end(since: Option<Instant>, reason: &'static str, object: usize, waker: u64) {
    if let Some(since) = since {
        record(since);
        crate::trace_hooks::wait_since(since, reason, object, waker);
    }
}

/// Records that the caller was blocked from `since` until now, at the caller's stack, for
/// blocking points of the program's own (waiting on a socket, a foreign lock, a queue).
/// Subject to the rate like every event; does nothing when the profile is off.
///
/// ```
/// use std::time::Instant;
/// oxprof::block::set_rate(1);
/// let since = Instant::now();
/// std::thread::sleep(std::time::Duration::from_millis(1));
/// oxprof::block::record(since);
/// let profile = oxprof::block::profile()?;
/// assert!(profile.sample.iter().any(|s| s.value[1] >= 1_000_000));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn record(since: Instant) {
    if enabled() {
        contention::record_block(since.elapsed().as_nanos().try_into().unwrap_or(u64::MAX));
    }
}

/// The block profile: every recorded wait since the program started, summed by stack, as
/// `contentions/count` and `delay/nanoseconds` (period type `contentions/count`), symbolized,
/// with oxprof's own frames cut off so each wait is charged to the code that waited.
///
/// ```no_run
/// oxprof::block::profile()?.write_to(std::fs::File::create("block.pprof")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn profile() -> io::Result<Profile> {
    Ok(contention::profile(Kind::Block))
}

/// Writes the block profile as Go's `debug=1` text: `--- contention:`,
/// `cycles/second=1000000000` (oxprof's cycles are nanoseconds), then one
/// `<delay> <count> @ <return addresses>` record per stack, most delay first, each followed by
/// its frames as `#` comments. `go tool pprof` and oxprof read it.
///
/// ```
/// let mut text = Vec::new();
/// oxprof::block::write_text(&mut text)?;
/// assert!(text.starts_with(b"--- contention:\ncycles/second=1000000000\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_text(w: impl Write) -> io::Result<()> {
    contention::write_text(Kind::Block, w)
}
