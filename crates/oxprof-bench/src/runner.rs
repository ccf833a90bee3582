//! One run of a bench target: flags in, benchmarks run in order, Go's text out, exit status.

use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

use crate::clock::Monotonic;
use crate::context::Context;
use crate::flags::{self, Config, Parsed, USAGE};
use crate::monitor::Monitor;
use crate::names::{with_procs, Filter};
use crate::report::Report;
use crate::{profiles, BenchTime, Benchmark, B};

/// Said when allocation columns were printed without anything counting allocations.
const ALLOCS_UNCOUNTED: &str = "B/op and allocs/op are 0: allocations are not counted because \
    oxprof::heap::Profiled is not the global allocator (oxprof_bench::main! installs it)";

/// Exit status for bad flags and unrecoverable setup errors, as `go test`'s.
const USAGE_ERROR: i32 = 2;

pub(crate) fn run(
    args: &[String],
    pkg: &str,
    benchmarks: &[Benchmark],
    stdout: Box<dyn Write>,
    stderr: &mut dyn Write,
    progress: bool,
) -> i32 {
    let mut config = match flags::parse(args) {
        Ok(Parsed::Run(config)) => *config,
        Ok(Parsed::Help) => {
            let _ = writeln!(stderr, "{USAGE}");
            return 0;
        }
        Err(message) => {
            let _ = writeln!(stderr, "oxprof-bench: {message}\n{USAGE}");
            return USAGE_ERROR;
        }
    };
    if config.bench.is_none() && !config.cargo_bench {
        // `cargo test --benches` runs bench targets without `--bench`: check that each
        // benchmark works, quickly, as libtest's harness does.
        config.benchtime = BenchTime::Count(1);
    }
    let pattern = config.bench.clone().unwrap_or_else(|| ".".to_string());
    let filter = match Filter::new(&pattern) {
        Ok(filter) => filter,
        Err(e) => {
            let _ = writeln!(stderr, "oxprof-bench: {}\n{USAGE}", e.0);
            return USAGE_ERROR;
        }
    };
    let started = Instant::now();
    let profiles = match profiles::start(&config) {
        Ok(p) => p,
        Err(message) => {
            let _ = writeln!(stderr, "oxprof-bench: {message}");
            return USAGE_ERROR;
        }
    };
    let monitor = Monitor::spawn(progress, config.timeout);
    let mut report = Report::new(stdout, pkg, config.json, monitor.clone());
    report.start();
    let ctx = Rc::new(context(&config, filter, report, monitor));
    let selected = select(&ctx, benchmarks);
    if selected.is_empty() {
        let _ = writeln!(
            stderr,
            "oxprof-bench: warning: no benchmarks match -bench={pattern}"
        );
    }
    for benchmark in selected {
        let mut f = benchmark.f;
        B::run_top(Rc::clone(&ctx), &benchmark.name, &mut f);
    }
    if ctx.allocs_uncounted.get() {
        let _ = writeln!(stderr, "oxprof-bench: {ALLOCS_UNCOUNTED}");
    }
    let mut status = i32::from(ctx.failed.get());
    if let Err(message) = profiles.finish() {
        let _ = writeln!(stderr, "oxprof-bench: {message}");
        status = USAGE_ERROR;
    }
    if let Some(report) = &ctx.report {
        report
            .borrow_mut()
            .trailer(ctx.failed.get(), started.elapsed());
    }
    status
}

fn context(config: &Config, filter: Filter, report: Report, monitor: Option<Monitor>) -> Context {
    let max_procs = config.cpu.iter().copied().max().unwrap_or(1);
    Context {
        benchmem: config.benchmem,
        cpu: config.cpu.clone(),
        count: config.count,
        filter: Some(filter),
        report: Some(report.into()),
        monitor,
        ext_len: with_procs("", max_procs).len(),
        ..Context::quiet(Box::new(Monotonic::new()), config.benchtime)
    }
}

/// The benchmarks `-bench` selects, with the name column sized for them as Go sizes it.
fn select<'a>(ctx: &Context, benchmarks: &'a [Benchmark]) -> Vec<&'a Benchmark> {
    let max_procs = ctx.cpu.iter().copied().max().unwrap_or(1);
    let filter = ctx.filter.as_ref();
    let selected: Vec<&Benchmark> = benchmarks
        .iter()
        .filter(|b| filter.is_none_or(|f| f.matches(&b.name).0))
        .collect();
    for b in &selected {
        let len = with_procs(&b.name, max_procs).chars().count() + ctx.ext_len + 1;
        ctx.max_len.set(ctx.max_len.get().max(len));
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(b: &mut B) {
        for _ in 0..b.n() {}
    }

    #[test]
    fn zero_allocation_columns_are_explained_when_nothing_counts() {
        // This test binary's global allocator is the system's: nothing counts allocations.
        let args: Vec<String> = ["--bench", "-benchmem", "-benchtime=2x"]
            .map(String::from)
            .into();
        let mut stderr = Vec::new();
        let status = run(
            &args,
            "t",
            &[Benchmark::new("noop", noop)],
            Box::new(std::io::sink()),
            &mut stderr,
            false,
        );
        assert_eq!(status, 0);
        let stderr = String::from_utf8(stderr).unwrap();
        assert!(
            stderr.contains("B/op and allocs/op are 0: allocations are not counted"),
            "{stderr}"
        );
    }
}
