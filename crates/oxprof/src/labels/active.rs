//! The calling thread's current label set id, which the profiler's signal handler reads.

use std::marker::PhantomData;
use std::sync::atomic::{compiler_fence, AtomicU32, Ordering};

thread_local! {
    // `const`-initialised and without Drop, so every access is a plain thread-local load: no lazy
    // initialisation, no destructor registration, nothing that allocates or locks. That is what
    // lets a signal handler read it. An atomic rather than a `Cell`: the handler may interrupt a
    // write, and only atomics make that access defined; relaxed loads and stores compile to plain
    // moves.
    static CURRENT: AtomicU32 = const { AtomicU32::new(0) };
}

/// The id of the calling thread's label set, 0 when it has none. Async-signal-safe.
pub(super) fn id() -> u32 {
    CURRENT.with(|current| current.load(Ordering::Relaxed))
}

/// Makes `id` the calling thread's label set until the returned guard drops, which restores the
/// set it replaced, on panic too.
pub(super) fn enter(id: u32) -> Entered {
    let previous = self::id();
    set(id);
    Entered {
        previous,
        _bound_to_thread: PhantomData,
    }
}

/// Restores the calling thread's previous label set when dropped; see [`enter`].
pub(super) struct Entered {
    previous: u32,
    // The guard restores the thread it was created on, so it must not move to another.
    _bound_to_thread: PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        set(self.previous);
    }
}

fn set(id: u32) {
    // Only the signal handler observes the store, and the optimiser cannot see it: the fences keep
    // the store from being merged away or moved across the code it labels.
    compiler_fence(Ordering::SeqCst);
    CURRENT.with(|current| current.store(id, Ordering::Relaxed));
    compiler_fence(Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::{enter, id};

    #[test]
    fn guards_restore_in_reverse_order() {
        std::thread::spawn(|| {
            assert_eq!(id(), 0);
            let outer = enter(7);
            assert_eq!(id(), 7);
            {
                let _inner = enter(9);
                assert_eq!(id(), 9);
            }
            assert_eq!(id(), 7);
            drop(outer);
            assert_eq!(id(), 0);
        })
        .join()
        .unwrap();
    }
}
