//! `top` after the profile filters and granularities of `go tool pprof`, against its goldens:
//! percentages stay relative to the unfiltered total and the filters are listed in the header.

mod goldens;

use goldens::{assert_golden, decode, load};
use oxprof_profile::{FilterOptions, Granularity};
use oxprof_report::top::write_top;
use oxprof_report::{Options, Report};

/// `go tool pprof -top` with `filters` (as `name=value` for the header) on the CPU profile.
fn filtered_top(filters: FilterOptions, active: &[&str]) -> Vec<u8> {
    let mut p = decode("go/cpu.pprof");
    let options = Options {
        sample_index: p.sample_index("").unwrap(),
        active_filters: active.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    // As in pprof, the total is taken before focusing.
    let total = Report::new(&p, &options, "top").unwrap().total;
    let units = p.num_label_units();
    p.apply_filters(&filters, &units).unwrap();
    p.aggregate_to(Granularity::Functions, true, false).unwrap();
    let mut out = Vec::new();
    write_top(
        &mut out,
        &p,
        &Options {
            total: Some(total),
            ..options
        },
    )
    .unwrap();
    out
}

#[test]
fn focus() {
    let f = FilterOptions {
        focus: r"main\.hot".into(),
        ..Default::default()
    };
    assert_golden(
        "go/golden/cpu.top-focus-hot.txt",
        &filtered_top(f, &[r"focus=main\.hot"]),
    );
}

#[test]
fn ignore() {
    let f = FilterOptions {
        ignore: "mapassign".into(),
        ..Default::default()
    };
    assert_golden(
        "go/golden/cpu.top-ignore-map.txt",
        &filtered_top(f, &["ignore=mapassign"]),
    );
}

#[test]
fn hide() {
    let f = FilterOptions {
        hide: r"^runtime\.".into(),
        ..Default::default()
    };
    assert_golden(
        "go/golden/cpu.top-hide-runtime.txt",
        &filtered_top(f, &[r"hide=^runtime\."]),
    );
}

fn top_at(granularity: Granularity) -> Vec<u8> {
    let p = load("go/cpu.pprof", granularity);
    let options = Options {
        sample_index: p.sample_index("").unwrap(),
        ..Options::default()
    };
    let mut out = Vec::new();
    write_top(&mut out, &p, &options).unwrap();
    out
}

#[test]
fn lines() {
    assert_golden("go/golden/cpu.top-lines.txt", &top_at(Granularity::Lines));
}

#[test]
fn files() {
    assert_golden("go/golden/cpu.top-files.txt", &top_at(Granularity::Files));
}
