//! Go's `testing.B` for Rust: benchmarks written as Go writes them, run with `go test`'s flags,
//! reported in Go's benchmark format with exact allocation counts, so Go's `benchstat` (and
//! `oxprof benchstat`) compare runs.
//!
//! A bench target with `harness = false`:
//!
//! ```toml
//! [[bench]]
//! name = "parse"
//! harness = false
//! ```
//!
//! ```no_run
//! // benches/parse.rs
//! fn process_data(b: &mut oxprof_bench::B) {
//!     let data = "1,2,3,4,5,6,7,8,9".repeat(100); // setup, not timed
//!     b.reset_timer();
//!     for _ in 0..b.n() {
//!         oxprof_bench::black_box(data.split(',').count());
//!     }
//! }
//!
//! fn parse_numbers(b: &mut oxprof_bench::B) {
//!     b.report_allocs();
//!     b.iter(|| "1,2,3".split(',').map(|s| s.parse::<u32>().unwrap()).collect::<Vec<_>>());
//! }
//!
//! oxprof_bench::main!(process_data, parse_numbers);
//! ```
//!
//! `cargo bench --bench parse -- -benchmem` prints Go's header, one line per benchmark
//! (`BenchmarkProcessData-2  <b.N>  <x> ns/op  0 B/op  0 allocs/op`, columns aligned as
//! `go test` aligns them, tab-separated), then `PASS` and `ok  mycrate/parse  <seconds>s`.
//!
//! # Brief overview
//!
//! - [`B`]: the benchmark's handle: [`B::n`] and the b.N ramp-up (Go's `predictN`),
//!   [`B::loop_`] and [`B::iter`] with Go 1.24 `b.Loop` semantics, the timer, [`B::run`]
//!   sub-benchmarks, [`B::run_parallel`], [`B::set_bytes`], [`B::report_metric`].
//! - [`main!`]: the bench target's `main`; it also installs `oxprof::heap::Profiled` as the
//!   global allocator, so `B/op` and `allocs/op` are exact counts, not estimates.
//! - [`benchmark`]: measures one function from code, Go's `testing.Benchmark`.
//! - [`BenchmarkResult`]: one measurement, printed as Go prints it.
//!
//! # Flags
//!
//! As `go test` spells them, after `cargo bench --bench NAME --`: `-bench=REGEX`,
//! `-benchtime=1s|100x`, `-count=N`, `-benchmem`, `-cpu=1,2,4`, `-timeout=10m`, `-json`,
//! `-cpuprofile=F`, `-memprofile=F`, `-memprofilerate=N`, `-blockprofile=F`,
//! `-blockprofilerate=N`, `-mutexprofile=F`, `-mutexprofilefraction=N`, `-trace=F` (an
//! execution trace of the whole run, `oxprof::trace`), `-outputdir=DIR`.
//! Each may also be written `-test.NAME`; a lone argument is the `-bench` regexp. Run without
//! cargo's `--bench` (as `cargo test --benches` does), each benchmark runs once, as a check.
//!
//! `-json` prints the events `go test -json` prints (test2json's `Time`, `Action`, `Package`,
//! `Test`, `Output`, `Elapsed`): `start`, then per benchmark `run`, `output` events whose
//! `Output` fields concatenate to exactly the text output, and `pass` or `fail`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod b;
mod clock;
mod context;
mod duration;
mod flags;
mod monitor;
mod names;
mod parallel;
mod predict;
mod profiles;
mod report;
mod result;
mod runner;
mod sysinfo;

use std::fmt;
use std::io::{IsTerminal, Write};
use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

pub use b::B;
pub use parallel::Pb;
pub use result::BenchmarkResult;
pub use std::hint::black_box;

/// How long each benchmark runs: `-benchtime`, a duration (`1s`, the default) or a count
/// (`100x`).
///
/// ```
/// use oxprof_bench::BenchTime;
/// use std::time::Duration;
/// assert_eq!("1.5s".parse(), Ok(BenchTime::Duration(Duration::from_millis(1500))));
/// assert_eq!("100x".parse(), Ok(BenchTime::Count(100)));
/// assert_eq!("0x".parse::<BenchTime>(), Err("invalid count".to_string()));
/// assert_eq!("soon".parse::<BenchTime>(), Err("invalid duration".to_string()));
/// assert_eq!(BenchTime::default().to_string(), "1s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchTime {
    /// Grow the iteration count until a run lasts this long.
    Duration(Duration),
    /// Run exactly this many iterations.
    Count(u64),
}

impl Default for BenchTime {
    fn default() -> Self {
        BenchTime::Duration(Duration::from_secs(1))
    }
}

impl FromStr for BenchTime {
    type Err = String;

    /// Go's `-benchtime` syntax, with its error texts (`invalid count`, `invalid duration`).
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(count) = s.strip_suffix('x') {
            return match count.parse::<u64>() {
                Ok(n) if n > 0 => Ok(BenchTime::Count(n)),
                _ => Err("invalid count".to_string()),
            };
        }
        match duration::parse(s) {
            Ok(d) if !d.is_zero() => Ok(BenchTime::Duration(d)),
            _ => Err("invalid duration".to_string()),
        }
    }
}

impl fmt::Display for BenchTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchTime::Duration(d) => f.write_str(&duration::format(*d)),
            BenchTime::Count(n) => write!(f, "{n}x"),
        }
    }
}

/// A benchmark function under its Go name, as [`main!`] lists them.
///
/// ```
/// fn process_data(_: &mut oxprof_bench::B) {}
/// let b = oxprof_bench::Benchmark::new("process_data", process_data);
/// assert_eq!(b.name(), "BenchmarkProcessData");
/// ```
#[derive(Clone)]
pub struct Benchmark {
    name: String,
    f: fn(&mut B),
}

