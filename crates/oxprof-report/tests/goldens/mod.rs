//! Loading the bundled Go profiles and comparing report output with `go tool pprof` goldens.

use oxprof_profile::{Granularity, Profile};

/// The repository's shared test data directory.
pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

/// Decodes `testdata/<path>`.
pub fn decode(path: &str) -> Profile {
    let data = std::fs::read(format!("{TESTDATA}/{path}")).expect("test profile is readable");
    Profile::decode(&data).expect("test profile decodes")
}

/// Decodes `testdata/<path>` and aggregates it to `granularity` with inlined frames kept, as
/// `go tool pprof` does before reporting.
pub fn load(path: &str, granularity: Granularity) -> Profile {
    let mut p = decode(path);
    p.aggregate_to(granularity, true, false)
        .expect("aggregation succeeds");
    p
}

/// Asserts that `actual` equals the golden `testdata/<path>` byte for byte, header included.
pub fn assert_golden(path: &str, actual: &[u8]) {
    let actual = String::from_utf8(actual.to_vec()).expect("report is UTF-8");
    let want = std::fs::read_to_string(format!("{TESTDATA}/{path}")).expect("golden is readable");
    if actual != want {
        let first = actual.lines().zip(want.lines()).position(|(a, w)| a != w);
        panic!(
            "{path} differs (first differing line: {first:?})\n--- want\n{want}\n--- got\n{actual}"
        );
    }
}
