//! The `tree` and `peek` reports against `go tool pprof -tree` / `-peek` goldens.

mod goldens;

use goldens::{assert_golden, load};
use oxprof_profile::Granularity;
use oxprof_profile::Profile;
use oxprof_report::tree::{write_peek, write_tree};
use oxprof_report::Options;
use regex::Regex;

/// pprof's defaults for `profile`: the last sample type.
fn defaults(p: &Profile) -> Options {
    Options {
        sample_index: p.sample_index("").unwrap(),
        ..Options::default()
    }
}

#[test]
fn cpu_tree() {
    let p = load("go/cpu.pprof", Granularity::Functions);
    let mut out = Vec::new();
    write_tree(&mut out, &p, &defaults(&p)).unwrap();
    assert_golden("go/golden/cpu.tree.txt", &out);
}

#[test]
fn cpu_peek() {
    let p = load("go/cpu.pprof", Granularity::Functions);
    let mut out = Vec::new();
    write_peek(
        &mut out,
        &p,
        &defaults(&p),
        &Regex::new(r"main\.mapHeavy").unwrap(),
    )
    .unwrap();
    assert_golden("go/golden/cpu.peek-mapHeavy.txt", &out);
}

#[test]
fn peek_without_match_fails() {
    let p = load("go/cpu.pprof", Granularity::Functions);
    let err = write_peek(
        &mut Vec::new(),
        &p,
        &defaults(&p),
        &Regex::new("^nope$").unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "no matches found for regexp: ^nope$");
}
