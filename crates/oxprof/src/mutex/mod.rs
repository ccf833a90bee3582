//! The mutex profile, Go's `mutex`: which critical sections made others wait. Each contended
//! release of an [`oxprof::sync`](crate::sync) lock is charged, at the stack that released it
//! (the end of the critical section), with the time every waiter waited since the previous
//! release: a lock held for 1 s while 5 threads wait costs 5 s, as in Go ≥ 1.22.
//!
//! Off by default, as in Go; [`set_fraction`] turns it on with Go's
//! `SetMutexProfileFraction` semantics. Profiles have Go's sample types, `contentions/count`
//! and `delay/nanoseconds`.
//!
//! ```
//! oxprof::mutex::set_fraction(1); // every contended release
//! let profile = oxprof::mutex::profile()?;
//! assert_eq!(profile.sample_type[0].ty, "contentions");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use crate::contention::{self, Kind};
use crate::Profile;

/// Samples one contended release in `n` and returns the previous fraction, Go's
/// `runtime.SetMutexProfileFraction`: 1 records every one, 0 (the default) turns the profile
/// off. Kept events are recorded pre-scaled (count `n`, delay `n ×` the delay), so a fraction
/// changed while the program runs leaves earlier records right.
///
/// ```
/// let previous = oxprof::mutex::set_fraction(5);
/// assert_eq!(oxprof::mutex::fraction(), 5);
/// oxprof::mutex::set_fraction(previous);
/// ```
pub fn set_fraction(n: u64) -> u64 {
    contention::set_mutex_fraction(n)
}

/// The mutex profile's sampling fraction (0: off).
///
/// ```
/// assert_eq!(oxprof::mutex::fraction(), 0);
/// ```
pub fn fraction() -> u64 {
    contention::mutex_fraction()
}

/// The mutex profile: every recorded contended release since the program started, summed by
/// the releasing stack, as `contentions/count` and `delay/nanoseconds`, symbolized, with
/// oxprof's own frames cut off so each release is charged to the code that released.
///
/// ```no_run
/// oxprof::mutex::profile()?.write_to(std::fs::File::create("mutex.pprof")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn profile() -> io::Result<Profile> {
    Ok(contention::profile(Kind::Mutex))
}

/// Writes the mutex profile as Go's `debug=1` text: `--- mutex:`, `cycles/second=1000000000`
/// (nanoseconds), `sampling period=<fraction>`, then `<delay> <count> @ <return addresses>`
/// records with their frames. Values are printed divided by the sampling period, which readers
/// (`go tool pprof`, oxprof) multiply back; Go ≥ 1.20 prints them already scaled, so its own
/// text reads back `fraction` times too large. With a fraction changed while the program ran,
/// older records come back scaled by the current one.
///
/// ```
/// let mut text = Vec::new();
/// oxprof::mutex::write_text(&mut text)?;
/// assert!(text.starts_with(b"--- mutex:\ncycles/second=1000000000\nsampling period="));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_text(w: impl Write) -> io::Result<()> {
    contention::write_text(Kind::Mutex, w)
}
