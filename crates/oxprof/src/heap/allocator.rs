//! [`Profiled`]: the `GlobalAlloc` wrapper. Every allocation and free is counted exactly; one
//! allocation in about every `rate` bytes is sampled with its stack.

use super::hooks;
use std::alloc::{GlobalAlloc, Layout, System};

/// A global allocator that wraps another (the system allocator by default) and profiles it:
/// exact counts for [`stats`](super::stats) and [`measure`](super::measure), and sampled
/// stacks for the `heap` and `allocs` profiles.
///
/// ```
/// #[global_allocator]
/// static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
/// # fn main() {}
/// ```
///
/// Around another allocator, such as mimalloc:
///
/// ```
/// #[global_allocator]
/// static ALLOC: oxprof::heap::Profiled<mimalloc::MiMalloc> =
///     oxprof::heap::Profiled::new(mimalloc::MiMalloc);
/// # fn main() {}
/// ```
#[derive(Debug, Default)]
pub struct Profiled<A = System> {
    inner: A,
}

impl Profiled<System> {
    /// Profiles the system allocator.
    ///
    /// ```
    /// static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
    /// ```
    pub const fn system() -> Self {
        Profiled { inner: System }
    }
}

impl<A> Profiled<A> {
    /// Profiles `inner`.
    ///
    /// ```
    /// static ALLOC: oxprof::heap::Profiled<std::alloc::System> =
    ///     oxprof::heap::Profiled::new(std::alloc::System);
    /// ```
    pub const fn new(inner: A) -> Self {
        Profiled { inner }
    }
}

// SAFETY: every method forwards to the inner allocator with the caller's arguments unchanged and
// returns its result; the bookkeeping around it never touches the blocks.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Profiled<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let decision = hooks::allocating(layout.size());
        // SAFETY: forwarded from the caller.
        let ptr = unsafe { self.inner.alloc(layout) };
        decision.done(ptr);
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let decision = hooks::allocating(layout.size());
        // SAFETY: forwarded from the caller.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        decision.done(ptr);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hooks::freeing(ptr, layout.size());
        // SAFETY: forwarded from the caller.
        unsafe { self.inner.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        hooks::reallocating(ptr, layout.size(), new_size, || {
            // SAFETY: forwarded from the caller.
            unsafe { self.inner.realloc(ptr, layout, new_size) }
        })
    }
}
