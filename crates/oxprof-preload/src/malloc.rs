//! The C allocator's entry points, as this library exports them: each calls the next
//! definition ([`next`](crate::next)) and tells the heap profiler
//! ([`oxprof::heap::hooks`]) what was allocated or freed, when a heap profile is being
//! taken. Before the next definition is known, blocks come from the bootstrap arena.
//!
//! A free does not say how big the block was (asking `malloc_usable_size` on every free costs
//! more than the rest), and nothing here reads exact counts, so they are off: a free costs the
//! check of whether its block was sampled; the profile's in-use figures come from the sampled
//! blocks, whose sizes are known.

use std::ffi::{c_int, c_void};
use std::sync::atomic::Ordering;

use oxprof::heap::hooks;

use crate::{bootstrap, next, HEAP};

#[inline]
fn recording() -> bool {
    HEAP.load(Ordering::Relaxed)
}

/// Runs `allocate`, the next allocator's call for `size` bytes, with the heap profiler told.
/// The profiler decides first, so an allocation it does not sample (nearly all) is the next
/// allocator's call alone, a tail call.
#[inline(always)]
fn allocate(size: usize, allocate: impl FnOnce() -> *mut c_void) -> *mut c_void {
    if recording() {
        let decision = hooks::allocating(size);
        if decision.needs_block() {
            return allocate_recorded(decision, allocate);
        }
    }
    allocate()
}

/// The allocation the profiler needs to see the block of: a sampled one.
#[cold]
#[inline(never)]
fn allocate_recorded(
    decision: hooks::Allocation,
    allocate: impl FnOnce() -> *mut c_void,
) -> *mut c_void {
    let ptr = allocate();
    decision.done(ptr.cast());
    ptr
}

/// `malloc(3)`.
///
/// # Safety
/// As `malloc(3)`.
#[no_mangle]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    match next::found::malloc() {
        // SAFETY: forwarded to the next malloc with the caller's argument.
        Some(next) => allocate(size, || unsafe { next(size) }),
        None => malloc_before_lookup(size),
    }
}

/// `malloc` before the next allocator is known: looks it up, or serves the block from the
/// bootstrap arena while the lookup runs. Out of line, so that `malloc`'s common path makes
/// no call but its tail call. It is `extern "C"` and not `#[cold]`: a call to a Rust-ABI or
/// cold function is not made a tail call, so `malloc` would need a stack frame. The same goes
/// for `free`'s helpers below.
#[inline(never)]
extern "C" fn malloc_before_lookup(size: usize) -> *mut c_void {
    match next::malloc() {
        // SAFETY: as in `malloc`.
        Some(next) => allocate(size, || unsafe { next(size) }),
        None => bootstrap::allocate(size, 16),
    }
}

/// `calloc(3)`.
///
/// # Safety
/// As `calloc(3)`.
#[no_mangle]
pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    match next::calloc() {
        // SAFETY: forwarded to the next calloc with the caller's arguments (it checks the
        // product for overflow).
        Some(next) => allocate(count.saturating_mul(size), || unsafe { next(count, size) }),
        // The arena is zeroed and never reused.
        None => match count.checked_mul(size) {
            Some(bytes) => bootstrap::allocate(bytes, 16),
            None => std::ptr::null_mut(),
        },
    }
}

/// `free(3)`.
///
/// # Safety
/// As `free(3)`.
#[no_mangle]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    if bootstrap::contains(ptr) {
        return;
    }
    let Some(next) = next::found::free() else {
        return free_before_lookup(ptr);
    };
    if recording() && hooks::needs_freeing(ptr.cast()) {
        // SAFETY: as below.
        return unsafe { free_recorded(ptr, next) };
    }
    // SAFETY: `ptr` came from the next allocator (arena blocks were filtered out above), or
    // is null.
    unsafe { next(ptr) }
}

/// `free` before the next `free` is known: looks it up and frees through `free`'s common
/// path. While another thread's lookup is still running, the block is kept (leaked) rather
/// than handed to an allocator that may not own it. Out of line, so that `free`'s common path
/// makes no call but its tail call.
#[inline(never)]
extern "C" fn free_before_lookup(ptr: *mut c_void) {
    if next::free().is_some() {
        // SAFETY: as the caller's `free`; the next `free` is now known.
        unsafe { free(ptr) }
    }
}

