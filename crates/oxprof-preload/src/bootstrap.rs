//! Memory for the allocations made before the real allocator is known: `dlsym`, which finds
//! it, may itself allocate (its error state), and that allocation comes back to this
//! library's `malloc`. A static arena serves them: bump allocation, never reused, never
//! returned (its frees are ignored). A few hundred bytes are used in practice.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

const SIZE: usize = 64 * 1024;
/// `malloc`'s guarantee on x86-64 and aarch64.
const ALIGN: usize = 16;

#[repr(C, align(4096))]
struct Arena(UnsafeCell<[u8; SIZE]>);

// SAFETY: the bytes are handed out in disjoint ranges (by the atomic `USED`), each to one
// caller, as malloc hands out blocks.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; SIZE]));
static USED: AtomicUsize = AtomicUsize::new(0);

fn base() -> usize {
    ARENA.0.get() as usize
}

/// `size` bytes aligned to `align` (at least 16), zeroed, or null when the arena is spent.
pub(crate) fn allocate(size: usize, align: usize) -> *mut c_void {
    let align = align.max(ALIGN);
    if !align.is_power_of_two() {
        return std::ptr::null_mut();
    }
    let mut used = USED.load(Ordering::Relaxed);
    loop {
        let start = (base() + used).next_multiple_of(align) - base();
        let Some(end) = start.checked_add(size.max(1)).filter(|&end| end <= SIZE) else {
            return std::ptr::null_mut();
        };
        match USED.compare_exchange_weak(used, end, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return (base() + start) as *mut c_void,
            Err(now) => used = now,
        }
    }
}

/// Whether `ptr` points into the arena (such a block must never reach the real allocator).
#[inline]
pub(crate) fn contains(ptr: *mut c_void) -> bool {
    (ptr as usize).wrapping_sub(base()) < SIZE
}

/// The bytes from `ptr` to the end of what the arena handed out: at least the size of the
/// block at `ptr`, for copying it out on `realloc`.
pub(crate) fn bytes_from(ptr: *mut c_void) -> usize {
    (base() + USED.load(Ordering::Acquire)).saturating_sub(ptr as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_disjoint_and_recognised() {
        let a = allocate(10, 1);
        let b = allocate(100, 64);
        assert!(!a.is_null() && !b.is_null());
        assert_eq!(a as usize % ALIGN, 0);
        assert_eq!(b as usize % 64, 0);
        assert!(b as usize >= a as usize + 10);
        assert!(contains(a) && contains(b));
        assert!(bytes_from(b) >= 100);
        let mut outside = 0u8;
        assert!(!contains((&raw mut outside).cast()));
        assert!(!contains(std::ptr::null_mut()));
    }

    #[test]
    fn a_spent_arena_says_so() {
        assert!(allocate(SIZE + 1, 16).is_null());
        assert!(
            allocate(8, 48).is_null(),
            "alignment must be a power of two"
        );
    }
}
