//! `oxprof::sync` behaves as `std::sync` does: the same scenarios (poisoning by a panicking
//! holder, condition variables over a poisoned mutex, barriers, channels closing) run on both
//! and must observe the same things, with the profiles off and with them recording every event.
//! With them on, every primitive's waits are charged to the waiting function, and heavy
//! contention on the profiler's own tables does not deadlock.

use std::sync::{Mutex as StdMutex, MutexGuard as StdMutexGuard, PoisonError};
use std::time::{Duration, Instant};

use oxprof::Profile;

/// The scenarios, written once against `$krate::sync`; each returns what it observed.
macro_rules! scenarios {
    ($module:ident, $krate:ident) => {
        mod $module {
            use std::sync::Arc;
            use std::time::Duration;

            use $krate::sync::{mpsc, Barrier, Condvar, Mutex, RwLock, TryLockError};

            fn quietly<R>(f: impl FnOnce() -> R + Send + 'static) -> std::thread::Result<R>
            where
                R: Send + 'static,
            {
                std::thread::spawn(f).join()
            }

            pub fn mutex_poisoning() -> Vec<String> {
                let m = Arc::new(Mutex::new(1));
                let mut seen = vec![];
                let m2 = Arc::clone(&m);
                let joined = quietly(move || {
                    let mut guard = m2.lock().unwrap();
                    *guard = 2;
                    panic!("holder panics");
                });
                seen.push(format!("join err {}", joined.is_err()));
                seen.push(format!("poisoned {}", m.is_poisoned()));
                match m.lock() {
                    Ok(_) => seen.push("lock ok".into()),
                    Err(e) => seen.push(format!("lock poisoned, value {}", *e.into_inner())),
                }
                match m.try_lock() {
                    Err(TryLockError::Poisoned(e)) => {
                        seen.push(format!("try_lock poisoned {}", *e.get_ref()))
                    }
                    Err(TryLockError::WouldBlock) => seen.push("try_lock would block".into()),
                    Ok(_) => seen.push("try_lock ok".into()),
                }
                {
                    let held = m.lock().unwrap_or_else(|e| e.into_inner());
                    seen.push(format!(
                        "try_lock while held: would block {}",
                        matches!(m.try_lock(), Err(TryLockError::WouldBlock))
                    ));
                    drop(held);
                }
                m.clear_poison();
                seen.push(format!("cleared {}", !m.is_poisoned()));
                *m.lock().unwrap() += 10;
                let m = Arc::try_unwrap(m).unwrap();
                seen.push(format!("into_inner {:?}", m.into_inner()));
                let mut fresh = Mutex::new(5);
                *fresh.get_mut().unwrap() = 6;
                seen.push(format!("debug {:?}", fresh));
                seen
            }

            pub fn rwlock_poisoning() -> Vec<String> {
                let lock = Arc::new(RwLock::new(1));
                let mut seen = vec![];
                let reader = Arc::clone(&lock);
                let joined = quietly(move || {
                    let _r = reader.read().unwrap();
                    panic!("reader panics");
                });
                seen.push(format!(
                    "reader panic: join err {} poisoned {}",
                    joined.is_err(),
                    lock.is_poisoned()
                ));
                {
                    let w = lock.write().unwrap();
                    seen.push(format!(
                        "try_read while written: would block {}",
                        matches!(lock.try_read(), Err(TryLockError::WouldBlock))
                    ));
                    drop(w);
                }
                let writer = Arc::clone(&lock);
                let joined = quietly(move || {
                    let mut w = writer.write().unwrap();
                    *w = 7;
                    panic!("writer panics");
                });
                seen.push(format!(
                    "writer panic: join err {} poisoned {}",
                    joined.is_err(),
                    lock.is_poisoned()
                ));
                seen.push(format!(
                    "read {:?}",
                    lock.read().map(|g| *g).map_err(|e| *e.into_inner())
                ));
                match lock.try_write() {
                    Err(TryLockError::Poisoned(e)) => {
                        seen.push(format!("try_write poisoned {}", *e.into_inner()))
                    }
                    other => seen.push(format!("try_write {}", other.is_ok())),
                }
                lock.clear_poison();
                seen.push(format!("cleared {}", !lock.is_poisoned()));
                let lock = Arc::try_unwrap(lock).unwrap();
                seen.push(format!("into_inner {:?}", lock.into_inner()));
                seen
            }

            /// A waiter gets the lock only after its holder panicked: the wait ends poisoned.
            pub fn waits_that_end_poisoned() -> Vec<String> {
                let m = Arc::new(Mutex::new(1));
                let lock = Arc::new(RwLock::new(1));
                let (m2, lock2) = (Arc::clone(&m), Arc::clone(&lock));
                let (held_tx, held_rx) = std::sync::mpsc::channel();
                let holder = std::thread::spawn(move || {
                    let _g = m2.lock().unwrap();
                    let _w = lock2.write().unwrap();
                    held_tx.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(3));
                    panic!("holder panics while others wait");
                });
                held_rx.recv().unwrap();
                let mutex_wait = m.lock().map(|g| *g).map_err(|e| *e.into_inner());
                let read_wait = lock.read().map(|g| *g).map_err(|e| *e.into_inner());
                vec![
                    format!("join err {}", holder.join().is_err()),
                    format!("mutex {mutex_wait:?} rwlock {read_wait:?}"),
                ]
            }

            pub fn condvar_over_a_poisoned_mutex() -> Vec<String> {
                let pair = Arc::new((Mutex::new(0), Condvar::new()));
                let mut seen = vec![];
                let (m, cv) = &*pair;
                let guard = m.lock().unwrap();
                let other = Arc::clone(&pair);
                // Takes the lock only once the wait below gave it up, then poisons it.
                let poisoner = std::thread::spawn(move || {
                    let (m, cv) = &*other;
                    let mut g = m.lock().unwrap();
                    *g = 3;
                    cv.notify_all();
                    panic!("poisoner panics");
                });
                let result = cv.wait_timeout_while(guard, Duration::from_secs(10), |v| *v == 0);
                match result {
                    Ok((g, t)) => seen.push(format!("ok {} timed out {}", *g, t.timed_out())),
                    Err(e) => {
                        let (g, t) = e.into_inner();
                        seen.push(format!("poisoned {} timed out {}", *g, t.timed_out()));
                    }
                }
                seen.push(format!("join err {}", poisoner.join().is_err()));
                let g = m.lock().unwrap_or_else(|e| e.into_inner());
                let (g, t) = cv
                    .wait_timeout(g, Duration::from_millis(1))
                    .unwrap_or_else(|e| e.into_inner());
                seen.push(format!("timed wait {} timed out {}", *g, t.timed_out()));
                seen
            }

            pub fn condvar_wakes_waiters() -> Vec<String> {
                let pair = Arc::new((Mutex::new(false), Condvar::new()));
                let waiters: Vec<_> = (0..3)
                    .map(|_| {
                        let pair = Arc::clone(&pair);
                        std::thread::spawn(move || {
                            let (m, cv) = &*pair;
                            let mut g = m.lock().unwrap();
                            while !*g {
                                g = cv.wait(g).unwrap();
                            }
                            *g
                        })
                    })
                    .collect();
                std::thread::sleep(Duration::from_millis(2));
                *pair.0.lock().unwrap() = true;
                pair.1.notify_all();
                let woken = waiters.into_iter().map(|w| w.join().unwrap());
                let woken = woken.filter(|&b| b).count();
                vec![format!("woken {woken}")]
            }

            pub fn barrier_has_one_leader() -> Vec<String> {
                let barrier = Arc::new(Barrier::new(4));
                let leaders = (0..4)
                    .map(|_| {
                        let b = Arc::clone(&barrier);
                        std::thread::spawn(move || b.wait().is_leader())
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .filter(|&l| l)
                    .count();
                vec![format!("leaders {leaders}")]
            }

            pub fn channels_close_like_std() -> Vec<String> {
                let mut seen = vec![];
                let (tx, rx) = mpsc::channel::<i32>();
                seen.push(format!("empty {:?}", rx.try_recv()));
                let tx2 = tx.clone();
                std::thread::spawn(move || tx2.send(1).unwrap());
                seen.push(format!("recv {:?}", rx.recv()));
                seen.push(format!(
                    "timeout {:?}",
                    rx.recv_timeout(Duration::from_millis(1))
                ));
                tx.send(2).unwrap();
                drop(tx);
                seen.push(format!("drained {:?}", rx.iter().collect::<Vec<_>>()));
                seen.push(format!("closed {:?}", rx.recv()));
                seen.push(format!("closed try {:?}", rx.try_recv()));
                seen.push(format!(
                    "closed timeout {:?}",
                    rx.recv_timeout(Duration::from_millis(1))
                ));

                let (tx, rx) = mpsc::sync_channel::<i32>(1);
                tx.send(1).unwrap();
                seen.push(format!("full {:?}", tx.try_send(2)));
                let sender = std::thread::spawn(move || {
                    let sent = tx.send(2);
                    (sent, tx)
                });
                std::thread::sleep(Duration::from_millis(2));
                seen.push(format!("got {:?} {:?}", rx.recv(), rx.recv()));
                let (sent, tx) = sender.join().unwrap();
                seen.push(format!("sent {sent:?}"));
                drop(rx);
                seen.push(format!("send to closed {:?}", tx.send(3)));
                seen.push(format!("try_send to closed {:?}", tx.try_send(4)));

                let (tx, rx) = mpsc::sync_channel::<i32>(0);
                std::thread::spawn(move || tx.send(9).unwrap());
                seen.push(format!(
                    "rendezvous {:?}",
                    rx.into_iter().collect::<Vec<_>>()
                ));
                seen
            }

            pub fn all() -> Vec<(&'static str, Vec<String>)> {
                vec![
                    ("mutex_poisoning", mutex_poisoning()),
                    ("rwlock_poisoning", rwlock_poisoning()),
                    ("waits_that_end_poisoned", waits_that_end_poisoned()),
                    (
                        "condvar_over_a_poisoned_mutex",
                        condvar_over_a_poisoned_mutex(),
                    ),
                    ("condvar_wakes_waiters", condvar_wakes_waiters()),
                    ("barrier_has_one_leader", barrier_has_one_leader()),
                    ("channels_close_like_std", channels_close_like_std()),
                ]
            }
        }
    };
}

scenarios!(on_std, std);
scenarios!(on_oxprof, oxprof);

/// The profiles are process-wide: tests that switch them take turns.
fn serial() -> StdMutexGuard<'static, ()> {
    static SERIAL: StdMutex<()> = StdMutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn set_profiles(on: bool) {
    oxprof::block::set_rate(u64::from(on));
    oxprof::mutex::set_fraction(u64::from(on));
}

#[test]
fn every_scenario_observes_what_std_observes_with_the_profiles_off_and_on() {
    let _serial = serial();
    for on in [false, true] {
        set_profiles(on);
        let std = on_std::all();
        let ours = on_oxprof::all();
        for ((name, expected), (_, got)) in std.iter().zip(&ours) {
            assert_eq!(
                got,
                expected,
                "{name} with the profiles {}",
                if on { "on" } else { "off" }
            );
        }
    }
    set_profiles(false);
}

/// The waits of every primitive, each at a function of its own.
mod waits {
    use std::hint::black_box;
    use std::sync::Arc;
    use std::time::Duration;

    use oxprof::sync::{mpsc, Barrier, Condvar, Mutex, RwLock};

    pub const PAUSE: Duration = Duration::from_millis(3);

    #[inline(never)]
    pub fn wait_on_condvar() -> u32 {
        let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
        let other = Arc::clone(&pair);
        let t = std::thread::spawn(move || {
            std::thread::sleep(PAUSE);
            *other.0.lock().unwrap() = 0x31;
            other.1.notify_one();
        });
        let (m, cv) = &*pair;
        let v = *cv.wait_while(m.lock().unwrap(), |v| *v == 0).unwrap();
        t.join().unwrap();
        black_box(v + 1)
    }

    #[inline(never)]
    pub fn wait_on_receive() -> u32 {
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || {
            std::thread::sleep(PAUSE);
            tx.send(0x32u32).unwrap();
        });
        let v = rx.recv().unwrap();
        t.join().unwrap();
        black_box(v + 2)
    }

    #[inline(never)]
    pub fn wait_on_full_send() -> u32 {
        let (tx, rx) = mpsc::sync_channel(0);
        let t = std::thread::spawn(move || {
            std::thread::sleep(PAUSE);
            rx.recv().unwrap()
        });
        tx.send(0x33u32).unwrap();
        black_box(t.join().unwrap() + 3)
    }

    #[inline(never)]
    pub fn wait_on_barrier() -> u32 {
        let barrier = Arc::new(Barrier::new(2));
        let other = Arc::clone(&barrier);
        let t = std::thread::spawn(move || {
            std::thread::sleep(PAUSE);
            other.wait();
        });
        let leader = barrier.wait().is_leader();
        t.join().unwrap();
        black_box(u32::from(leader) + 4)
    }

    /// The reader's side of [`wait_on_read`], on a thread of its own.
    #[inline(never)]
    fn wait_to_read(lock: &RwLock<u32>) -> u32 {
        let v = *lock.read().unwrap();
        black_box(v ^ 0x80) ^ 0x80
    }

    #[inline(never)]
    pub fn wait_on_read() -> u32 {
        let lock = Arc::new(RwLock::new(0x35u32));
        let writer = lock.write().unwrap();
        let other = Arc::clone(&lock);
        let (reading_tx, reading) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            reading_tx.send(()).unwrap();
            wait_to_read(&other)
        });
        // The pause starts once the reader is about to wait.
        reading.recv().unwrap();
        std::thread::sleep(PAUSE);
        drop(writer);
        black_box(t.join().unwrap() + 5)
    }
}

