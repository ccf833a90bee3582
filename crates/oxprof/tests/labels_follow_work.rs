//! `oxprof::labels` through its public API: scopes on threads, and labelled futures across
//! `.await` points and threads.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use oxprof::labels::{self, WithLabels};

/// Owned pairs, to compare with [`labels::current`].
fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

mod scopes {
    use super::*;

    #[test]
    fn nested_scopes_merge_override_and_restore() {
        labels::scope(&[("handler", "/api"), ("method", "GET")], || {
            assert_eq!(
                labels::current(),
                set(&[("handler", "/api"), ("method", "GET")])
            );
            labels::scope(&[("method", "POST"), ("user", "42")], || {
                assert_eq!(
                    labels::current(),
                    set(&[("handler", "/api"), ("method", "POST"), ("user", "42")])
                );
                labels::scope(&[], || {
                    assert_eq!(
                        labels::current(),
                        set(&[("handler", "/api"), ("method", "POST"), ("user", "42")])
                    );
                });
            });
            assert_eq!(
                labels::current(),
                set(&[("handler", "/api"), ("method", "GET")])
            );
        });
        assert!(labels::current().is_empty());
    }

    #[test]
    fn the_last_value_for_a_repeated_key_wins() {
        labels::scope(&[("k", "first"), ("k", "second")], || {
            assert_eq!(labels::current(), set(&[("k", "second")]));
        });
    }

    #[test]
    fn keys_and_values_are_arbitrary_strings() {
        let pairs = [
            ("", "empty key"),
            ("empty value", ""),
            ("k=v,x", "ünïcødé\n\0"),
        ];
        labels::scope(&pairs, || {
            assert_eq!(
                labels::current(),
                set(&[
                    ("", "empty key"),
                    ("empty value", ""),
                    ("k=v,x", "ünïcødé\n\0")
                ])
            );
        });
    }

    #[test]
    fn labels_are_restored_after_a_panic() {
        labels::scope(&[("outer", "1")], || {
            let unwound = catch_unwind(|| {
                labels::scope(&[("inner", "2")], || {
                    labels::scope(&[("innermost", "3")], || panic!("request failed"));
                })
            });
            assert!(unwound.is_err());
            assert_eq!(labels::current(), set(&[("outer", "1")]));
        });
        assert!(labels::current().is_empty());
    }

    #[test]
    fn scopes_return_the_closures_value() {
        assert_eq!(labels::scope(&[("k", "v")], || "done"), "done");
    }

    #[test]
    fn spawned_threads_start_without_labels() {
        labels::scope(&[("parent", "yes")], || {
            let child = thread::spawn(labels::current).join().unwrap();
            assert!(child.is_empty());
            assert_eq!(labels::current(), set(&[("parent", "yes")]));
        });
    }
}

mod futures {
    use super::*;

    /// Returns `Pending` once (waking its task straight away), then `Ready`: an `.await` point
    /// after which an executor may resume the task on any thread.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn yield_once() -> YieldOnce {
        YieldOnce(false)
    }

    /// Wakes the thread running [`block_on`].
    struct Unpark(Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Polls `fut` on this thread until it is ready, parking while it is pending.
    fn block_on<F: Future>(fut: F) -> F::Output {
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
                return output;
            }
            thread::park();
        }
    }

    fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
        Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn labels_survive_awaits() {
        let seen = block_on(
            async {
                let mut seen = vec![labels::current()];
                for _ in 0..3 {
                    yield_once().await;
                    seen.push(labels::current());
                }
                seen
            }
            .with_labels(&[("task", "survivor")]),
        );
        assert_eq!(seen, vec![set(&[("task", "survivor")]); 4]);
        assert!(labels::current().is_empty());
    }

    #[test]
    fn labels_follow_the_future_to_another_thread() {
        // Created under labels of its own, so the future's set merges them with its own.
        let mut task = labels::scope(&[("tenant", "acme")], || {
            Box::pin(
                async {
                    let before = labels::current();
                    yield_once().await;
                    let after = labels::current();
                    (before, after)
                }
                .with_labels(&[("request", "7")]),
            )
        });
        let expected = set(&[("request", "7"), ("tenant", "acme")]);

        let task = thread::spawn(move || {
            labels::scope(&[("executor", "A")], || {
                assert!(poll_once(&mut task).is_pending());
                assert_eq!(labels::current(), set(&[("executor", "A")]));
            });
            task
        })
        .join()
        .unwrap();

        let (seen, b_outside) = thread::spawn(move || {
            let mut task = task;
            labels::scope(&[("executor", "B")], || {
                let Poll::Ready(seen) = poll_once(&mut task) else {
                    panic!("the task should finish on its second poll");
                };
                (seen, labels::current())
            })
        })
        .join()
        .unwrap();

        assert_eq!(seen.0, expected, "labels inside the future on thread A");
        assert_eq!(seen.1, expected, "labels inside the future on thread B");
        assert_eq!(b_outside, set(&[("executor", "B")]));
    }

    #[test]
    fn nested_labelled_futures_and_scopes_merge_with_the_outer_future() {
        let seen = block_on(
            async {
                let inner = async {
                    yield_once().await;
                    labels::current()
                }
                .with_labels(&[("step", "inner"), ("extra", "1")])
                .await;
                let scoped = labels::scope(&[("step", "scoped")], labels::current);
                (inner, scoped, labels::current())
            }
            .with_labels(&[("job", "export"), ("step", "outer")]),
        );
        assert_eq!(
            seen.0,
            set(&[("extra", "1"), ("job", "export"), ("step", "inner")])
        );
        assert_eq!(seen.1, set(&[("job", "export"), ("step", "scoped")]));
        assert_eq!(seen.2, set(&[("job", "export"), ("step", "outer")]));
    }

    #[test]
    fn unlabelled_futures_see_the_polling_threads_labels() {
        let seen = labels::scope(&[("executor", "main")], || {
            block_on(async { labels::current() })
        });
        assert_eq!(seen, set(&[("executor", "main")]));
    }

    #[test]
    fn a_panicking_poll_restores_the_threads_labels() {
        labels::scope(&[("executor", "main")], || {
            let mut task = Box::pin(
                async {
                    panic!("task failed");
                }
                .with_labels(&[("task", "doomed")]),
            );
            let unwound = catch_unwind(AssertUnwindSafe(|| poll_once(&mut task)));
            assert!(unwound.is_err());
            assert_eq!(labels::current(), set(&[("executor", "main")]));
        });
    }
}
