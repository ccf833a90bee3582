//! `oxprof::sync::parking_lot` (feature `parking_lot`): deliberate contention on a `Mutex`
//! (a holder keeps it ~5 ms while 4 threads wait, 100 times) must show in the block profile as
//! the waits the threads measured themselves (±10%) at the waiting function, and in the mutex
//! profile at the holder's release; an `RwLock`'s readers and a `Condvar`'s waiter likewise.
//! The wrappers keep parking_lot's API and behaviour, and with the profiles off cost what
//! parking_lot's locks cost plus one relaxed load.

mod contention_support;

use std::hint::black_box;
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use contention_support::{
    assert_attributed, assert_costs_about_the_same, best_ns_per_op, by_leaf, contend, is_child,
    leaf_totals, run_child,
};
use oxprof::sync::parking_lot::{
    Condvar, FairMutex, MappedMutexGuard, Mutex, MutexGuard, RwLock, RwLockUpgradableReadGuard,
    RwLockWriteGuard,
};

const WAITERS: usize = 4;
const ROUNDS: usize = 100;
const HOLD: Duration = Duration::from_millis(5);

const WAITING_FN: &str = "sync_parking_lot::contention_wait_for_lock";
const HOLDING_FN: &str = "sync_parking_lot::contention_hold_lock";
const READING_FN: &str = "sync_parking_lot::contention_wait_to_read";
const WRITING_FN: &str = "sync_parking_lot::contention_hold_write";
const CONDVAR_FN: &str = "sync_parking_lot::contention_wait_for_signal";
const GIVING_UP_FN: &str = "sync_parking_lot::contention_give_up";

/// Waits for the lock and returns how long that took.
#[inline(never)]
fn contention_wait_for_lock(m: &Mutex<u64>, salt: u64) -> u64 {
    let start = Instant::now();
    let mut guard = m.lock();
    let waited = start.elapsed().as_nanos() as u64;
    *guard = guard.wrapping_mul(0x9e31).wrapping_add(salt);
    drop(guard);
    black_box(waited)
}

/// Takes the lock, lets the waiters go, and holds it for [`HOLD`].
#[inline(never)]
fn contention_hold_lock(m: &Mutex<u64>, go: &Barrier) -> u64 {
    let mut guard = m.lock();
    go.wait();
    std::thread::sleep(HOLD);
    *guard = guard.wrapping_add(0x5a5a_4321);
    let seen = *guard;
    drop(guard);
    black_box(seen)
}

/// What the waiting threads measured themselves, in ns, and how many waits they made.
struct Truth {
    mutex_waited: u64,
    read_waited: u64,
}

#[inline(never)]
fn contention_wait_to_read(lock: &RwLock<u64>, salt: u64) -> u64 {
    let start = Instant::now();
    let guard = lock.read();
    let waited = start.elapsed().as_nanos() as u64;
    let seen = guard.wrapping_add(salt ^ 0x77);
    drop(guard);
    black_box(seen);
    black_box(waited)
}

#[inline(never)]
fn contention_hold_write(lock: &RwLock<u64>, go: &Barrier) -> u64 {
    let mut guard = lock.write();
    go.wait();
    std::thread::sleep(Duration::from_millis(3));
    *guard = guard.wrapping_add(0x1357_9bdf);
    let seen = *guard;
    drop(guard);
    black_box(seen)
}

/// Runs the contention once per test binary, with both profiles recording everything.
fn truth() -> &'static Truth {
    static TRUTH: OnceLock<Truth> = OnceLock::new();
    TRUTH.get_or_init(|| {
        oxprof::block::set_rate(1);
        oxprof::mutex::set_fraction(1);
        let mutex_waited = contend(
            &Mutex::new(0u64),
            WAITERS,
            ROUNDS,
            contention_hold_lock,
            contention_wait_for_lock,
        );
        let read_waited = contend(
            &RwLock::new(0u64),
            2,
            20,
            contention_hold_write,
            contention_wait_to_read,
        );
        Truth {
            mutex_waited,
            read_waited,
        }
    })
}

#[test]
fn mutex_waits_are_charged_to_the_waiter_and_the_holders_release() {
    let truth = truth();
    let waits = (WAITERS * ROUNDS) as i64;
    assert_attributed(
        truth.mutex_waited,
        waits,
        ROUNDS as i64,
        WAITING_FN,
        HOLDING_FN,
    );
}

#[test]
fn rwlock_readers_waits_are_charged_to_them_and_the_writers_release() {
    let truth = truth();
    assert_attributed(truth.read_waited, 2 * 20, 20, READING_FN, WRITING_FN);
}

#[inline(never)]
fn contention_wait_for_signal(m: &Mutex<bool>, c: &Condvar) -> u64 {
    let start = Instant::now();
    let mut ready = m.lock();
    c.wait_while(&mut ready, |ready| !*ready);
    let waited = start.elapsed().as_nanos() as u64;
    drop(ready);
    black_box(waited)
}