/// The delay summed over the samples whose leaf function's name ends with `suffix`.
fn delay_at(profile: &Profile, suffix: &str) -> i64 {
    let ids: Vec<u64> = profile
        .function
        .iter()
        .filter(|f| f.name.ends_with(suffix))
        .map(|f| f.id)
        .collect();
    profile
        .sample
        .iter()
        .filter(|s| {
            let leaf = s
                .location_id
                .first()
                .and_then(|id| profile.location.iter().find(|l| l.id == *id));
            leaf.and_then(|l| l.line.first())
                .is_some_and(|line| ids.contains(&line.function_id))
        })
        .map(|s| s.value[1])
        .sum()
}

#[test]
fn every_primitives_waits_are_charged_to_the_waiting_function() {
    let _serial = serial();
    set_profiles(true);
    // The read-lock wait happens on the reader's thread, in `wait_to_read`.
    let ran = [
        waits::wait_on_condvar(),
        waits::wait_on_receive(),
        waits::wait_on_full_send(),
        waits::wait_on_barrier(),
        waits::wait_on_read(),
    ];
    set_profiles(false);
    assert_eq!(ran, [0x32, 0x34, 0x36, 4, 0x3a]);
    let profile = oxprof::block::profile().unwrap();
    let pause = waits::PAUSE.as_nanos() as i64;
    for (function, floor) in [
        ("waits::wait_on_condvar", pause),
        ("waits::wait_on_receive", pause),
        ("waits::wait_on_full_send", pause),
        ("waits::wait_on_barrier", pause),
        ("waits::wait_to_read", pause / 2),
    ] {
        let delay = delay_at(&profile, function);
        assert!(
            delay >= floor * 9 / 10,
            "{function}: {delay} ns of blocking recorded, at least {floor} expected"
        );
    }
}

#[inline(never)]
fn hammer(locks: &[oxprof::sync::Mutex<u64>], rounds: usize, salt: u64) -> u64 {
    let mut sum = 0;
    for i in 0..rounds {
        let mut g = locks[i % locks.len()].lock().unwrap();
        *g = g.wrapping_add(salt ^ i as u64);
        sum ^= *g;
    }
    std::hint::black_box(sum)
}

#[test]
fn heavy_contention_with_every_event_recorded_finishes() {
    let _serial = serial();
    set_profiles(true);
    let locks: Vec<_> = (0..3).map(|_| oxprof::sync::Mutex::new(0u64)).collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for salt in 0..4 {
            let locks = &locks;
            s.spawn(move || hammer(locks, 3_000, salt));
        }
    });
    set_profiles(false);
    // Every recorded event took the tables' std locks, from four threads at once.
    assert!(start.elapsed() < Duration::from_secs(60));
    let total: u64 = locks.iter().map(|m| *m.lock().unwrap()).sum();
    assert_ne!(total, 0);
}
