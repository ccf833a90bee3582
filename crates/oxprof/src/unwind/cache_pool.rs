//! Preallocated framehop caches that signal handlers claim with an atomic flag.
//!
//! A cache is about 33 KB (a 509-entry rule cache and gimli's fixed-size CFI evaluation state)
//! and needs exclusive access while unwinding. CPU-time signals only reach running threads, so a
//! few caches per CPU serve any number of threads; a handler that finds none free records just
//! the interrupted address instead of waiting.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use framehop::MustNotAllocateDuringUnwind;

/// framehop's cache for this architecture, in its allocation-free mode.
pub(super) type Cache = framehop::CacheNative<MustNotAllocateDuringUnwind>;

/// A fixed set of caches.
pub(super) struct CachePool {
    slots: Box<[Slot]>,
}

struct Slot {
    busy: AtomicBool,
    cache: UnsafeCell<Cache>,
}

// SAFETY: `cache` is only reached through a `ClaimedCache`, and `busy` admits one claimer at a
// time; the cache itself is plain owned data that may move between threads.
unsafe impl Sync for Slot {}

impl CachePool {
    /// Allocates `size` caches up front.
    pub(super) fn new(size: usize) -> CachePool {
        let slots = (0..size)
            .map(|_| Slot {
                busy: AtomicBool::new(false),
                cache: UnsafeCell::new(Cache::new_in()),
            })
            .collect();
        CachePool { slots }
    }

    /// The size for this machine: two caches per CPU, so that an unwind interrupted by another
    /// sample on the same CPU still finds one, and at least eight.
    pub(super) fn default_size() -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (2 * cpus).max(8)
    }

    /// A free cache, or `None` when every cache is in use. Starts looking at `hint` (any number)
    /// so that concurrent claimers spread over the pool. Async-signal-safe.
    pub(super) fn claim(&self, hint: usize) -> Option<ClaimedCache<'_>> {
        let n = self.slots.len();
        (0..n)
            .map(|i| &self.slots[(hint.wrapping_add(i)) % n])
            .find(|slot| {
                slot.busy
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            })
            .map(|slot| ClaimedCache { slot })
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Exclusive use of one cache until dropped.
pub(super) struct ClaimedCache<'a> {
    slot: &'a Slot,
}

impl Deref for ClaimedCache<'_> {
    type Target = Cache;

    fn deref(&self) -> &Cache {
        // SAFETY: this claim set `busy`, so no other reference to the cache exists.
        unsafe { &*self.slot.cache.get() }
    }
}

impl DerefMut for ClaimedCache<'_> {
    fn deref_mut(&mut self) -> &mut Cache {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through this claim.
        unsafe { &mut *self.slot.cache.get() }
    }
}

impl Drop for ClaimedCache<'_> {
    fn drop(&mut self) {
        self.slot.busy.store(false, Ordering::Release);
    }
}

/// The process-wide pool, created on first use and never freed, so handlers can hold on to it
/// without any protocol.
static GLOBAL: AtomicPtr<CachePool> = AtomicPtr::new(std::ptr::null_mut());

/// The process-wide pool if it exists. Async-signal-safe.
pub(super) fn global() -> Option<&'static CachePool> {
    // SAFETY: a non-null pointer came from `Box::leak` in `install_global` and is never freed.
    unsafe { GLOBAL.load(Ordering::Acquire).as_ref() }
}

/// The process-wide pool, created if it does not exist yet.
pub(super) fn install_global() -> &'static CachePool {
    if let Some(pool) = global() {
        return pool;
    }
    let pool: *mut CachePool = Box::leak(Box::new(CachePool::new(CachePool::default_size())));
    match GLOBAL.compare_exchange(
        std::ptr::null_mut(),
        pool,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        // SAFETY: just leaked, never freed.
        Ok(_) => unsafe { &*pool },
        Err(existing) => {
            // SAFETY: `pool` lost the race and was never shared; `existing` is leaked for good.
            unsafe {
                drop(Box::from_raw(pool));
                &*existing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cache_has_one_claimer_at_a_time() {
        let pool = CachePool::new(3);
        let claims: Vec<_> = (0..3).map(|hint| pool.claim(hint).unwrap()).collect();
        assert!(pool.claim(0).is_none());
        drop(claims);
        let a = pool.claim(5).unwrap();
        let b = pool.claim(5).unwrap();
        let c = pool.claim(5).unwrap();
        assert!(pool.claim(7).is_none());
        drop(b);
        assert!(pool.claim(0).is_some());
        drop((a, c));
    }

    #[test]
    fn default_size_is_at_least_eight() {
        assert!(CachePool::default_size() >= 8);
        assert!(
            CachePool::default_size() >= 2 * std::thread::available_parallelism().unwrap().get()
        );
    }

    #[test]
    fn global_pool_is_created_once() {
        let first = install_global() as *const CachePool;
        assert_eq!(install_global() as *const CachePool, first);
        assert_eq!(global().map(|p| p as *const CachePool), Some(first));
        assert_eq!(global().unwrap().len(), CachePool::default_size());
    }
}
