//! `oxprof::sync::tokio` (feature `tokio`): deliberate contention on a tokio `Mutex` (a
//! holder task keeps it ~5 ms while 4 tasks await it, 100 times, on a 2-worker runtime) must
//! show in the block profile as the waits the tasks measured themselves (±10%) at the
//! awaiting async function, and in the mutex profile at the holder's release; a `Semaphore`,
//! `Notify` and channels likewise at the code that awaited them. The wrappers keep tokio's
//! API and behaviour; a cancelled wait records nothing; with the profiles off an uncontended
//! lock costs what tokio's does plus one relaxed load.

mod contention_support;

use std::future::Future;
use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use contention_support::{
    assert_attributed, assert_costs_about_the_same, best_ns_per_op, by_leaf, is_child, leaf_totals,
    run_child,
};
use oxprof::sync::tokio::{mpsc, Mutex, MutexGuard, Notify, RwLock, Semaphore};
use tokio::sync::Barrier;

const WAITERS: usize = 4;
const ROUNDS: usize = 100;
const HOLD: Duration = Duration::from_millis(5);

const WAITING_FN: &str = "sync_tokio::contention_wait_for_lock::{{closure}}";
const HOLDING_FN: &str = "sync_tokio::contention_hold_lock::{{closure}}";
const PERMIT_FN: &str = "sync_tokio::contention_wait_for_permit::{{closure}}";
const RETURNING_FN: &str = "sync_tokio::contention_hold_permit::{{closure}}";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Awaits the lock and returns how long that took.
#[inline(never)]
async fn contention_wait_for_lock(m: Arc<Mutex<u64>>, salt: u64) -> u64 {
    let start = Instant::now();
    let mut guard = m.lock().await;
    let waited = start.elapsed().as_nanos() as u64;
    *guard = guard.wrapping_mul(0x9e3b).wrapping_add(salt);
    drop(guard);
    black_box(waited)
}

/// Takes the lock, lets the waiters go, and holds it for [`HOLD`].
#[inline(never)]
async fn contention_hold_lock(m: Arc<Mutex<u64>>, go: Arc<Barrier>) -> u64 {
    let mut guard = m.lock().await;
    go.wait().await;
    tokio::time::sleep(HOLD).await;
    *guard = guard.wrapping_add(0x5a5a_8765);
    let seen = *guard;
    drop(guard);
    black_box(seen)
}

#[inline(never)]
async fn contention_wait_for_permit(sem: Arc<Semaphore>, _salt: u64) -> u64 {
    let start = Instant::now();
    let permit = sem.acquire().await.unwrap();
    let waited = start.elapsed().as_nanos() as u64;
    black_box(permit.num_permits());
    drop(permit);
    black_box(waited)
}

#[inline(never)]
async fn contention_hold_permit(sem: Arc<Semaphore>, go: Arc<Barrier>) -> u64 {
    let permit = sem.acquire().await.unwrap();
    go.wait().await;
    tokio::time::sleep(Duration::from_millis(3)).await;
    let n = black_box(permit.num_permits() as u64 + 0x2468);
    drop(permit);
    black_box(n)
}

/// What the waiting tasks measured themselves, in ns.
struct Truth {
    mutex_waited: u64,
    permit_waited: u64,
}

/// `rounds` times on `rt`: `hold` takes the primitive and lets `waiters` tasks go at it
/// with `wait`, which returns how long it waited; the sum of those.
fn contend<L, H, HF, W, WF>(
    rt: &tokio::runtime::Runtime,
    lock: Arc<L>,
    waiters: usize,
    rounds: usize,
    hold: H,
    wait: W,
) -> u64
where
    L: Send + Sync + 'static,
    H: Fn(Arc<L>, Arc<Barrier>) -> HF,
    HF: Future<Output = u64>,
    W: Fn(Arc<L>, u64) -> WF + Copy + Send + 'static,
    WF: Future<Output = u64> + Send,
{
    rt.block_on(async {
        let go = Arc::new(Barrier::new(waiters + 1));
        let done = Arc::new(Barrier::new(waiters + 1));
        let tasks: Vec<_> = (0..waiters as u64)
            .map(|salt| {
                let (lock, go, done) = (Arc::clone(&lock), Arc::clone(&go), Arc::clone(&done));
                tokio::spawn(async move {
                    let mut total = 0;
                    for _ in 0..rounds {
                        go.wait().await;
                        total += wait(Arc::clone(&lock), salt).await;
                        done.wait().await;
                    }
                    total
                })
            })
            .collect();
        for _ in 0..rounds {
            black_box(hold(Arc::clone(&lock), Arc::clone(&go)).await);
            done.wait().await;
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    })
}

/// Runs the contention once per test binary, with both profiles recording everything.
fn truth() -> &'static Truth {
    static TRUTH: OnceLock<Truth> = OnceLock::new();
    TRUTH.get_or_init(|| {
        oxprof::block::set_rate(1);
        oxprof::mutex::set_fraction(1);
        let rt = runtime();
        let mutex_waited = contend(
            &rt,
            Arc::new(Mutex::new(0u64)),
            WAITERS,
            ROUNDS,
            contention_hold_lock,
            contention_wait_for_lock,
        );
        let permit_waited = contend(
            &rt,
            Arc::new(Semaphore::new(1)),
            2,
            20,
            contention_hold_permit,
            contention_wait_for_permit,
        );
        Truth {
            mutex_waited,
            permit_waited,
        }
    })
}