#[test]
fn condvar_waits_are_charged_to_the_waiter() {
    truth();
    let (m, c) = (Mutex::new(false), Condvar::new());
    let waited = std::thread::scope(|s| {
        let waiter = s.spawn(|| contention_wait_for_signal(&m, &c));
        // Long enough for the waiter to be waiting even on a loaded machine.
        std::thread::sleep(Duration::from_millis(100));
        *m.lock() = true;
        c.notify_all();
        waiter.join().unwrap()
    });
    let (count, delay) = leaf_totals(&oxprof::block::profile().unwrap(), CONDVAR_FN);
    assert_eq!(
        count,
        1,
        "{:?}",
        by_leaf(&oxprof::block::profile().unwrap())
    );
    // The wait is from the first check to the wake-up; the measured span also holds the lock.
    let ratio = delay as f64 / waited as f64;
    assert!((0.8..=1.0).contains(&ratio), "{delay} of {waited} ns");
}

#[inline(never)]
fn contention_give_up(m: &Mutex<u8>) -> bool {
    let got = m.try_lock_for(Duration::from_millis(2)).is_some();
    black_box(got)
}

#[test]
fn a_timed_wait_that_gives_up_is_not_recorded() {
    truth();
    let m = Mutex::new(0u8);
    let held = m.lock();
    let got = std::thread::scope(|s| s.spawn(|| contention_give_up(&m)).join().unwrap());
    drop(held);
    assert!(!got);
    let block = oxprof::block::profile().unwrap();
    assert_eq!(leaf_totals(&block, GIVING_UP_FN), (0, 0));
}

#[test]
fn api_matches_parking_lots() {
    let m = Mutex::new(vec![1]);
    {
        let mut guard = m.lock();
        guard.push(2);
        assert!(m.is_locked());
        assert!(m.try_lock().is_none());
        assert!(m.try_lock_for(Duration::from_millis(1)).is_none());
        assert!(std::ptr::eq(MutexGuard::mutex(&guard), &m));
        assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
    }
    let mut last: MappedMutexGuard<'_, i32> = MutexGuard::map(m.lock(), |v| &mut v[1]);
    *last = 20;
    drop(last);
    assert_eq!(*m.lock(), [1, 20]);
    MutexGuard::unlock_fair(m.lock());
    assert_eq!(
        format!("{m:?}"),
        format!("{:?}", parking_lot::Mutex::new(vec![1, 20]))
    );
    assert_eq!(m.into_inner(), [1, 20]);

    let fair = FairMutex::new(1);
    *fair.lock() += 1;
    assert_eq!(
        *fair
            .try_lock_until(Instant::now() + Duration::from_millis(1))
            .unwrap(),
        2
    );

    let lock = RwLock::new(1);
    {
        let (a, b) = (lock.read(), lock.upgradable_read());
        assert_eq!(*a + *b, 2);
        assert!(lock.try_write().is_none() && lock.try_upgradable_read().is_none());
        let b = RwLockUpgradableReadGuard::try_upgrade(b).unwrap_err();
        drop(a);
        *RwLockUpgradableReadGuard::upgrade(b) = 3;
    }
    let writer = lock.try_write_for(Duration::from_millis(1)).unwrap();
    assert!(lock.is_locked_exclusive());
    let reader = RwLockWriteGuard::downgrade(writer);
    assert!(!lock.is_locked_exclusive() && *reader == 3);
    drop(reader);
    assert_eq!(
        format!("{lock:?}"),
        format!("{:?}", parking_lot::RwLock::new(3))
    );

    let (m, c) = (Mutex::new(0), Condvar::new());
    assert!(!c.notify_one());
    assert_eq!(c.notify_all(), 0);
    let mut guard = m.lock();
    assert!(c.wait_for(&mut guard, Duration::from_millis(1)).timed_out());
    assert!(c
        .wait_while_for(&mut guard, |v| *v == 0, Duration::from_millis(1))
        .timed_out());
    assert!(!c
        .wait_while_for(&mut guard, |v| *v == 1, Duration::from_secs(1))
        .timed_out());

    fn send_sync<T: Send + Sync>() {}
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<FairMutex<Vec<u8>>>();
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<Condvar>();
    // As parking_lot's guards: shared across threads, but not sent (unlocked where locked).
    fn sync<T: Sync>() {}
    sync::<MutexGuard<'static, u8>>();
}

#[test]
fn profiles_off_cost_one_relaxed_load_and_record_nothing() {
    run_child("profiles_off_child");
}

/// In a process of its own: the profiles are off, as by default.
#[test]
fn profiles_off_child() {
    if !is_child("profiles_off_child") {
        return;
    }
    assert_eq!((oxprof::block::rate(), oxprof::mutex::fraction()), (0, 0));
    // Contention records nothing.
    contend(
        &Mutex::new(0u64),
        2,
        10,
        contention_hold_lock,
        contention_wait_for_lock,
    );
    assert!(oxprof::block::profile().unwrap().sample.is_empty());
    assert!(oxprof::mutex::profile().unwrap().sample.is_empty());

    // Uncontended, the wrapper adds one relaxed load at release to parking_lot's lock: within
    // a few ns of it (the fastest of several batches, to see past other processes).
    let ours = Mutex::new(0u64);
    let theirs = parking_lot::Mutex::new(0u64);
    assert_costs_about_the_same("parking_lot", || {
        best_ns_per_op(
            15,
            100_000,
            || *black_box(&ours).lock() += 1,
            || *black_box(&theirs).lock() += 1,
        )
    });
}