/// The free of a block that may have been sampled: out of line, so that `free`'s common path
/// is a tail call of the next `free` and nothing more.
///
/// # Safety
/// As `free(3)`, with `next` the next allocator's.
#[inline(never)]
unsafe extern "C" fn free_recorded(ptr: *mut c_void, next: unsafe extern "C" fn(*mut c_void)) {
    hooks::freeing(ptr.cast(), 0);
    // SAFETY: as `free`.
    unsafe { next(ptr) }
}

/// `realloc(3)`, with glibc's meaning of a zero size: the block is freed and null returned.
///
/// # Safety
/// As `realloc(3)`.
#[no_mangle]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    if ptr.is_null() {
        // SAFETY: realloc of null is malloc.
        return unsafe { malloc(size) };
    }
    if bootstrap::contains(ptr) {
        // SAFETY: a fresh block of `size` bytes; the arena block is at least as long as what
        // is copied (it runs to the end of what the arena handed out), and they do not overlap.
        unsafe {
            let new = malloc(size);
            if !new.is_null() {
                let len = size.min(bootstrap::bytes_from(ptr));
                std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), new.cast::<u8>(), len);
            }
            return new;
        }
    }
    let Some(next) = next::realloc() else {
        return std::ptr::null_mut();
    };
    if !recording() {
        // SAFETY: forwarded with the caller's arguments.
        return unsafe { next(ptr, size) };
    }
    if size == 0 {
        hooks::freeing(ptr.cast(), 0);
        // SAFETY: as above; the block is freed.
        return unsafe { next(ptr, 0) };
    }
    hooks::reallocating(ptr.cast(), 0, size, || {
        // SAFETY: as above.
        unsafe { next(ptr, size) }.cast()
    })
    .cast()
}

/// `reallocarray(3)`: `realloc` of `count × size` bytes, failing with `ENOMEM` on overflow.
///
/// # Safety
/// As `reallocarray(3)`.
#[no_mangle]
pub unsafe extern "C" fn reallocarray(ptr: *mut c_void, count: usize, size: usize) -> *mut c_void {
    match count.checked_mul(size) {
        // SAFETY: as realloc.
        Some(bytes) => unsafe { realloc(ptr, bytes) },
        None => {
            // SAFETY: errno is this thread's.
            unsafe { *libc::__errno_location() = libc::ENOMEM };
            std::ptr::null_mut()
        }
    }
}

/// `posix_memalign(3)`.
///
/// # Safety
/// As `posix_memalign(3)`.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int {
    let Some(next) = next::posix_memalign() else {
        let block = bootstrap::allocate(size, align);
        if block.is_null() {
            return libc::ENOMEM;
        }
        // SAFETY: the caller passes a valid place for the result.
        unsafe { *out = block };
        return 0;
    };
    let mut result = 0;
    allocate(size, || {
        // SAFETY: forwarded with the caller's arguments; on success the next posix_memalign
        // stored the block at `out`.
        unsafe {
            result = next(out, align, size);
            if result == 0 {
                *out
            } else {
                std::ptr::null_mut()
            }
        }
    });
    result
}

/// The aligned allocators that return their block: `aligned_alloc`, `memalign`, `valloc` and
/// `pvalloc` (the last two page-aligned).
macro_rules! aligned {
    ($(#[$doc:meta] $name:ident($($arg:ident),*) align $align:expr, size $size:expr;)*) => {$(
        #[$doc]
        ///
        /// # Safety
        /// As its C counterpart.
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: usize),*) -> *mut c_void {
            match next::$name() {
                // SAFETY: forwarded with the caller's arguments.
                Some(next) => allocate($size, || unsafe { next($($arg),*) }),
                None => bootstrap::allocate($size, $align),
            }
        }
    )*};
}

aligned! {
    /// `aligned_alloc(3)`.
    aligned_alloc(align, size) align align, size size;
    /// `memalign(3)`.
    memalign(align, size) align align, size size;
    /// `valloc(3)`.
    valloc(size) align page_size(), size size;
    /// `pvalloc(3)`: the size rounded up to whole pages.
    pvalloc(size) align page_size(), size size.next_multiple_of(page_size());
}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}
