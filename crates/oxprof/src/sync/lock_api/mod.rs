//! Instrumented counterparts of the `lock_api` crate's locks, for any raw lock that implements
//! its traits: parking_lot's (see [`sync::parking_lot`](super::parking_lot) for the usual
//! names), `spin`'s, or a program's own. Same API and semantics as `lock_api`'s (no
//! poisoning); a thread that finds the lock taken records its wait in the
//! [block](crate::block) profile, and the release it waited for is charged in the
//! [mutex](crate::mutex) profile.
//!
//! ```
//! use oxprof::sync::lock_api::Mutex;
//!
//! let m: Mutex<parking_lot::RawMutex, Vec<u8>> = Mutex::new(Vec::new());
//! m.lock().push(1);
//! assert_eq!(*m.lock(), [1]);
//! ```
//!
//! Uncontended, a lock costs the raw lock's plus one relaxed load at release, profiles on or
//! off: only a thread that finds the lock taken reads the clock.

mod mutex;
mod rwlock;
mod wait;

pub use mutex::{MappedMutexGuard, Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
