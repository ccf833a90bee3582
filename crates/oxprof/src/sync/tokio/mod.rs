//! tokio's `sync` primitives with their waits profiled: `Mutex`, `RwLock`, `Semaphore`,
//! `Notify` and `mpsc` channels with tokio's API and semantics, so async code has block and
//! mutex profiles too. Change the `use` line. Behind the `tokio` feature.
//!
//! ```
//! use oxprof::sync::tokio::Mutex;   // instead of tokio::sync::Mutex
//! use std::sync::Arc;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! oxprof::block::set_rate(1);
//! let shared = Arc::new(Mutex::new(0));
//! let guard = shared.lock().await;
//! let waiter = tokio::spawn({
//!     let shared = Arc::clone(&shared);
//!     async move { *shared.lock().await += 1 }   // awaits the lock: a recorded wait
//! });
//! tokio::time::sleep(std::time::Duration::from_millis(2)).await;
//! drop(guard);
//! waiter.await.unwrap();
//! assert!(!oxprof::block::profile()?.sample.is_empty());
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! **What a wait is.** The time a task spends awaiting the primitive: from the first poll
//! that finds it unavailable to the poll that gets it, executor delays included (the task was
//! woken but not yet run). A task that tokio's cooperative budget makes yield at the
//! primitive is not waiting for it and records nothing (a hot uncontended lock would otherwise
//! show a wait every 128 acquisitions). A future dropped before it completes (a `select!`
//! branch not taken, a timeout) records nothing.
//!
//! **Which stack.** The wait is recorded by the poll that completes it, at that poll's stack:
//! an `.await` suspends the whole chain of futures in place, so that poll comes down the same
//! chain through the same `.await` as the one that found the primitive taken, and the stack's
//! leaf (oxprof's and tokio's frames cut) is the async function that awaited. Only the
//! executor's frames beneath the task can differ, when another worker thread runs it. Taking
//! the stack at the end means only the waits the block profile keeps pay for one.
//!
//! **Mutex profile.** Releases of `Mutex`, `RwLock` (read or write) and `Semaphore` permits
//! while tasks wait are charged to the releasing stack with the time the waiters waited, as
//! for `std::sync`'s locks; `Notify` and channels have no holder to charge (Go's mutex profile
//! does not see channels either).
//!
//! **Cost.** An uncontended `lock().await` does what tokio's does; the release adds one
//! relaxed load. A task that finds the primitive taken reads one or two relaxed atomics, and
//! with a profile on, the clock.
//!
//! Not wrapped: the `_owned` lock guards of `Mutex` and `RwLock` (`lock_owned` and kin),
//! `Notify::notified_owned`, and the channels' weak senders and `reserve_many`; the
//! semaphore's owned permits are.

mod mutex;
mod notify;
mod rwlock;
mod semaphore;
mod timed;

pub mod mpsc;

pub use mutex::{MappedMutexGuard, Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use tokio::sync::{AcquireError, TryAcquireError, TryLockError};