impl Benchmark {
    /// Names `f` after its Rust name: `process_data` becomes `BenchmarkProcessData` (the last
    /// path segment; a leading `bench_` is dropped; `BenchmarkX` stays as it is).
    ///
    /// ```
    /// fn bench_sort_1k(_: &mut oxprof_bench::B) {}
    /// assert_eq!(oxprof_bench::Benchmark::new("bench_sort_1k", bench_sort_1k).name(), "BenchmarkSort1k");
    /// ```
    pub fn new(function_name: &str, f: fn(&mut B)) -> Benchmark {
        Benchmark {
            name: names::go_name(function_name),
            f,
        }
    }

    /// The Go name, `BenchmarkX`.
    ///
    /// ```
    /// fn x(_: &mut oxprof_bench::B) {}
    /// assert_eq!(oxprof_bench::Benchmark::new("x", x).name(), "BenchmarkX");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Measures `f` on its own, without flags or output (Go's `testing.Benchmark`): the b.N
/// ramp-up, or the `loop_` form, to `benchtime`. A function that runs sub-benchmarks gets their
/// per-iteration figures summed, as if they ran one after another in one iteration. A
/// benchmark that panics gives an empty result.
///
/// ```
/// let r = oxprof_bench::benchmark("100x".parse()?, |b| {
///     b.iter(|| (1..=10u64).product::<u64>());
/// });
/// assert_eq!(r.n, 100);
/// println!("{r}"); // "     100        12.34 ns/op", tab-separated
/// # Ok::<(), String>(())
/// ```
pub fn benchmark(benchtime: BenchTime, mut f: impl FnMut(&mut B)) -> BenchmarkResult {
    let ctx = context::Context::quiet(Box::new(clock::Monotonic::new()), benchtime);
    B::measure(Rc::new(ctx), &mut f)
}

/// Runs a bench target's benchmarks as `go test -bench` would, given the arguments after the
/// program name: parses the flags, runs what `-bench` selects, prints Go's format to `stdout`
/// and problems to `stderr`, writes the profiles asked for. Returns the exit status: 0, 1 when
/// a benchmark failed, 2 for bad flags or profiles that could not be written. [`main!`] calls
/// this with the process's own arguments and streams.
///
/// ```
/// fn noop(b: &mut oxprof_bench::B) {
///     for _ in 0..b.n() {}
/// }
/// let args = ["--bench", "-benchtime=10x", "-cpu=1"].map(String::from);
/// let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// # struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
/// # impl std::io::Write for Shared {
/// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.borrow_mut().write(b) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// let benches = [oxprof_bench::Benchmark::new("noop", noop)];
/// let status = oxprof_bench::run(&args, "demo", &benches, Box::new(Shared(out.clone())), &mut std::io::sink());
/// assert_eq!(status, 0);
/// let text = String::from_utf8(out.borrow().clone()).unwrap();
/// assert!(text.contains("\nBenchmarkNoop \t      10\t"), "{text}");
/// ```
pub fn run(
    args: &[String],
    pkg: &str,
    benchmarks: &[Benchmark],
    stdout: Box<dyn Write>,
    stderr: &mut dyn Write,
) -> i32 {
    runner::run(args, pkg, benchmarks, stdout, stderr, false)
}

/// [`run`] with the process's arguments, stdout and stderr (with a progress line when stderr
/// is a terminal), then exits with its status. What [`main!`] expands to.
///
/// ```no_run
/// fn noop(b: &mut oxprof_bench::B) {}
/// oxprof_bench::run_and_exit("mycrate/bench", &[oxprof_bench::Benchmark::new("noop", noop)]);
/// ```
pub fn run_and_exit(pkg: &str, benchmarks: &[Benchmark]) -> ! {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let progress = std::io::stderr().is_terminal();
    let status = runner::run(
        &args,
        pkg,
        benchmarks,
        Box::new(std::io::stdout()),
        &mut std::io::stderr(),
        progress,
    );
    std::process::exit(status)
}

/// The `main` of a `harness = false` bench target: `oxprof_bench::main!(bench_a, bench_b);`.
///
/// Each argument is a `fn(&mut B)` (a path works: `parsers::json`), reported as
/// `Benchmark` + its name in camel case. It also installs `oxprof::heap::Profiled` around the
/// system allocator as the global allocator, so `B/op` and `allocs/op` are exact and
/// `-memprofile` works. A target that sets its own global allocator writes
/// `main!(custom_allocator; bench_a, bench_b)` instead, and wraps its allocator in
/// `oxprof::heap::Profiled` for allocation counts:
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: oxprof::heap::Profiled<mimalloc::MiMalloc> = oxprof::heap::Profiled::new(mimalloc::MiMalloc);
/// oxprof_bench::main!(custom_allocator; bench_a, bench_b);
/// ```
///
/// The `pkg:` header line is the package name and the bench target's name
/// (`mycrate/parse`).
///
/// ```no_run
/// fn process_data(b: &mut oxprof_bench::B) {
///     for _ in 0..b.n() {
///         oxprof_bench::black_box(2 + 2);
///     }
/// }
/// oxprof_bench::main!(process_data);
/// ```
#[macro_export]
macro_rules! main {
    (custom_allocator; $($bench:path),+ $(,)?) => {
        fn main() {
            $crate::run_and_exit(
                concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_CRATE_NAME")),
                &[$($crate::Benchmark::new(stringify!($bench), $bench)),+],
            )
        }
    };
    ($($bench:path),+ $(,)?) => {
        #[global_allocator]
        static OXPROF_BENCH_ALLOCATOR: $crate::__private::Profiled =
            $crate::__private::Profiled::system();
        $crate::main!(custom_allocator; $($bench),+);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use oxprof::heap::Profiled;
}
