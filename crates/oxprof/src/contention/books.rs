//! How long the waiters of each lock have waited since the lock was last released: the delay
//! the mutex profile charges to the code that releases it, summed over every waiter (Go ≥
//! 1.22: a lock held for 1 s while 5 threads wait costs 5 s), exactly rather than Go's
//! head-and-tail estimate.
//!
//! Per lock, the books keep the number of waiters and the sum of their start times, where a
//! waiter's start moves to the last release it waited through. The delay due at a release is
//! then `waiters × now − sum`, and the sum becomes `waiters × now`. Books exist only while a
//! lock has waiters, in a small table sharded by lock address, so a lock itself needs no more
//! than its waiter count. Times are read under the shard lock, so they are ordered with every
//! change to the books they enter.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::clock::monotonic_nanos;

const SHARDS: usize = 64;

struct Entry {
    lock: usize,
    waiters: u64,
    start_sum: u128,
    last_release: u64,
    /// The trace's sequence number of the last release (0: not traced).
    last_seq: u64,
}

static TABLE: [Mutex<Vec<Entry>>; SHARDS] = [const { Mutex::new(Vec::new()) }; SHARDS];

fn shard(lock: usize) -> MutexGuard<'static, Vec<Entry>> {
    // Locks are at least word-aligned and often cache-line-aligned: mix the bits.
    let i = (lock as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58;
    TABLE[i as usize]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A waiter on `lock` arrives; returns its start time.
pub(crate) fn arrive(lock: usize) -> u64 {
    let mut entries = shard(lock);
    let now = monotonic_nanos();
    match entries.iter_mut().find(|e| e.lock == lock) {
        Some(entry) => {
            entry.waiters += 1;
            entry.start_sum += u128::from(now);
        }
        None => entries.push(Entry {
            lock,
            waiters: 1,
            start_sum: u128::from(now),
            last_release: 0,
            last_seq: 0,
        }),
    }
    now
}

/// The waiter that arrived at `start` leaves (it got the lock, or gave up); returns the trace's
/// sequence number of the last release while it waited (0: none traced), the one that let it
/// in when it got the lock.
pub(crate) fn depart(lock: usize, start: u64) -> u64 {
    let mut entries = shard(lock);
    let Some(i) = entries.iter().position(|e| e.lock == lock) else {
        return 0;
    };
    let entry = &mut entries[i];
    let seq = if entry.last_release >= start {
        entry.last_seq
    } else {
        0
    };
    entry.waiters -= 1;
    if entry.waiters == 0 {
        entries.swap_remove(i);
    } else {
        entry.start_sum -= u128::from(start.max(entry.last_release));
    }
    seq
}

/// `lock` is being released (as the trace's release `seq`, 0 when not traced): the
/// nanoseconds its waiters waited since the last release (or since they arrived), and how
/// many they are.
pub(crate) fn release(lock: usize, seq: u64) -> (u64, u64) {
    let mut entries = shard(lock);
    let Some(entry) = entries.iter_mut().find(|e| e.lock == lock) else {
        return (0, 0);
    };
    let now = monotonic_nanos();
    let due = u128::from(entry.waiters) * u128::from(now);
    let delay = due.saturating_sub(entry.start_sum);
    entry.start_sum = due;
    entry.last_release = now;
    entry.last_seq = seq;
    (u64::try_from(delay).unwrap_or(u64::MAX), entry.waiters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleep_ms(ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    #[test]
    fn releases_charge_each_waiter_once_for_the_time_since_the_last_release() {
        let lock = 0x1000;
        let a = arrive(lock);
        sleep_ms(4);
        let b = arrive(lock);
        sleep_ms(4);
        // a waited ~8 ms, b ~4 ms.
        let (first, waiters) = release(lock, 0);
        assert_eq!(waiters, 2);
        assert!((11_000_000..40_000_000).contains(&first), "{first}");
        depart(lock, a);
        sleep_ms(4);
        // Only b is left, charged for the ~4 ms since the last release.
        let (second, waiters) = release(lock, 0);
        assert_eq!(waiters, 1);
        assert!((3_900_000..20_000_000).contains(&second), "{second}");
        depart(lock, b);
        assert_eq!(release(lock, 0), (0, 0));
    }

    #[test]
    fn books_go_away_with_the_last_waiter() {
        let lock = 0x2000;
        let start = arrive(lock);
        depart(lock, start);
        let again = arrive(lock);
        assert!(release(lock, 0).0 < 10_000_000);
        depart(lock, again);
        assert!(shard(lock).iter().all(|e| e.lock != lock));
    }
}
