//! Requests for the same thing that arrive while it is being made share the next making of it.
//!
//! Taking a profile costs a symbolization (a fraction of a second); a burst of scrapers or a
//! curl loop asking for the same profile would otherwise make the process take it once per
//! request. Here a request joins the batch waiting for the next taking, which starts when the
//! current one ends: every answer is still taken after its request arrived (never a copy of an
//! older one), and a burst of any size costs at most two takings per profile and form.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// Batches of requests by key, each batch answered by one run of the work.
pub(super) struct Batches<K, T> {
    slots: Arc<Mutex<HashMap<K, Slot<T>>>>,
}

/// The state of one key.
struct Slot<T> {
    /// The batch waiting for a run that has not started yet, if any request is waiting.
    waiting: Option<watch::Sender<Option<T>>>,
}

impl<K, T> Batches<K, T>
where
    K: Hash + Eq + Clone + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    pub(super) fn new() -> Self {
        Batches {
            slots: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The outcome of a run of `work` that starts after this call: joins the waiting batch of
    /// `key`, or starts one (and a task that runs `work` for each batch in turn). `None` when
    /// the task was dropped before answering (the runtime is shutting down).
    pub(super) async fn join<W, F>(&self, key: K, work: W) -> Option<T>
    where
        W: Fn() -> F + Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let mut answer = {
            let mut slots = lock(&self.slots);
            match slots.get(&key) {
                Some(Slot {
                    waiting: Some(batch),
                }) => batch.subscribe(),
                Some(Slot { waiting: None }) => {
                    // A run is going on for an earlier batch; its task takes this one next.
                    let (batch, answer) = watch::channel(None);
                    slots.insert(
                        key,
                        Slot {
                            waiting: Some(batch),
                        },
                    );
                    answer
                }
                None => {
                    let (batch, answer) = watch::channel(None);
                    slots.insert(
                        key.clone(),
                        Slot {
                            waiting: Some(batch),
                        },
                    );
                    tokio::spawn(run(self.slots.clone(), key, work));
                    answer
                }
            }
        };
        loop {
            if let Some(outcome) = answer.borrow_and_update().clone() {
                return Some(outcome);
            }
            answer.changed().await.ok()?;
        }
    }
}

/// Runs `work` for each waiting batch of `key` in turn, until none waits.
async fn run<K, T, W, F>(slots: Arc<Mutex<HashMap<K, Slot<T>>>>, key: K, work: W)
where
    K: Hash + Eq,
    W: Fn() -> F,
    F: Future<Output = T>,
{
    let mut running = Running {
        slots,
        key,
        done: false,
    };
    loop {
        let batch = {
            let mut slots = lock(&running.slots);
            let waiting = slots.get_mut(&running.key).and_then(|s| s.waiting.take());
            match waiting {
                Some(batch) => batch,
                None => {
                    slots.remove(&running.key);
                    running.done = true;
                    return;
                }
            }
        };
        let outcome = work().await;
        // Every request of the batch holds a receiver; if all went away, nobody minds.
        let _ = batch.send(Some(outcome));
    }
}

/// The key a task runs for. Should the task be dropped midway (the runtime shutting down), the
/// key's slot goes with it, so its waiting requests get `None` and later ones start afresh
/// instead of joining a batch nobody will run.
struct Running<K: Hash + Eq, T> {
    slots: Arc<Mutex<HashMap<K, Slot<T>>>>,
    key: K,
    done: bool,
}

impl<K: Hash + Eq, T> Drop for Running<K, T> {
    fn drop(&mut self) {
        if !self.done {
            lock(&self.slots).remove(&self.key);
        }
    }
}

/// The map is consistent between statements: a panic elsewhere cannot leave it half-changed.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_costs_two_runs_and_every_answer_is_taken_after_its_request() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let batches = Arc::new(Batches::<&str, u32>::new());
            let runs = Arc::new(AtomicU32::new(0));
            let work = {
                let runs = runs.clone();
                move || {
                    let runs = runs.clone();
                    async move {
                        // The run's number, counted when it starts.
                        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        n
                    }
                }
            };
            let first = {
                let (batches, work) = (batches.clone(), work.clone());
                tokio::spawn(async move { batches.join("heap", work).await })
            };
            tokio::time::sleep(Duration::from_millis(30)).await;
            // Fifty requests while run 1 goes on: all wait for run 2, which starts after them.
            let burst: Vec<_> = (0..50)
                .map(|_| {
                    let (batches, work) = (batches.clone(), work.clone());
                    tokio::spawn(async move { batches.join("heap", work).await })
                })
                .collect();
            assert_eq!(first.await.unwrap(), Some(1));
            for request in burst {
                assert_eq!(request.await.unwrap(), Some(2));
            }
            assert_eq!(runs.load(Ordering::SeqCst), 2);
            // Other keys run on their own; an idle key starts afresh.
            assert_eq!(batches.join("goroutine", work.clone()).await, Some(3));
            assert_eq!(batches.join("heap", work).await, Some(4));
            // Each run's task removes its key after answering, so a moment after the answer.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !lock(&batches.slots).is_empty() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "idle keys are removed"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
    }
}
