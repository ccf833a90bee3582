//! [`B`], the handle a benchmark function gets: the iteration count, the timer, and what to
//! report.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use crate::context::Context;
use crate::names::{rewrite, with_procs};
use crate::parallel::{grain, Pb};
use crate::predict::{predict_n, MAX_ITERS};
use crate::{BenchTime, BenchmarkResult};

/// Set in `loop_i` while the timer is stopped, so [`B::loop_`] leaves its fast path and fails.
const LOOP_POISON_TIMER: u64 = 1 << 63;

/// The benchmark's handle, Go's `*testing.B`: how many iterations to run, the timer, and what
/// to report besides time.
///
/// Two ways to write the loop. Classic: run the body [`n`](B::n) times; the harness calls the
/// function again with a larger `n` until the run lasts `-benchtime` (Go's `b.N` ramp-up):
///
/// ```
/// fn sum_squares(b: &mut oxprof_bench::B) {
///     let data: Vec<u64> = (0..1000).collect(); // setup, not timed
///     b.reset_timer();
///     for _ in 0..b.n() {
///         oxprof_bench::black_box(data.iter().map(|x| x * x).sum::<u64>());
///     }
/// }
/// let r = oxprof_bench::benchmark("10x".parse()?, sum_squares);
/// assert_eq!(r.n, 10);
/// # Ok::<(), String>(())
/// ```
///
/// Or Go 1.24's `b.Loop`, as [`loop_`](B::loop_) (or [`iter`](B::iter)): the function runs once,
/// the ramp-up happens inside the loop, and setup before it and cleanup after it are never
/// timed:
///
/// ```
/// fn sum_squares(b: &mut oxprof_bench::B) {
///     let data: Vec<u64> = (0..1000).collect();
///     while b.loop_() {
///         oxprof_bench::black_box(data.iter().map(|x| x * x).sum::<u64>());
///     }
/// }
/// let r = oxprof_bench::benchmark("10x".parse()?, sum_squares);
/// assert_eq!(r.n, 10);
/// # Ok::<(), String>(())
/// ```
pub struct B {
    ctx: Rc<Context>,
    name: String,
    level: usize,
    n: u64,
    procs: usize,
    parallelism: usize,
    timer_on: bool,
    start_ns: u64,
    duration_ns: u64,
    start_allocs: (u64, u64),
    net_allocs: u64,
    net_bytes: u64,
    bytes: u64,
    show_allocs: bool,
    extra: BTreeMap<String, f64>,
    loop_n: u64,
    loop_i: u64,
    loop_done: bool,
    previous_n: u64,
    previous_ns: u64,
    has_sub: bool,
    failed: Option<String>,
    result: BenchmarkResult,
}

impl B {
    pub(crate) fn new(ctx: Rc<Context>, name: String, level: usize) -> B {
        let procs = ctx.cpu[0];
        B {
            ctx,
            name,
            level,
            n: 0,
            procs,
            parallelism: 1,
            timer_on: false,
            start_ns: 0,
            duration_ns: 0,
            start_allocs: (0, 0),
            net_allocs: 0,
            net_bytes: 0,
            bytes: 0,
            show_allocs: false,
            extra: BTreeMap::new(),
            loop_n: 0,
            loop_i: 0,
            loop_done: false,
            previous_n: 0,
            previous_ns: 0,
            has_sub: false,
            failed: None,
            result: BenchmarkResult::default(),
        }
    }

