//! Drop-in replacements for std's synchronization primitives whose waits feed the
//! [block](crate::block) profile and whose contended releases feed the [mutex](crate::mutex)
//! profile. Same API and semantics as `std::sync`, poisoning included: change the `use` line.
//!
//! ```
//! use oxprof::sync::{Condvar, Mutex};
//! use std::sync::Arc;
//!
//! let pair = Arc::new((Mutex::new(false), Condvar::new()));
//! let pair2 = Arc::clone(&pair);
//! std::thread::spawn(move || {
//!     let (lock, cvar) = &*pair2;
//!     *lock.lock().unwrap() = true;
//!     cvar.notify_one();
//! });
//! let (lock, cvar) = &*pair;
//! let _started = cvar.wait_while(lock.lock().unwrap(), |started| !*started).unwrap();
//! ```
//!
//! Uncontended, a lock costs what std's does plus one relaxed load at release (whether the
//! profiles are on or not): only a thread that finds the lock taken reads the clock and, with
//! a profile on, records its wait. [`Tracker`] is the piece that does this, for instrumenting
//! other locks.
//!
//! Behind features, the same for other crates' primitives: `sync::parking_lot` and
//! `sync::lock_api` (feature `parking_lot`), and `sync::tokio` (feature `tokio`: tokio's
//! `sync` primitives, whose waits are the time a task spends awaiting them).

/// What std's guards implement for reaching the locked value, for a guard type whose `inner`
/// field derefs to it: `Deref`, `Debug` and `Display` as the value's, and `DerefMut` when the
/// invocation ends in `mut`. The first brackets hold the guard's type parameters before `T`
/// with their bounds, the second the same parameters bare: `MutexGuard [R: RawMutex] [R] mut`.
macro_rules! guard_views {
    ($guard:ident [$($param:ident: $bound:path)?] [$($arg:ident)?] mut) => {
        crate::sync::guard_views!($guard [$($param: $bound)?] [$($arg)?]);

        impl<$($param: $bound,)? T: ?Sized> std::ops::DerefMut for $guard<'_, $($arg,)? T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
    ($guard:ident [$($param:ident: $bound:path)?] [$($arg:ident)?]) => {
        impl<$($param: $bound,)? T: ?Sized> std::ops::Deref for $guard<'_, $($arg,)? T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }

        impl<$($param: $bound,)? T: ?Sized + std::fmt::Debug> std::fmt::Debug
            for $guard<'_, $($arg,)? T>
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($param: $bound,)? T: ?Sized + std::fmt::Display> std::fmt::Display
            for $guard<'_, $($arg,)? T>
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}
pub(crate) use guard_views;

mod acquire;
mod barrier;
mod condvar;
#[cfg(feature = "parking_lot")]
pub mod lock_api;
pub mod mpsc;
mod mutex;
#[cfg(feature = "parking_lot")]
pub mod parking_lot;
mod rwlock;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use crate::contention::{Tracker, Waiting};
pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
