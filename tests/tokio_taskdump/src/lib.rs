//! oxprof's dumps of a tokio runtime's tasks (`oxprof::threads::dump_tasks`, `write_tasks`,
//! `tasks_profile`), which need `RUSTFLAGS="--cfg tokio_unstable"`: `.ci/run` builds this
//! project apart with those flags. Six tasks wait in known async functions (three for a
//! notification, two for a lock, one for a timer); every form of the dump must list all six
//! there: the proto with counts by stack (read by `go tool pprof` too), the counted text that
//! parses back, and one block per task.

#[cfg(all(test, tokio_unstable))]
mod tests {
    use std::hint::black_box;
    use std::sync::Arc;
    use std::time::Duration;

    use oxprof::sync::tokio::{Mutex, Notify};
    use oxprof::Profile;

    const NOTIFY_FN: &str = "tokio_taskdump::tests::task_waits_for_notify::{{closure}}";
    const LOCK_FN: &str = "tokio_taskdump::tests::task_waits_for_lock::{{closure}}";
    const SLEEP_FN: &str = "tokio_taskdump::tests::task_sleeps::{{closure}}";

    #[inline(never)]
    async fn task_waits_for_notify(notify: Arc<Notify>, salt: u32) -> u32 {
        notify.notified().await;
        black_box(salt.wrapping_mul(0x51))
    }

    #[inline(never)]
    async fn task_waits_for_lock(lock: Arc<Mutex<u32>>, salt: u32) -> u32 {
        let mut guard = lock.lock().await;
        *guard = guard.wrapping_add(salt ^ 0x1f);
        black_box(*guard)
    }

    #[inline(never)]
    async fn task_sleeps() -> u32 {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        black_box(0x5eed)
    }

