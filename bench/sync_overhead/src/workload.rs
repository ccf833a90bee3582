//! The measured loop: lock, increment, unlock, as fast as the threads can, all threads started
//! together behind a barrier so the wall time is the contended span.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// A mutex over a counter, std's or oxprof's.
pub trait Lock: Sync {
    fn increment(&self);
    fn value(&self) -> u64;
}

impl Lock for std::sync::Mutex<u64> {
    #[inline]
    fn increment(&self) {
        *self.lock().unwrap() += 1;
    }
    fn value(&self) -> u64 {
        *self.lock().unwrap()
    }
}

impl Lock for oxprof::sync::Mutex<u64> {
    #[inline]
    fn increment(&self) {
        *self.lock().unwrap() += 1;
    }
    fn value(&self) -> u64 {
        *self.lock().unwrap()
    }
}

pub struct Measured {
    pub ops: u64,
    pub wall: Duration,
    pub checksum: u64,
}

#[inline(never)]
fn hammer<L: Lock>(lock: &L, ops: usize) {
    for _ in 0..ops {
        black_box(lock).increment();
    }
}

/// `ops` increments in all, split over `threads`.
pub fn run<L: Lock>(lock: &L, threads: usize, ops: usize) -> Measured {
    let per_thread = ops / threads;
    let start = Barrier::new(threads + 1);
    let wall = std::thread::scope(|s| {
        for _ in 0..threads {
            let (lock, start) = (lock, &start);
            s.spawn(move || {
                start.wait();
                hammer(lock, per_thread);
            });
        }
        start.wait();
        let began = Instant::now();
        // The scope ends when every thread is done.
        began
    });
    let wall = wall.elapsed();
    let ops = (per_thread * threads) as u64;
    let checksum = lock.value();
    assert_eq!(checksum, ops, "lost increments");
    Measured {
        ops,
        wall,
        checksum,
    }
}
