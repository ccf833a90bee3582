//! `havlak`: Hundt's loop-recognition benchmark, in the stage `-stage` names, with the
//! profiling flags of the Go blog's `havlak` programs.
//!
//! ```sh
//! cargo run --release -p havlak -- -stage=v1 -cpuprofile=v1.pprof   # then: oxprof -top v1.pprof
//! cargo run --release -p havlak -- -stage=v1 -memprofile=v1.mem.pprof
//! cargo run --release -p havlak -- -stage=tuned -benchcount=10 > tuned.txt
//! cargo run --release -p havlak -- -iterations=500 -http=:6060  # then: oxprof -http=:8080 \
//!     http://127.0.0.1:6060/debug/pprof/profile?seconds=10
//! ```

mod flags;
mod profiling;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use havlak::{Finder, Stage};
use oxprof_bench::BenchTime;

use flags::{Options, Parsed};

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("havlak: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let options = match flags::parse(std::env::args().skip(1))? {
        Parsed::Help => {
            print!("{}", flags::usage());
            return Ok(());
        }
        Parsed::Run(options) => options,
    };
    if options.version {
        let stages: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
        println!(
            "havlak {} (stages {}; tuned is v6)",
            env!("CARGO_PKG_VERSION"),
            stages.join(", ")
        );
        return Ok(());
    }
    let _endpoints = options.http.as_deref().map(serve).transpose()?;
    let profiling = profiling::Profiling::start(&options)?;
    if options.bench_count > 0 {
        bench(&options)?;
        profiling.write_heap_profile()?;
    } else {
        benchmark(&options, &profiling)?;
    }
    profiling.finish()
}

/// Go's `/debug/pprof` endpoints for as long as the program runs (`-http`).
fn serve(addr: &str) -> Result<oxprof::http::Server, String> {
    let server = oxprof::http::serve(addr).map_err(|e| e.to_string())?;
    eprintln!(
        "havlak: serving http://{}/debug/pprof/",
        server.local_addr()
    );
    Ok(server)
}

/// The benchmark as its `main` runs it, and what it found.
fn benchmark(options: &Options, profiling: &profiling::Profiling) -> Result<(), String> {
    let stage = options.stage;
    println!("havlak {stage}: {}", stage.change());
    let start = Instant::now();
    let config = havlak::Config {
        stage,
        reuse_loop_graph: options.reuse_loop_graph,
        size: options.size,
        threads: options.threads,
    };
    let (found, written) = havlak::run_then(&config, || profiling.write_heap_profile())?;
    written?;
    println!(
        "# of loops: {} (plus 1 artificial root node), nested {} deep; {} searches agree",
        found.summary.loops, found.summary.nesting, found.passes
    );
    println!("{:.2}s", start.elapsed().as_secs_f64());
    Ok(())
}

/// `-benchcount`: single searches of the large graph, each a Go benchmark result with its
/// time, bytes and allocations, for `oxprof benchstat` to compare stages. One search goes
/// first, unmeasured, so caches the stage keeps are warm as in the benchmark's later passes.
fn bench(options: &Options) -> Result<(), String> {
    let mut cfg = havlak::cfg::simple();
    havlak::cfg::add_loop_trees(&mut cfg, options.size.trees);
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    println!("goos: linux\ngoarch: {goarch}\npkg: havlak");
    let lines = havlak::on_search_stack(|| {
        let mut finder = Finder::new(options.stage, options.reuse_loop_graph);
        finder.count_loops(&cfg);
        (0..options.bench_count)
            .map(|_| {
                let result = oxprof_bench::benchmark(BenchTime::Count(1), |b| {
                    for _ in 0..b.n() {
                        black_box(finder.count_loops(&cfg));
                    }
                });
                let name = "BenchmarkFindLoops";
                result
                    .to_bench_result(name, true)
                    .to_go_test_line(name.len())
            })
            .collect::<Vec<_>>()
    })?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