    /// The number of iterations to run, Go's `b.N`. 0 inside a [`loop_`](B::loop_) loop (it
    /// is not known yet); after the loop, the number of iterations it ran.
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("5x".parse()?, |b| {
    ///     for _ in 0..b.n() {}
    /// });
    /// assert_eq!(r.n, 5);
    /// # Ok::<(), String>(())
    /// ```
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The benchmark's full name: `BenchmarkX`, or `BenchmarkX/sub` for a sub-benchmark.
    ///
    /// ```
    /// oxprof_bench::benchmark("1x".parse()?, |b| {
    ///     b.run("n=10", |b| assert!(b.name().ends_with("n=10")));
    /// });
    /// # Ok::<(), String>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parallelism of this run, from `-cpu` (Go's `GOMAXPROCS`): the `-P` in the result's
    /// name, and the number of threads [`run_parallel`](B::run_parallel) starts per unit of
    /// [`set_parallelism`](B::set_parallelism).
    ///
    /// ```
    /// oxprof_bench::benchmark("1x".parse()?, |b| assert!(b.procs() >= 1));
    /// # Ok::<(), String>(())
    /// ```
    pub fn procs(&self) -> usize {
        self.procs
    }

    /// Starts timing (and counting allocations). Benchmarks start with the timer running; this
    /// resumes it after [`stop_timer`](B::stop_timer).
    ///
    /// ```
    /// oxprof_bench::benchmark("3x".parse()?, |b| {
    ///     for _ in 0..b.n() {
    ///         b.stop_timer();
    ///         let input = vec![3u8; 64]; // not timed
    ///         b.start_timer();
    ///         oxprof_bench::black_box(input.iter().sum::<u8>());
    ///     }
    /// });
    /// # Ok::<(), String>(())
    /// ```
    pub fn start_timer(&mut self) {
        if !self.timer_on {
            self.start_allocs = self.ctx.alloc_counts();
            self.start_ns = self.ctx.clock.now_ns();
            self.timer_on = true;
            self.loop_i &= !LOOP_POISON_TIMER;
        }
    }

    /// Stops timing (and counting allocations), for work that should not be measured.
    ///
    /// ```
    /// oxprof_bench::benchmark("1x".parse()?, |b| {
    ///     b.stop_timer();
    ///     let _setup = vec![0u8; 1 << 20];
    ///     b.start_timer();
    /// });
    /// # Ok::<(), String>(())
    /// ```
    pub fn stop_timer(&mut self) {
        if self.timer_on {
            self.duration_ns += self.ctx.clock.now_ns().saturating_sub(self.start_ns);
            let (allocs, bytes) = self.ctx.alloc_counts();
            self.net_allocs += allocs.wrapping_sub(self.start_allocs.0);
            self.net_bytes += bytes.wrapping_sub(self.start_allocs.1);
            self.timer_on = false;
            self.loop_i |= LOOP_POISON_TIMER;
        }
    }

    /// Zeroes the elapsed time, the allocation counts and reported metrics, leaving the timer
    /// running or stopped as it was: call it after setup.
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("2x".parse()?, |b| {
    ///     std::thread::sleep(std::time::Duration::from_millis(20)); // setup
    ///     b.reset_timer();
    /// });
    /// assert!(r.t < std::time::Duration::from_millis(20));
    /// # Ok::<(), String>(())
    /// ```
    pub fn reset_timer(&mut self) {
        self.extra.clear();
        if self.timer_on {
            self.start_allocs = self.ctx.alloc_counts();
            self.start_ns = self.ctx.clock.now_ns();
        }
        self.duration_ns = 0;
        self.net_allocs = 0;
        self.net_bytes = 0;
    }

    /// The time measured so far in this run, including the running timer (Go's `b.Elapsed`).
    ///
    /// ```
    /// oxprof_bench::benchmark("1x".parse()?, |b| {
    ///     let _ = b.elapsed();
    /// });
    /// # Ok::<(), String>(())
    /// ```
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.elapsed_ns())
    }

    fn elapsed_ns(&self) -> u64 {
        let running = match self.timer_on {
            true => self.ctx.clock.now_ns().saturating_sub(self.start_ns),
            false => 0,
        };
        self.duration_ns + running
    }

    /// Prints `B/op` and `allocs/op` for this benchmark, as `-benchmem` does for all. Counts
    /// are exact when `oxprof::heap::Profiled` is the global allocator (as
    /// [`main!`](crate::main!) sets up).
    ///
    /// ```
    /// oxprof_bench::benchmark("1x".parse()?, |b| b.report_allocs());
    /// # Ok::<(), String>(())
    /// ```
    pub fn report_allocs(&mut self) {
        self.show_allocs = true;
    }

    /// Records the bytes one iteration processes, so the result shows `MB/s` (decimal
    /// megabytes per second).
    ///
    /// ```
    /// let data = vec![1u8; 4096];
    /// let r = oxprof_bench::benchmark("100x".parse()?, |b| {
    ///     b.set_bytes(data.len() as u64);
    ///     while b.loop_() {
    ///         oxprof_bench::black_box(data.iter().map(|&x| x as u64).sum::<u64>());
    ///     }
    /// });
    /// assert!(r.mb_per_sec() > 0.0);
    /// # Ok::<(), String>(())
    /// ```
    pub fn set_bytes(&mut self, n: u64) {
        self.bytes = n;
    }

    /// Adds `value unit` to the result line (Go's `b.ReportMetric`). Per-iteration metrics
    /// must be divided by [`n`](B::n) by the caller and, by convention, end in `/op`. A
    /// built-in unit (`ns/op`, `MB/s`, `B/op`, `allocs/op`) is overridden; `ns/op` set to 0 is
    /// left out. Panics, failing the benchmark, when the unit is empty or contains white space.
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("10x".parse()?, |b| {
    ///     let mut compares = 0u64;
    ///     while b.loop_() {
    ///         compares += 7;
    ///     }
    ///     b.report_metric(compares as f64 / b.n() as f64, "compares/op");
    /// });
    /// assert_eq!(r.extra["compares/op"], 7.0);
    /// # Ok::<(), String>(())
    /// ```
    pub fn report_metric(&mut self, value: f64, unit: &str) {
        assert!(!unit.is_empty(), "metric unit must not be empty");
        assert!(
            !unit.chars().any(char::is_whitespace),
            "metric unit must not contain whitespace"
        );
        self.extra.insert(unit.to_string(), value);
    }

    /// Reports whether the benchmark should go on: Go 1.24's `b.Loop`, as
    /// `while b.loop_() { ... }`.
    ///
    /// The first call resets the timer, so setup before the loop is not timed; the last one
    /// (returning `false`) stops it, so cleanup after is not either. The iteration count ramps
    /// up inside the one call of the benchmark function, with Go's `predictN`, until
    /// `-benchtime` is reached. Afterwards [`n`](B::n) is the number of iterations that ran.
    /// Calling it with the timer stopped fails the benchmark; so does leaving the loop early
    /// (`break` or `return`). Mixing it with a `0..b.n()` loop in one function is not
    /// supported, as in Go. Keep results alive with [`black_box`](crate::black_box).
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("1000x".parse()?, |b| {
    ///     let v: Vec<u32> = (0..100).collect();
    ///     while b.loop_() {
    ///         oxprof_bench::black_box(v.binary_search(&42));
    ///     }
    ///     assert_eq!(b.n(), 1000);
    /// });
    /// assert_eq!(r.n, 1000);
    /// # Ok::<(), String>(())
    /// ```
    #[inline]
    pub fn loop_(&mut self) -> bool {
        if self.loop_i < self.loop_n {
            self.loop_i += 1;
            return true;
        }
        self.loop_slow_path()
    }

    #[cold]
    #[inline(never)]
    fn loop_slow_path(&mut self) -> bool {
        assert!(self.timer_on, "B::loop_ called with the timer stopped");
        if self.loop_n == 0 {
            self.loop_n = match self.ctx.benchtime {
                BenchTime::Count(n) => n,
                BenchTime::Duration(_) => 1,
            };
            // Inside the loop b.n() is not known yet.
            self.n = 0;
            self.reset_timer();
            self.loop_i += 1;
            return true;
        }
        let more = match self.ctx.benchtime {
            BenchTime::Count(_) => false,
            BenchTime::Duration(d) => self.grow_loop(d.as_nanos() as u64),
        };
        if !more {
            self.stop_timer();
            self.n = self.loop_n;
            self.loop_done = true;
            return false;
        }
        self.loop_i += 1;
        true
    }

    /// Go's `stopOrScaleBLoop`: done once the goal is reached, else a larger target.
    fn grow_loop(&mut self, goal_ns: u64) -> bool {
        let elapsed = self.elapsed_ns();
        if elapsed >= goal_ns {
            return false;
        }
        let previous = self.loop_n;
        self.loop_n = predict_n(goal_ns, previous, elapsed, previous);
        if let Some(m) = &self.ctx.monitor {
            m.set_n(self.loop_n);
        }
        // predict_n caps the count; stop once the cap is reached.
        previous < self.loop_n
    }

    /// Runs `f` once per iteration, keeping its result alive with [`black_box`](crate::black_box):
    /// `while b.loop_() { black_box(f()); }`.
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("100x".parse()?, |b| {
    ///     let words = ["a", "bb", "ccc"];
    ///     b.iter(|| words.iter().map(|w| w.len()).sum::<usize>());
    /// });
    /// assert_eq!(r.n, 100);
    /// # Ok::<(), String>(())
    /// ```
    #[inline]
    pub fn iter<R>(&mut self, mut f: impl FnMut() -> R) {
        while self.loop_() {
            std::hint::black_box(f());
        }
    }

    /// Runs `f` as a sub-benchmark named `parent/name` (white space becomes `_`; a repeated
    /// name gets `#01`, `#02`). A benchmark that calls `run` is not measured itself: it runs
    /// once with `n() == 1` to set up and start its sub-benchmarks, each measured and reported
    /// on its own line. `-bench` patterns match level by level (`-bench=Sort/n=1000`).
    /// Returns whether the sub-benchmark passed (or was skipped by `-bench`).
    ///
    /// ```
    /// fn sort(b: &mut oxprof_bench::B) {
    ///     for n in [10, 1000] {
    ///         b.run(&format!("n={n}"), |b| {
    ///             let data: Vec<u32> = (0..n).rev().collect();
    ///             while b.loop_() {
    ///                 let mut v = data.clone();
    ///                 v.sort_unstable();
    ///                 oxprof_bench::black_box(v);
    ///             }
    ///         });
    ///     }
    /// }
    /// oxprof_bench::benchmark("10x".parse()?, sort);
    /// # Ok::<(), String>(())
    /// ```
    pub fn run(&mut self, name: &str, mut f: impl FnMut(&mut B)) -> bool {
        self.has_sub = true;
        let full = match self.level {
            0 => name.to_string(),
            _ => self
                .ctx
                .names
                .borrow_mut()
                .unique(&self.name, &rewrite(name)),
        };
        let (ok, partial) = match &self.ctx.filter {
            Some(filter) => filter.matches(&full),
            None => (true, false),
        };
        if !ok {
            return true;
        }
        let started = self.ctx.clock.now_ns();
        if let Some(report) = &self.ctx.report {
            report.borrow_mut().action("run", Some(&full), None);
        }
        let mut sub = B::new(Rc::clone(&self.ctx), full, self.level + 1);
        // A pattern with more levels than this name: only sub-benchmarks can match.
        sub.has_sub = partial;
        if sub.run1(&mut f) {
            sub.process(&mut f);
        }
        if let Some(report) = &self.ctx.report {
            let action = if sub.failed.is_some() { "fail" } else { "pass" };
            let elapsed = Duration::from_nanos(self.ctx.clock.now_ns().saturating_sub(started));
            report
                .borrow_mut()
                .action(action, Some(&sub.name), Some(elapsed));
        }
        self.add(&sub.result);
        if sub.failed.is_some() && self.failed.is_none() {
            self.failed = Some(String::new());
        }
        sub.failed.is_none()
    }

    /// Sets how many threads [`run_parallel`](B::run_parallel) starts: `p ×` [`procs`](B::procs)
    /// (Go's `SetParallelism`), for benchmarks that mostly wait. Values below 1 are ignored.
    ///
    /// ```
    /// oxprof_bench::benchmark("8x".parse()?, |b| {
    ///     b.set_parallelism(2);
    ///     b.run_parallel(|pb| while pb.next() {});
    /// });
    /// # Ok::<(), String>(())
    /// ```
    pub fn set_parallelism(&mut self, p: usize) {
        if p >= 1 {
            self.parallelism = p;
        }
    }

    /// Runs `body` on [`procs`](B::procs) threads (times [`set_parallelism`](B::set_parallelism)),
    /// sharing out the `n()` iterations: each thread sets up its own state, then loops while
    /// [`Pb::next`](crate::Pb::next) returns true. Iterations are handed out in grains of about
    /// 100 µs. ns/op is wall time for all threads together, divided by the iterations, as in
    /// Go; allocations on the workers count. Don't use the timer functions in `body`. Go's
    /// `RunParallel`; run it with `-cpu=1,2,4` to see how it scales.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let counter = AtomicU64::new(0);
    /// let r = oxprof_bench::benchmark("1000x".parse()?, |b| {
    ///     b.run_parallel(|pb| {
    ///         while pb.next() {
    ///             counter.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     });
    /// });
    /// assert_eq!(r.n, 1000);
    /// # Ok::<(), String>(())
    /// ```
    pub fn run_parallel(&mut self, body: impl Fn(&mut Pb) + Sync) {
        if self.n == 0 {
            return;
        }
        let grain = grain(self.previous_n, self.previous_ns);
        let threads = self.parallelism * self.procs;
        let handed_out = crate::parallel::run(threads, self.n, grain, &body);
        assert!(
            handed_out > self.n,
            "run_parallel: body returned before pb.next() returned false"
        );
    }

    /// Runs `f` once with `n` iterations: Go's `runN`.
    fn run_n(&mut self, f: &mut dyn FnMut(&mut B), n: u64) {
        self.n = n;
        self.loop_n = 0;
        self.loop_i = 0;
        self.loop_done = false;
        self.parallelism = 1;
        if let Some(m) = &self.ctx.monitor {
            m.set_n(n);
        }
        self.reset_timer();
        self.start_timer();
        let outcome = catch_unwind(AssertUnwindSafe(|| f(self)));
        self.stop_timer();
        self.previous_n = n;
        self.previous_ns = self.duration_ns;
        match outcome {
            Err(payload) => self.fail(panic_message(payload.as_ref())),
            Ok(()) if self.loop_n > 0 && !self.loop_done && self.failed.is_none() => self.fail(
                "benchmark function returned while B::loop_ was still true (break or return in the loop?)"
                    .to_string(),
            ),
            Ok(()) => {}
        }
    }

    fn fail(&mut self, message: String) {
        self.failed.get_or_insert(message);
        self.ctx.failed.set(true);
    }

    /// Runs the first iteration, which also finds out whether there are sub-benchmarks. Returns
    /// whether this benchmark is to be measured (Go's `run1`).
    fn run1(&mut self, f: &mut dyn FnMut(&mut B)) -> bool {
        if self.ctx.report.is_some() {
            let len = self.name.chars().count() + self.ctx.ext_len + 1;
            if len > self.ctx.max_len.get() {
                // Slack, so the column does not jump at every longer name.
                self.ctx.max_len.set(len + 8);
            }
        }
        if let Some(m) = &self.ctx.monitor {
            m.start(&self.name);
        }
        self.run_n(f, 1);
        let measure = self.failed.is_none() && !self.has_sub;
        if !measure {
            self.stop_monitor();
        }
        if let Some(message) = &self.failed {
            self.print_failure(&self.name, message);
        }
        measure
    }

    fn stop_monitor(&self) {
        if let Some(m) = &self.ctx.monitor {
            m.stop();
        }
    }

    /// Measures and reports: once per `-cpu` value and `-count` repetition, each a fresh run
    /// (the first reuses the probe run), as Go's `processBench`. Unreported, measures once.
    fn process(&mut self, f: &mut dyn FnMut(&mut B)) {
        let ctx = Rc::clone(&self.ctx);
        let Some(report) = &ctx.report else {
            self.launch(f);
            return;
        };
        report.borrow_mut().header();
        let mut any_failed = false;
        for (i, &procs) in ctx.cpu.iter().enumerate() {
            for j in 0..ctx.count {
                let mut fresh;
                let b = if i == 0 && j == 0 {
                    &mut *self
                } else {
                    fresh = B::new(Rc::clone(&ctx), self.name.clone(), self.level);
                    fresh.procs = procs;
                    if !fresh.run1(f) {
                        any_failed |= fresh.failed.is_some();
                        continue;
                    }
                    &mut fresh
                };
                b.procs = procs;
                b.launch(f);
                let bench_name = with_procs(&b.name, procs);
                if let Some(message) = &b.failed {
                    b.print_failure(&bench_name, message);
                    any_failed = true;
                    continue;
                }
                let allocs = ctx.benchmem || b.show_allocs;
                if allocs && !ctx.counting_allocs {
                    ctx.allocs_uncounted.set(true);
                }
                let mut line = b
                    .result
                    .to_bench_result(&bench_name, allocs)
                    .to_go_test_line(ctx.max_len.get());
                line.push('\n');
                report.borrow_mut().output(Some(&b.name), &line);
            }
        }
        if any_failed {
            self.failed.get_or_insert_with(String::new);
        }
    }

    fn print_failure(&self, name: &str, message: &str) {
        if let Some(report) = &self.ctx.report {
            let mut text = format!("--- FAIL: {name}\n");
            for line in message.lines() {
                text.push_str("    ");
                text.push_str(line);
                text.push('\n');
            }
            report.borrow_mut().output(Some(&self.name), &text);
        }
    }

    /// Runs with growing `n` until a run lasts `-benchtime` (or runs `-benchtime=Nx` times),
    /// keeping the last run's figures: Go's `launch`.
    fn launch(&mut self, f: &mut dyn FnMut(&mut B)) {
        // The loop_ form ramps up inside its single call, already made by run1.
        if self.loop_n == 0 {
            match self.ctx.benchtime {
                BenchTime::Count(n) => {
                    // run1 already ran one iteration.
                    if n > 1 {
                        self.run_n(f, n);
                    }
                }
                BenchTime::Duration(d) => {
                    let goal = d.as_nanos() as u64;
                    let mut n = 1;
                    while self.failed.is_none() && self.duration_ns < goal && n < MAX_ITERS {
                        let last = n;
                        n = predict_n(goal, self.n, self.duration_ns, last);
                        self.run_n(f, n);
                    }
                }
            }
        }
        self.stop_monitor();
        self.result = BenchmarkResult {
            n: self.n,
            t: Duration::from_nanos(self.duration_ns),
            bytes: self.bytes,
            mem_allocs: self.net_allocs,
            mem_bytes: self.net_bytes,
            extra: self.extra.clone(),
        };
    }

    /// Folds a sub-benchmark's per-iteration figures into this one's result, as if the
    /// sub-benchmarks ran one after another in a single iteration (Go's `add`).
    fn add(&mut self, other: &BenchmarkResult) {
        let r = &mut self.result;
        r.n = 1;
        r.t += Duration::from_nanos(other.ns_per_op());
        r.bytes = match (r.bytes, other.bytes) {
            (_, 0) => 0,
            (sum, b) => sum + b,
        };
        r.mem_allocs += other.allocs_per_op();
        r.mem_bytes += other.allocated_bytes_per_op();
    }

    /// Runs a top-level benchmark as a sub-benchmark of the run's root, and returns its result.
    pub(crate) fn run_top(
        ctx: Rc<Context>,
        name: &str,
        f: &mut dyn FnMut(&mut B),
    ) -> BenchmarkResult {
        let mut root = B::new(ctx, String::new(), 0);
        root.run(name, f);
        root.result
    }

    /// Measures `f` on its own, as the programmatic [`benchmark`](crate::benchmark) does.
    pub(crate) fn measure(ctx: Rc<Context>, f: &mut dyn FnMut(&mut B)) -> BenchmarkResult {
        let mut b = B::new(ctx, String::new(), 1);
        if b.run1(f) {
            b.launch(f);
        }
        b.result
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".to_string()
    }
}

#[cfg(test)]
mod tests;
