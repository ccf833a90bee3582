//! The `top` report against `go tool pprof -top` goldens for every bundled Go profile.

mod goldens;

use goldens::{assert_golden, load};
use oxprof_profile::Granularity;
use oxprof_report::top::write_top;
use oxprof_report::Options;

fn top(profile: &str, sample_index: &str, options: Options) -> Vec<u8> {
    let p = load(profile, Granularity::Functions);
    let options = Options {
        sample_index: p.sample_index(sample_index).expect("sample index"),
        ..options
    };
    let mut out = Vec::new();
    write_top(&mut out, &p, &options).expect("top succeeds");
    out
}

#[test]
fn cpu_top() {
    assert_golden(
        "go/golden/cpu.top.txt",
        &top("go/cpu.pprof", "", Options::default()),
    );
}

#[test]
fn cpu_top_cum() {
    let o = Options {
        cum_sort: true,
        ..Options::default()
    };
    assert_golden("go/golden/cpu.top-cum.txt", &top("go/cpu.pprof", "", o));
}

#[test]
fn cpu_top_nodecount() {
    let o = Options {
        node_count: Some(5),
        ..Options::default()
    };
    assert_golden(
        "go/golden/cpu.top-nodecount5.txt",
        &top("go/cpu.pprof", "", o),
    );
}

#[test]
fn heap_top_every_sample_type() {
    for index in [
        "alloc_objects",
        "alloc_space",
        "inuse_objects",
        "inuse_space",
    ] {
        let golden = format!("go/golden/heap.top-{index}.txt");
        assert_golden(&golden, &top("go/heap.pprof", index, Options::default()));
    }
}

#[test]
fn block_top() {
    assert_golden(
        "go/golden/block.top.txt",
        &top("go/block.pprof", "", Options::default()),
    );
    assert_golden(
        "go/golden/block.top-contentions.txt",
        &top("go/block.pprof", "contentions", Options::default()),
    );
}

#[test]
fn mutex_top() {
    assert_golden(
        "go/golden/mutex.top.txt",
        &top("go/mutex.pprof", "", Options::default()),
    );
}

#[test]
fn goroutine_top() {
    assert_golden(
        "go/golden/goroutine.top.txt",
        &top("go/goroutine.pprof", "", Options::default()),
    );
}

#[test]
fn large_upstream_top() {
    assert_golden(
        "pprof-upstream/large.top.txt",
        &top("pprof-upstream/large.cpu", "", Options::default()),
    );
}
