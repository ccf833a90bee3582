//! The measured loop: lock, increment, unlock, as fast as the threads can, all threads started
//! together behind a barrier so the wall time is the contended span.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// A mutex over a counter: std's, parking_lot's or tokio's, or oxprof's wrapper of one.
pub trait Lock: Sync {
    fn increment(&self);
    fn value(&self) -> u64;
    /// `ops` increments, as fast as the thread can.
    #[inline(never)]
    fn hammer(&self, ops: usize) {
        for _ in 0..ops {
            black_box(self).increment();
        }
    }
}

/// The blocking locks: `lock()` returns the guard (std's wrapped in a `Result`).
macro_rules! blocking_lock {
    ($($ty:ty => $lock:ident $(. $unwrap:ident())?),* $(,)?) => {$(
        impl Lock for $ty {
            #[inline]
            fn increment(&self) {
                *self.$lock()$(.$unwrap())? += 1;
            }
            fn value(&self) -> u64 {
                *self.$lock()$(.$unwrap())?
            }
        }
    )*};
}

blocking_lock!(
    std::sync::Mutex<u64> => lock.unwrap(),
    oxprof::sync::Mutex<u64> => lock.unwrap(),
    parking_lot::Mutex<u64> => lock,
    oxprof::sync::parking_lot::Mutex<u64> => lock,
);

/// The async locks, awaited by each thread on a current-thread runtime of its own (one
/// `block_on` for all its increments), so threads contend as tasks on different workers would.
macro_rules! async_lock {
    ($($ty:ty),* $(,)?) => {$(
        impl Lock for $ty {
            fn increment(&self) {
                *self.blocking_lock() += 1;
            }
            fn value(&self) -> u64 {
                *self.blocking_lock()
            }
            #[inline(never)]
            fn hammer(&self, ops: usize) {
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                rt.block_on(async {
                    for _ in 0..ops {
                        *black_box(self).lock().await += 1;
                    }
                });
            }
        }
    )*};
}

async_lock!(tokio::sync::Mutex<u64>, oxprof::sync::tokio::Mutex<u64>);

pub struct Measured {
    pub ops: u64,
    pub wall: Duration,
    pub checksum: u64,
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
                lock.hammer(per_thread);
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
