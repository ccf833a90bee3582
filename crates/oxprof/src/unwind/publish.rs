//! Hands a value from one writer at a time to readers that run inside signal handlers.
//!
//! Readers never block, never allocate and never retry unboundedly: they announce themselves in
//! one of two counters picked by the parity of an epoch, load the current pointer and use it.
//! A writer swaps the pointer, flips the epoch so that new readers count themselves in the other
//! counter, and frees the old value once the counter of the old parity drains. (arc-swap is not
//! an option here: its first load on a thread allocates.)

use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How often a reader tries to enter before giving up. It only has to try again when a writer
/// flipped the epoch between the reader's two epoch loads, so a second try nearly always works.
const ENTER_ATTEMPTS: usize = 4;

/// A value published to signal handlers, replaced as a whole by [`Published::update`].
pub(super) struct Published<T> {
    current: AtomicPtr<T>,
    epoch: AtomicUsize,
    readers: [AtomicUsize; 2],
    /// Serializes writers: the drain below is only sound when one flip is in flight at a time.
    writer: Mutex<()>,
    /// Readers on any thread get `&T`, and the value is dropped on a writer's thread.
    _owns: PhantomData<Box<T>>,
}

impl<T> Published<T> {
    /// Nothing published yet: readers get `None` until the first update.
    pub(super) const fn new() -> Self {
        Published {
            current: AtomicPtr::new(ptr::null_mut()),
            epoch: AtomicUsize::new(0),
            readers: [AtomicUsize::new(0), AtomicUsize::new(0)],
            writer: Mutex::new(()),
            _owns: PhantomData,
        }
    }

    /// The current value, kept alive until the guard drops. Async-signal-safe: a few atomic
    /// operations, no locks, no allocation.
    pub(super) fn read(&self) -> Option<ReadGuard<'_, T>> {
        for _ in 0..ENTER_ATTEMPTS {
            let parity = self.epoch.load(SeqCst) & 1;
            self.readers[parity].fetch_add(1, SeqCst);
            // Counted under the parity the epoch still has, so the next flip (whose writer
            // frees whatever is loaded below) waits for this reader. Without this check a
            // reader delayed between the two lines above could be counted under a parity no
            // writer waits for any more.
            if self.epoch.load(SeqCst) & 1 != parity {
                self.readers[parity].fetch_sub(1, SeqCst);
                continue;
            }
            let value = self.current.load(SeqCst);
            if value.is_null() {
                self.readers[parity].fetch_sub(1, SeqCst);
                return None;
            }
            return Some(ReadGuard {
                published: self,
                parity,
                value,
            });
        }
        None
    }

    /// Replaces the value with what `next` returns, if it returns one, and frees the old value
    /// once no reader uses it. `next` sees the current value, which cannot be freed meanwhile:
    /// only writers free values, and this call holds the writer lock.
    ///
    /// Waits for readers to leave, so it must not run inside a reader on the same thread.
    pub(super) fn update(&self, next: impl FnOnce(Option<&T>) -> Option<T>) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.current.load(SeqCst);
        // SAFETY: a non-null `current` came from `Box::into_raw` below and is only freed by a
        // writer, and this thread is the only writer until `_writer` drops.
        let Some(value) = next(unsafe { current.as_ref() }) else {
            return;
        };
        let old = self.current.swap(Box::into_raw(Box::new(value)), SeqCst);
        let old_parity = self.epoch.fetch_add(1, SeqCst) & 1;
        while self.readers[old_parity].load(SeqCst) != 0 {
            // Readers are signal handlers that finish in microseconds, or threads that were
            // descheduled while inside one.
            std::thread::sleep(Duration::from_micros(50));
        }
        if !old.is_null() {
            // SAFETY: `old` came from `Box::into_raw`, is no longer reachable through `current`,
            // and every reader that might have loaded it counted itself under `old_parity`,
            // which has drained.
            drop(unsafe { Box::from_raw(old) });
        }
    }
}

impl<T> Published<T> {
    /// Takes the writer lock, so that a `fork` between this and the guard's drop never leaves
    /// the child a lock held by a thread it does not have.
    pub(super) fn lock_for_fork(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// In a child just forked (one thread, the forking one, which was in no reader): readers
    /// counted by the parent's other threads will never leave, so the counts start again at
    /// zero, or the child's first update would wait for them forever.
    pub(super) fn after_fork_in_child(&self) {
        for readers in &self.readers {
            readers.store(0, SeqCst);
        }
    }
}

/// A reader's hold on a published value.
pub(super) struct ReadGuard<'a, T> {
    published: &'a Published<T>,
    parity: usize,
    value: *const T,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the writer that replaces `value` waits for this guard's counter to drain
        // before freeing it.
        unsafe { &*self.value }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        self.published.readers[self.parity].fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::time::Instant;

    struct Tracked {
        id: u32,
        dropped: Arc<AtomicBool>,
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.dropped.store(true, SeqCst);
        }
    }

    #[test]
    fn readers_see_nothing_before_the_first_update() {
        let published = Published::<u32>::new();
        assert!(published.read().is_none());
        published.update(|_| Some(7));
        assert_eq!(*published.read().unwrap(), 7);
    }

    #[test]
    fn update_passes_the_current_value_and_can_keep_it() {
        let published = Published::<u32>::new();
        published.update(|current| {
            assert!(current.is_none());
            Some(1)
        });
        published.update(|current| {
            assert_eq!(current, Some(&1));
            None
        });
        assert_eq!(*published.read().unwrap(), 1);
    }

    #[test]
    fn old_value_outlives_its_readers() {
        let published = Arc::new(Published::<Tracked>::new());
        let first_dropped = Arc::new(AtomicBool::new(false));
        published.update(|_| {
            Some(Tracked {
                id: 1,
                dropped: first_dropped.clone(),
            })
        });
        let guard = published.read().unwrap();

        let writer = {
            let published = published.clone();
            std::thread::spawn(move || {
                published.update(|_| {
                    Some(Tracked {
                        id: 2,
                        dropped: Arc::new(AtomicBool::new(false)),
                    })
                })
            })
        };
        // The writer swaps at once but must wait for this reader before dropping value 1.
        let deadline = Instant::now() + Duration::from_secs(5);
        while published.read().map(|g| g.id) != Some(2) {
            assert!(Instant::now() < deadline, "the writer never published");
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(20));
        assert!(!writer.is_finished());
        assert!(!first_dropped.load(SeqCst));
        assert_eq!(guard.id, 1);

        drop(guard);
        writer.join().unwrap();
        assert!(first_dropped.load(SeqCst));
    }

    #[test]
    fn concurrent_readers_and_writers_never_see_a_freed_value() {
        let published = Arc::new(Published::<Tracked>::new());
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let published = published.clone();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut reads = 0u64;
                    while !stop.load(SeqCst) {
                        if let Some(guard) = published.read() {
                            assert!(!guard.dropped.load(SeqCst));
                            reads += 1;
                        }
                    }
                    reads
                })
            })
            .collect();
        for id in 0..200 {
            published.update(|_| {
                Some(Tracked {
                    id,
                    dropped: Arc::new(AtomicBool::new(false)),
                })
            });
        }
        stop.store(true, SeqCst);
        for reader in readers {
            reader.join().unwrap();
        }
        assert_eq!(published.read().unwrap().id, 199);
    }
}
