//! Exact allocation counters: every allocation and free, not a sample. Each thread counts into a
//! slot of its own with plain stores (no atomic read-modify-write, no shared cache line), so
//! counting costs about as much as the additions; readers sum the slots.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Once;

use super::thread::{self, ThreadState};

/// Threads counted in slots of their own at once; threads beyond that share one atomic slot.
const SLOTS: usize = 1024;
/// A thread's `slot` before its first count: zero, so a thread's state starts all zeroes (see
/// `thread`). Afterwards it holds the address of the thread's own [`Slot`], which counting
/// reaches with plain adds and no index, bounds check or other test. A thread that counts in
/// [`SHARED`] (it found no free slot, or has ended) keeps zero there and its `counts_shared`
/// set, so it takes the out-of-line path each time.
pub(super) const UNASSIGNED: usize = 0;

/// Allocation counts and bytes, as [`stats`](super::stats) reports them.
///
/// ```
/// let s = oxprof::heap::Counts::default();
/// assert_eq!(s.live_bytes(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Allocations (each `alloc`, and the new block of each moving `realloc`).
    pub allocs: u64,
    /// Frees.
    pub frees: u64,
    /// Bytes requested by those allocations.
    pub allocated_bytes: u64,
    /// Bytes released by those frees.
    pub freed_bytes: u64,
}

impl Counts {
    /// Bytes allocated and not yet freed (can be negative per thread: threads free each other's
    /// blocks).
    ///
    /// ```
    /// let c = oxprof::heap::Counts { allocated_bytes: 10, freed_bytes: 4, ..Default::default() };
    /// assert_eq!(c.live_bytes(), 6);
    /// ```
    pub fn live_bytes(&self) -> i64 {
        self.allocated_bytes as i64 - self.freed_bytes as i64
    }

    /// Blocks allocated and not yet freed.
    ///
    /// ```
    /// let c = oxprof::heap::Counts { allocs: 3, frees: 1, ..Default::default() };
    /// assert_eq!(c.live_blocks(), 2);
    /// ```
    pub fn live_blocks(&self) -> i64 {
        self.allocs as i64 - self.frees as i64
    }

    fn minus(&self, earlier: &Counts) -> Counts {
        Counts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            frees: self.frees.wrapping_sub(earlier.frees),
            allocated_bytes: self.allocated_bytes.wrapping_sub(earlier.allocated_bytes),
            freed_bytes: self.freed_bytes.wrapping_sub(earlier.freed_bytes),
        }
    }

    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        self.minus(earlier)
    }
}

