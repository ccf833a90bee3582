//! [`FlightRecorder`]: the last seconds of trace kept in memory as whole generations, written
//! out on demand, as Go 1.25's `trace.FlightRecorder`.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::collector;

/// Whole generations, oldest first, trimmed to the recorder's limits.
#[derive(Debug)]
pub(super) struct Ring {
    min_age: Duration,
    max_bytes: usize,
    /// `(start, end, bytes)` per generation, times on the monotonic clock.
    generations: VecDeque<(u64, u64, Vec<u8>)>,
    bytes: usize,
}

impl Ring {
    fn new(min_age: Duration, max_bytes: usize) -> Self {
        Ring {
            min_age,
            max_bytes,
            generations: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Adds a finished generation and drops the oldest ones the limits no longer need: a
    /// generation goes once the newer ones cover `min_age`, or once the ring is over
    /// `max_bytes` (which wins); the newest always stays.
    pub(super) fn push(&mut self, start: u64, end: u64, bytes: Vec<u8>) {
        self.bytes += bytes.len();
        self.generations.push_back((start, end, bytes));
        let min_age = self.min_age.as_nanos() as u64;
        while self.generations.len() > 1 {
            let covered = end.saturating_sub(self.generations[1].0);
            if self.bytes > self.max_bytes || covered >= min_age {
                let (_, _, dropped) = self.generations.pop_front().expect("len > 1");
                self.bytes -= dropped.len();
            } else {
                break;
            }
        }
    }

    fn write_to(&self, w: &mut dyn Write) -> io::Result<u64> {
        w.write_all(oxprof_trace::wire::MAGIC)?;
        let mut n = oxprof_trace::wire::MAGIC.len() as u64;
        for (_, _, bytes) in &self.generations {
            w.write_all(bytes)?;
            n += bytes.len() as u64;
        }
        Ok(n)
    }
}

/// Keeps the most recent trace in memory and writes it on demand: turn it on at start-up,
/// and when something interesting happens (a slow request, an error), call
/// [`write_to`](FlightRecorder::write_to) to get the seconds that led up to it. Go 1.25's
/// `trace.FlightRecorder`.
///
/// It keeps whole generations (about a second each): at least `min_age` of the most recent
/// trace, unless that is more than `max_bytes`, which wins. Go's defaults are 10 s and
/// 10 MiB. One flight recorder can be on at a time; it runs alongside [`start`](super::start).
///
/// ```
/// use std::time::Duration;
/// let recorder = oxprof::trace::FlightRecorder::new(Duration::from_secs(10), 10 << 20);
/// recorder.start()?;
/// oxprof::trace::with_region("handle request", || { /* ... */ });
/// let mut snapshot = Vec::new();
/// recorder.write_to(&mut snapshot)?;
/// recorder.stop();
/// let trace = oxprof_trace::parse(&snapshot).expect("a valid trace");
/// assert!(!trace.events.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FlightRecorder {
    ring: Arc<Mutex<Ring>>,
}

impl FlightRecorder {
    /// A recorder, not yet started, keeping at least `min_age` of trace within `max_bytes`.
    ///
    /// ```
    /// let r = oxprof::trace::FlightRecorder::new(std::time::Duration::from_secs(5), 4 << 20);
    /// assert!(!r.enabled());
    /// ```
    pub fn new(min_age: Duration, max_bytes: usize) -> FlightRecorder {
        FlightRecorder {
            ring: Arc::new(Mutex::new(Ring::new(min_age, max_bytes))),
        }
    }

    /// Starts recording. Fails with `cannot enable a enabled flight recorder` (Go's words) when
    /// this or another flight recorder is on.
    ///
    /// ```
    /// let r = oxprof::trace::FlightRecorder::new(std::time::Duration::from_secs(1), 1 << 20);
    /// r.start()?;
    /// assert!(r.start().is_err());
    /// r.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(&self) -> io::Result<()> {
        collector::attach_flight(Arc::clone(&self.ring))
    }

    /// Stops recording and forgets what was kept. Does nothing when not started.
    ///
    /// ```
    /// let r = oxprof::trace::FlightRecorder::new(std::time::Duration::from_secs(1), 1 << 20);
    /// r.stop();
    /// ```
    pub fn stop(&self) {
        collector::detach_flight(&self.ring);
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.generations.clear();
        ring.bytes = 0;
    }

    /// Whether this recorder is on.
    ///
    /// ```
    /// let r = oxprof::trace::FlightRecorder::new(std::time::Duration::from_secs(1), 1 << 20);
    /// assert!(!r.enabled());
    /// ```
    pub fn enabled(&self) -> bool {
        collector::flight_attached(&self.ring)
    }

    /// Ends the current generation and writes everything kept as one trace; returns the bytes
    /// written. Fails with `cannot snapshot a disabled flight recorder` when not started.
    ///
    /// ```no_run
    /// # let recorder = oxprof::trace::FlightRecorder::new(std::time::Duration::from_secs(10), 10 << 20);
    /// recorder.write_to(std::fs::File::create("slow-request.trace")?)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_to(&self, mut w: impl Write) -> io::Result<u64> {
        if !self.enabled() {
            return Err(io::Error::other(
                "cannot snapshot a disabled flight recorder",
            ));
        }
        collector::advance_now();
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.write_to(&mut w)
    }
}

impl Drop for FlightRecorder {
    fn drop(&mut self) {
        collector::detach_flight(&self.ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn the_ring_keeps_min_age_within_max_bytes() {
        let mut ring = Ring::new(Duration::from_secs(3), 1000);
        for i in 0..10u64 {
            ring.push(i * SEC, (i + 1) * SEC, vec![0; 10]);
        }
        // Generations 7..=9 cover 3 s.
        assert_eq!(ring.generations.len(), 3);
        assert_eq!(ring.generations[0].0, 7 * SEC);
        assert_eq!(ring.bytes, 30);

        let mut small = Ring::new(Duration::from_secs(100), 25);
        for i in 0..10u64 {
            small.push(i * SEC, (i + 1) * SEC, vec![0; 10]);
        }
        assert_eq!(small.generations.len(), 2, "max_bytes wins over min_age");

        let mut one = Ring::new(Duration::ZERO, 1);
        one.push(0, SEC, vec![0; 100]);
        assert_eq!(
            one.generations.len(),
            1,
            "the newest generation always stays"
        );
    }
}
