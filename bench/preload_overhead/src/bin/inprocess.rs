//! The same workload profiled from inside by the oxprof crate, as `oxprof record` profiles it
//! from outside: `Profiled` as the global allocator and a session with a CPU profile at 100 Hz
//! and a heap profile at 512 KiB, written at exit: `inprocess ROUNDS DIR`.

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

fn main() {
    let rounds = preload_overhead::rounds();
    let dir = std::path::PathBuf::from(std::env::args().nth(2).expect("usage: inprocess ROUNDS DIR"));
    oxprof::session::start(oxprof::session::Settings {
        cpu_profile: Some(dir.join("cpu.out")),
        mem_profile: Some(dir.join("mem.out")),
        cpu_rate: 100,
        mem_profile_rate: Some(512 * 1024),
        ..Default::default()
    })
    .expect("start the session");
    let result = oxprof_fixture::workload(rounds);
    preload_overhead::report(result);
}
