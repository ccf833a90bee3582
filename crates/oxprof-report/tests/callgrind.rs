//! The `callgrind` report against `go tool pprof -callgrind`, byte for byte.

mod goldens;

use goldens::{assert_golden, load};
use oxprof_profile::Granularity;
use oxprof_report::callgrind::write_callgrind;
use oxprof_report::Options;

#[test]
fn cpu_callgrind_matches_the_golden() {
    // pprof aggregates to addresses for callgrind.
    let p = load("go/cpu.pprof", Granularity::Addresses);
    let options = Options {
        sample_index: p.sample_index("").expect("default sample index"),
        ..Options::default()
    };
    let mut out = Vec::new();
    write_callgrind(&mut out, &p, &options).expect("callgrind succeeds");
    assert_golden("go/golden/cpu.callgrind.txt", &out);
}
