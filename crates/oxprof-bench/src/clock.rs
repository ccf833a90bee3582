//! The harness's time source. Benchmarks read the monotonic clock; the schedule tests swap in a
//! clock they move by hand, so b.N sequences can be checked exactly.

use std::time::Instant;

/// Nanoseconds on a monotonic clock with an arbitrary origin.
pub(crate) trait Clock {
    fn now_ns(&self) -> u64;
}

/// `Instant`, measured from the harness's start.
pub(crate) struct Monotonic(Instant);

impl Monotonic {
    pub(crate) fn new() -> Self {
        Monotonic(Instant::now())
    }
}

impl Clock for Monotonic {
    #[inline]
    fn now_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// A clock that moves only when told to: a benchmark body advances it by its pretended cost.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Manual(std::cell::Cell<u64>);

#[cfg(test)]
impl Manual {
    pub(crate) fn advance(&self, ns: u64) {
        self.0.set(self.0.get() + ns);
    }
}

#[cfg(test)]
impl Clock for Manual {
    fn now_ns(&self) -> u64 {
        self.0.get()
    }
}

#[cfg(test)]
impl Clock for std::rc::Rc<Manual> {
    fn now_ns(&self) -> u64 {
        self.0.get()
    }
}