#[test]
fn mutex_waits_are_charged_to_the_awaiting_function_and_the_holders_release() {
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
fn semaphore_waits_are_charged_to_the_awaiting_function_and_the_permits_release() {
    let truth = truth();
    assert_attributed(truth.permit_waited, 2 * 20, 20, PERMIT_FN, RETURNING_FN);
}

#[inline(never)]
async fn contention_wait_for_notify(notify: &Notify) -> u64 {
    let start = Instant::now();
    notify.notified().await;
    black_box(start.elapsed().as_nanos() as u64)
}

#[inline(never)]
async fn contention_wait_for_message(rx: &mut mpsc::Receiver<u32>) -> u64 {
    let start = Instant::now();
    let got = rx.recv().await;
    black_box(got);
    black_box(start.elapsed().as_nanos() as u64)
}

#[inline(never)]
async fn contention_wait_for_room(tx: &mpsc::Sender<u32>) -> u64 {
    let start = Instant::now();
    tx.send(0x0bad_cafe).await.unwrap();
    black_box(start.elapsed().as_nanos() as u64)
}

/// Asserts one block event at `function`, for `waited` ns measured (the event is a little
/// shorter: it starts at the first poll).
fn assert_one_wait_at(function: &str, waited: u64) {
    let block = oxprof::block::profile().unwrap();
    let (count, delay) = leaf_totals(&block, function);
    assert_eq!(count, 1, "{function}: {:?}", by_leaf(&block));
    let ratio = delay as f64 / waited as f64;
    assert!(
        (0.9..=1.0).contains(&ratio),
        "{function}: {delay} of {waited} ns"
    );
}

#[test]
fn notify_and_channel_waits_are_charged_to_the_awaiting_function() {
    truth();
    let rt = runtime();
    // Long enough for each spawned task to be waiting even on a loaded machine.
    let pause = Duration::from_millis(100);
    let (notify_waited, recv_waited, send_waited) = rt.block_on(async {
        let notify = Arc::new(Notify::new());
        let waiter = tokio::spawn({
            let notify = Arc::clone(&notify);
            async move { contention_wait_for_notify(&notify).await }
        });
        tokio::time::sleep(pause).await;
        notify.notify_one();
        let notify_waited = waiter.await.unwrap();

        let (tx, mut rx) = mpsc::channel(1);
        let receiver = tokio::spawn(async move {
            let waited = contention_wait_for_message(&mut rx).await;
            (waited, rx)
        });
        tokio::time::sleep(pause).await;
        tx.send(1).await.unwrap();
        let (recv_waited, mut rx) = receiver.await.unwrap();

        tx.send(2).await.unwrap(); // full now
        let sender = tokio::spawn(async move { contention_wait_for_room(&tx).await });
        tokio::time::sleep(pause).await;
        assert_eq!(rx.recv().await, Some(2));
        let send_waited = sender.await.unwrap();
        (notify_waited, recv_waited, send_waited)
    });
    assert_one_wait_at(
        "sync_tokio::contention_wait_for_notify::{{closure}}",
        notify_waited,
    );
    assert_one_wait_at(
        "sync_tokio::contention_wait_for_message::{{closure}}",
        recv_waited,
    );
    assert_one_wait_at(
        "sync_tokio::contention_wait_for_room::{{closure}}",
        send_waited,
    );
}

#[inline(never)]
async fn contention_give_up(m: &Mutex<u8>) -> bool {
    let got = tokio::time::timeout(Duration::from_millis(2), m.lock())
        .await
        .is_ok();
    black_box(got)
}

#[test]
fn a_cancelled_wait_is_not_recorded_and_leaves_the_books() {
    truth();
    let rt = runtime();
    let m = Mutex::new(0u8);
    let got = rt.block_on(async {
        let held = m.lock().await;
        let got = contention_give_up(&m).await;
        drop(held);
        got
    });
    assert!(!got);
    let block = oxprof::block::profile().unwrap();
    assert_eq!(
        leaf_totals(&block, "sync_tokio::contention_give_up::{{closure}}"),
        (0, 0)
    );
    // The lock still works, and its release found no waiter left behind.
    assert_eq!(*m.blocking_lock(), 0);
}

#[inline(never)]
async fn contention_never_waits(m: &Mutex<u64>) -> u64 {
    // Past tokio's cooperative budget (128 a poll of the task): the locks that find it spent
    // yield to the scheduler without waiting for the lock.
    for _ in 0..1000 {
        *m.lock().await += 0x11;
    }
    black_box(*m.lock().await)
}

#[test]
fn yields_forced_by_tokios_budget_are_not_waits() {
    truth();
    let rt = runtime();
    let m = Mutex::new(0u64);
    let yielded = rt.block_on(async {
        // The task's polls, counted by a future around the loop: more than one, as tokio made
        // the loop yield.
        let mut polls = 0;
        let mut work = std::pin::pin!(contention_never_waits(&m));
        std::future::poll_fn(|cx| {
            polls += 1;
            work.as_mut().poll(cx)
        })
        .await;
        polls > 1
    });
    assert!(yielded, "tokio's budget never made the loop yield");
    let block = oxprof::block::profile().unwrap();
    assert_eq!(
        leaf_totals(&block, "sync_tokio::contention_never_waits::{{closure}}"),
        (0, 0)
    );
}

#[test]
fn api_matches_tokios() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let m = Mutex::new(vec![1]);
        {
            let guard = m.lock().await;
            assert!(m.try_lock().is_err());
            let theirs = tokio::sync::Mutex::new(vec![1]);
            let held = theirs.lock().await;
            assert_eq!(format!("{m:?}"), format!("{theirs:?}"));
            drop(held);
            drop(guard);
        }
        let mut second = MutexGuard::map(m.lock().await, |v| {
            v.push(2);
            &mut v[1]
        });
        *second = 20;
        drop(second);
        assert_eq!(
            format!("{m:?}"),
            format!("{:?}", tokio::sync::Mutex::new(vec![1, 20]))
        );

        let lock = RwLock::with_max_readers(1, 2);
        {
            let (a, b) = (lock.read().await, lock.read().await);
            assert!(lock.try_read().is_err() && lock.try_write().is_err());
            assert_eq!(*a + *b, 2);
        }
        let mut writer = lock.write().await;
        *writer = 3;
        let reader = writer.downgrade();
        assert_eq!((*reader, *lock.read().await), (3, 3));
        drop(reader);
        assert_eq!(
            format!("{lock:?}"),
            format!("{:?}", tokio::sync::RwLock::new(3))
        );

        let sem = Arc::new(Semaphore::new(2));
        let mut permit = sem.acquire().await.unwrap();
        permit.merge(sem.try_acquire().unwrap());
        assert_eq!((permit.num_permits(), sem.available_permits()), (2, 0));
        drop(permit);
        let owned = Arc::clone(&sem).acquire_many_owned(2).await.unwrap();
        assert!(Arc::clone(&sem).try_acquire_owned().is_err());
        drop(owned);
        assert_eq!(sem.available_permits(), 2);
        sem.close();
        assert!(sem.acquire().await.is_err());
        assert!(Arc::clone(&sem).acquire_owned().await.is_err());

        let notify = Notify::new();
        notify.notify_one();
        notify.notified().await;
        let mut notified = std::pin::pin!(notify.notified());
        assert!(!notified.as_mut().enable());
        notify.notify_waiters();
        notified.await;

        let (tx, mut rx) = mpsc::channel(2);
        tx.send(1).await.unwrap();
        tx.reserve().await.unwrap().send(2);
        assert_eq!((tx.capacity(), tx.max_capacity(), rx.len()), (0, 2, 2));
        let mut got = Vec::new();
        assert_eq!(rx.recv_many(&mut got, 5).await, 2);
        drop(tx);
        assert_eq!(rx.recv().await, None);
        assert!(rx.is_closed());

        let (utx, mut urx) = mpsc::unbounded_channel();
        utx.send("a").unwrap();
        assert_eq!(urx.recv().await, Some("a"));
        urx.close();
        assert!(utx.send("b").is_err());
    });

    fn send_sync<T: Send + Sync>() {}
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<Semaphore>();
    send_sync::<Notify>();
    send_sync::<MutexGuard<'static, u8>>();
    // The futures can be awaited in spawned tasks.
    fn send<T: Send>(_: &T) {}
    let m = Mutex::new(0u8);
    send(&m.lock());
    let lock = RwLock::new(0u8);
    send(&lock.read());
    send(&lock.write());
    let sem = Semaphore::new(1);
    send(&sem.acquire());
    let notify = Notify::new();
    send(&notify.notified());
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    send(&tx.send(1));
    send(&rx.recv());
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
    let rt = runtime();
    contend(
        &rt,
        Arc::new(Mutex::new(0u64)),
        2,
        10,
        contention_hold_lock,
        contention_wait_for_lock,
    );
    assert!(oxprof::block::profile().unwrap().sample.is_empty());
    assert!(oxprof::mutex::profile().unwrap().sample.is_empty());

    // Uncontended, the wrapper adds one relaxed load at release to tokio's lock.
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ours = Mutex::new(0u64);
    let theirs = tokio::sync::Mutex::new(0u64);
    // 1000 locks per block_on, so the runtime's entry and exit weigh little.
    assert_costs_about_the_same("tokio", || {
        let (ours_ns, theirs_ns) = best_ns_per_op(
            15,
            100,
            || {
                current.block_on(async {
                    for _ in 0..1000 {
                        *black_box(&ours).lock().await += 1;
                    }
                })
            },
            || {
                current.block_on(async {
                    for _ in 0..1000 {
                        *black_box(&theirs).lock().await += 1;
                    }
                })
            },
        );
        (ours_ns / 1000.0, theirs_ns / 1000.0)
    });
}