/// One thread's counters. Only the owner writes (relaxed load + store: plain moves); anyone may
/// read.
struct Slot {
    taken: AtomicBool,
    allocs: AtomicU64,
    frees: AtomicU64,
    allocated_bytes: AtomicU64,
    freed_bytes: AtomicU64,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            taken: AtomicBool::new(false),
            allocs: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            allocated_bytes: AtomicU64::new(0),
            freed_bytes: AtomicU64::new(0),
        }
    }

    fn read(&self) -> Counts {
        Counts {
            allocs: self.allocs.load(Ordering::Relaxed),
            frees: self.frees.load(Ordering::Relaxed),
            allocated_bytes: self.allocated_bytes.load(Ordering::Relaxed),
            freed_bytes: self.freed_bytes.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        for c in [
            &self.allocs,
            &self.frees,
            &self.allocated_bytes,
            &self.freed_bytes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Aligned so neighbouring threads' counters never share a cache line.
#[repr(align(128))]
struct PaddedSlot(Slot);

static SLOT_TABLE: [PaddedSlot; SLOTS] = [const { PaddedSlot(Slot::new()) }; SLOTS];
/// Counts of threads that have ended, and of threads that found no free slot (atomically).
static SHARED: Slot = Slot::new();

#[inline(always)]
fn add(counter: &AtomicU64, n: u64, shared: bool) {
    if shared {
        counter.fetch_add(n, Ordering::Relaxed);
    } else {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }
}

/// The slot of the thread `state` belongs to, assigned on first use, and whether it is
/// [`SHARED`] (counted atomically).
#[inline(always)]
fn slot_of(state: &ThreadState) -> (&'static Slot, bool) {
    match own_slot(state) {
        Some(slot) => (slot, false),
        None => shared_or_new_slot(state),
    }
}

/// The thread's own slot, if it has one.
#[inline(always)]
fn own_slot(state: &ThreadState) -> Option<&'static Slot> {
    match state.slot.get() {
        UNASSIGNED => None,
        // SAFETY: a thread's `slot` is zero or the address of a `SLOT_TABLE` entry (see
        // `assign_slot`), a static.
        address => Some(unsafe { &*(address as *const Slot) }),
    }
}

/// The slot of a thread without one of its own: [`SHARED`], or a new one.
#[cold]
fn shared_or_new_slot(state: &ThreadState) -> (&'static Slot, bool) {
    if state.counts_shared.get() {
        (&SHARED, true)
    } else {
        assign_slot(state)
    }
}

/// Makes the thread `state` belongs to count in [`SHARED`] from now on.
fn share_slot(state: &ThreadState) {
    state.slot.set(UNASSIGNED);
    state.counts_shared.set(true);
}

#[cold]
fn assign_slot(state: &ThreadState) -> (&'static Slot, bool) {
    for (i, padded) in SLOT_TABLE.iter().enumerate() {
        if padded
            .0
            .taken
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            padded.0.reset();
            state.slot.set(&padded.0 as *const Slot as usize);
            release_at_exit(i);
            return (&padded.0, false);
        }
    }
    share_slot(state);
    (&SHARED, true)
}

/// Registers a `pthread` key destructor that folds the slot into [`SHARED`] and frees it when
/// the thread ends. A pthread key, unlike a `thread_local!` with `Drop`, needs no allocation
/// to register.
fn release_at_exit(index: usize) {
    static KEY: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    static CREATE: Once = Once::new();
    CREATE.call_once(|| {
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: `key` receives a new key; `release_slot` has the destructor signature.
        if unsafe { libc::pthread_key_create(&mut key, Some(release_slot)) } == 0 {
            KEY.store(key + 1, Ordering::Release);
        }
    });
    let key = KEY.load(Ordering::Acquire);
    if key != 0 {
        // SAFETY: `key - 1` is a key created above; the value is a non-null tag (index + 1).
        unsafe { libc::pthread_setspecific(key - 1, (index + 1) as *const libc::c_void) };
    }
}

extern "C" fn release_slot(value: *mut libc::c_void) {
    let index = value as usize - 1;
    let Some(padded) = SLOT_TABLE.get(index) else {
        return;
    };
    let counts = padded.0.read();
    add(&SHARED.allocs, counts.allocs, true);
    add(&SHARED.frees, counts.frees, true);
    add(&SHARED.allocated_bytes, counts.allocated_bytes, true);
    add(&SHARED.freed_bytes, counts.freed_bytes, true);
    padded.0.reset();
    // Anything this thread allocates or frees from now on (other keys' destructors) is counted
    // in the shared slot.
    let _ = thread::with(share_slot);
    padded.0.taken.store(false, Ordering::Release);
}

/// Counts one allocation of `size` bytes on the thread `state` belongs to.
#[inline]
pub(super) fn on_alloc(state: &ThreadState, size: usize) {
    let (slot, shared) = slot_of(state);
    add(&slot.allocs, 1, shared);
    add(&slot.allocated_bytes, size as u64, shared);
}

/// Counts one allocation of `size` bytes, as [`on_alloc`] does, when the thread `state`
/// belongs to has a slot of its own; false, counting nothing, when it has none (assigning one,
/// or counting in [`SHARED`], is [`on_alloc`]'s job, off the allocation's common path).
#[inline(always)]
pub(super) fn on_alloc_if_assigned(state: &ThreadState, size: usize) -> bool {
    let Some(slot) = own_slot(state) else {
        return false;
    };
    add(&slot.allocs, 1, false);
    add(&slot.allocated_bytes, size as u64, false);
    true
}

/// Takes back the count [`on_alloc`] made of an allocation of `size` bytes that failed.
pub(super) fn on_failed_alloc(state: &ThreadState, size: usize) {
    let (slot, shared) = slot_of(state);
    add(&slot.allocs, 1u64.wrapping_neg(), shared);
    add(&slot.allocated_bytes, (size as u64).wrapping_neg(), shared);
}

/// Counts one free of `size` bytes on the thread `state` belongs to.
#[inline]
pub(super) fn on_free(state: &ThreadState, size: usize) {
    let (slot, shared) = slot_of(state);
    add(&slot.frees, 1, shared);
    add(&slot.freed_bytes, size as u64, shared);
}

/// Everything counted in the process since it started.
pub(crate) fn process() -> Counts {
    let mut total = SHARED.read();
    for padded in &SLOT_TABLE {
        if padded.0.taken.load(Ordering::Acquire) {
            let c = padded.0.read();
            total.allocs += c.allocs;
            total.frees += c.frees;
            total.allocated_bytes += c.allocated_bytes;
            total.freed_bytes += c.freed_bytes;
        }
    }
    total
}

/// Everything the calling thread has counted (zero if it shares the overflow slot).
pub(crate) fn this_thread() -> Counts {
    match thread::with(slot_of) {
        Some((slot, false)) => slot.read(),
        _ => Counts::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test counts on a thread of its own, so other tests' counts never mix in.
    fn on_new_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        std::thread::spawn(f).join().unwrap()
    }

    #[test]
    fn a_thread_counts_in_its_own_slot() {
        let counts = on_new_thread(|| {
            thread::with(|state| {
                on_alloc(state, 100);
                assert!(on_alloc_if_assigned(state, 20));
                on_free(state, 100);
                on_failed_alloc(state, 20);
            });
            this_thread()
        });
        assert_eq!(
            counts,
            Counts {
                allocs: 1,
                frees: 1,
                allocated_bytes: 100,
                freed_bytes: 100,
            }
        );
    }

    #[test]
    fn a_thread_without_a_slot_of_its_own_counts_in_the_shared_one() {
        let (before, after, fast) = on_new_thread(|| {
            thread::with(|state| {
                share_slot(state);
                let before = SHARED.read();
                // The fast path declines; the out-of-line one counts atomically.
                let fast = on_alloc_if_assigned(state, 7);
                on_alloc(state, 7);
                on_free(state, 7);
                (before, SHARED.read(), fast)
            })
            .unwrap()
        });
        assert!(!fast);
        // Other threads may fold their counts in meanwhile: at least ours arrived.
        assert!(after.allocs > before.allocs && after.frees > before.frees);
        assert!(after.allocated_bytes >= before.allocated_bytes + 7);
    }

    #[test]
    fn an_ended_threads_counts_stay_in_the_process_total() {
        let before = process();
        on_new_thread(|| {
            thread::with(|state| on_alloc(state, 1 << 20));
        });
        let after = process();
        assert!(after.allocated_bytes >= before.allocated_bytes + (1 << 20));
    }
}
