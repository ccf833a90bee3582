//! One search of the benchmark's graph by each stage's finder, as Go benchmarks:
//! `BenchmarkFindLoops/stage=v1` ... `stage=v6`, with B/op and allocs/op.
//!
//! ```sh
//! cargo bench -p havlak --bench stages -- -count=6    # then: oxprof benchstat
//! ```
//!
//! Each sub-benchmark searches once before its timer starts, so what a stage keeps from search
//! to search (v5's cache, v6's finder and loop graph) is warm, as in the benchmark's passes.

use havlak::{Finder, Stage};
use oxprof_bench::{black_box, B};

fn find_loops(b: &mut B) {
    let mut cfg = havlak::cfg::simple();
    havlak::cfg::add_loop_trees(&mut cfg, havlak::Size::default().trees);
    for stage in Stage::ALL {
        b.run(&format!("stage={stage}"), |b| {
            let mut finder = Finder::new(stage, true);
            finder.count_loops(&cfg);
            b.report_allocs();
            b.reset_timer();
            for _ in 0..b.n() {
                black_box(finder.count_loops(&cfg));
            }
        });
    }
}

oxprof_bench::main!(find_loops);
