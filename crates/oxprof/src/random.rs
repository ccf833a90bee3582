//! A small, fast, seedable generator (xorshift64): statistical quality is all randomised timer
//! expiries and sampling budgets need, and it allocates nothing, so the allocator can use it.

/// One xorshift64 step; `x` must not be 0.
pub(crate) fn step(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// A generator with its own state.
#[derive(Debug, Clone)]
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A generator seeded from the clock and the process id.
    pub(crate) fn from_entropy() -> Xorshift {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Xorshift((nanos ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    #[cfg(test)]
    pub(crate) fn seeded(seed: u64) -> Xorshift {
        Xorshift(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = step(self.0);
        self.0
    }
}