    /// Runs `dump` on a fresh two-worker runtime while the six tasks wait, then lets them
    /// finish. One dump per runtime, and the runtime's shutdown bounded: tokio's multi-thread
    /// dumps can leave a worker waiting forever in the dump's barrier when dumps follow each
    /// other (tokio#7478, tokio#8370), and a plain drop would wait for that worker.
    fn while_six_tasks_wait<T: Send + 'static, F: std::future::Future<Output = T>>(
        dump: impl FnOnce(tokio::runtime::Handle) -> F,
    ) -> T {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            let notify = Arc::new(Notify::new());
            let lock = Arc::new(Mutex::new(0));
            let held = lock.lock().await;
            let mut tasks = Vec::new();
            for salt in 0..3 {
                tasks.push(tokio::spawn(task_waits_for_notify(
                    Arc::clone(&notify),
                    salt,
                )));
            }
            for salt in 0..2 {
                tasks.push(tokio::spawn(task_waits_for_lock(Arc::clone(&lock), salt)));
            }
            let sleeper = tokio::spawn(task_sleeps());
            // Until every task has reached its wait.
            tokio::time::sleep(Duration::from_millis(100)).await;

            let out = tokio::time::timeout(
                Duration::from_secs(60),
                dump(tokio::runtime::Handle::current()),
            )
            .await
            .expect("the dump finishes");

            notify.notify_waiters();
            drop(held);
            for task in tasks {
                task.await.unwrap();
            }
            sleeper.abort();
            out
        });
        rt.shutdown_timeout(Duration::from_secs(10));
        out
    }

    /// The dump in the three forms; and, from another runtime, `dump_tasks` in the counted
    /// text.
    fn dumps() -> ([Vec<u8>; 3], Vec<u8>) {
        let forms = while_six_tasks_wait(|handle| async move {
            let dump = handle.dump().await;
            tokio::task::spawn_blocking(move || {
                [0, 1, 2].map(|debug| {
                    let mut out = Vec::new();
                    oxprof::threads::write_tasks(&dump, debug, &mut out).unwrap();
                    out
                })
            })
            .await
            .unwrap()
        });
        let text = while_six_tasks_wait(|handle| async move {
            let mut text = Vec::new();
            oxprof::threads::dump_tasks(&handle, 1, &mut text)
                .await
                .unwrap();
            text
        });
        (forms, text)
    }

    /// How many tasks the profile counts at stacks that go through `function`.
    fn count_through(profile: &Profile, function: &str) -> i64 {
        let id = profile
            .function
            .iter()
            .find(|f| f.name == function)
            .map(|f| f.id);
        profile
            .sample
            .iter()
            .filter(|s| {
                s.location_id.iter().any(|l| {
                    profile
                        .location
                        .iter()
                        .find(|loc| loc.id == *l)
                        .is_some_and(|loc| loc.line.iter().any(|line| Some(line.function_id) == id))
                })
            })
            .map(|s| s.value[0])
            .sum()
    }

    fn assert_six_tasks(profile: &Profile, form: &str) {
        assert_eq!(profile.sample_type[0].ty, "goroutine", "{form}");
        let total: i64 = profile.sample.iter().map(|s| s.value[0]).sum();
        assert_eq!(total, 6, "{form}: {profile:?}");
        for (function, tasks) in [(NOTIFY_FN, 3), (LOCK_FN, 2), (SLEEP_FN, 1)] {
            assert_eq!(
                count_through(profile, function),
                tasks,
                "{form}: {function}"
            );
        }
    }

    #[test]
    fn every_form_lists_every_waiting_task_at_its_function() {
        let ([proto, text, full], text_again) = dumps();

        let profile = Profile::parse(&proto).unwrap();
        assert_six_tasks(&profile, "debug=0");
        // Three tasks share one stack: one sample counts them.
        assert!(
            profile.sample.iter().any(|s| s.value[0] == 3),
            "{profile:?}"
        );

        for text in [&text, &text_again] {
            let text_str = String::from_utf8(text.clone()).unwrap();
            assert!(
                text_str.starts_with("goroutine profile: total 6\n3 @ "),
                "{text_str}"
            );
            for function in [NOTIFY_FN, LOCK_FN, SLEEP_FN] {
                assert!(
                    text_str.contains(&format!("\t{function}\t")),
                    "{function}:\n{text_str}"
                );
            }
            // The text's records read back with their counts (its `#` frame lines are
            // comments to every reader).
            let parsed = Profile::parse(text).unwrap();
            assert_eq!(parsed.sample_type[0].ty, "goroutine");
            let mut counts: Vec<i64> = parsed.sample.iter().map(|s| s.value[0]).collect();
            counts.sort();
            assert_eq!(counts, [1, 2, 3], "{text_str}");
        }

        let full = String::from_utf8(full).unwrap();
        let blocks: Vec<&str> = full.split("\n\n").filter(|b| !b.is_empty()).collect();
        assert_eq!(blocks.len(), 6, "{full}");
        let mut ids: Vec<&str> = blocks
            .iter()
            .map(|b| {
                b.strip_prefix("task ")
                    .and_then(|b| b.split(':').next())
                    .unwrap()
            })
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "one block per task:\n{full}");
        for (function, tasks) in [(NOTIFY_FN, 3), (LOCK_FN, 2), (SLEEP_FN, 1)] {
            let named = blocks
                .iter()
                .filter(|b| b.lines().any(|l| l == format!("{function}(...)")))
                .count();
            assert_eq!(named, tasks, "{function}:\n{full}");
        }

        let file = std::env::temp_dir().join(format!("oxprof-tasks-{}.pb.gz", std::process::id()));
        std::fs::write(&file, &proto).unwrap();
        if let Some(mut pprof) = oxprof_testutil::go_pprof() {
            let out = pprof
                .args(["-top", "-nodefraction=0"])
                .arg(&file)
                .output()
                .unwrap();
            let top = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                top.contains("Type: goroutine") && top.contains("of 6 total"),
                "{top}"
            );
        }
        let _ = std::fs::remove_file(&file);
    }
}
