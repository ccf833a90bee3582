//! The fixture's workload with no profiler in it: `plain ROUNDS`. Run as it is for the
//! baseline, and under `oxprof record` for the preload; prints the run's CPU time.

fn main() {
    let rounds = preload_overhead::rounds();
    let result = oxprof_fixture::workload(rounds);
    preload_overhead::report(result);
}
