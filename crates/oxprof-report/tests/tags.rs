//! `tags` against `go tool pprof -tags` output.

mod pprof_pipeline;

use oxprof_profile::{FilterOptions, Label, Profile, Sample, ValueType};
use oxprof_report::tags::write_tags;
use oxprof_report::{Options, Report};
use pprof_pipeline::{assert_text_eq, go_testdata, golden, prepare, testdata};

/// The tags report of a profile prepared as pprof prepares it.
fn tags(data: &[u8], filters: &FilterOptions, options: Options, sample_index: &str) -> String {
    let p = prepare(data, "tags", sample_index, options, filters);
    let mut out = Vec::new();
    write_tags(&mut out, &p.profile, &p.report, &p.units).unwrap();
    String::from_utf8(out).unwrap()
}

fn default_tags(data: &[u8]) -> String {
    tags(data, &FilterOptions::default(), Options::default(), "")
}

#[test]
fn string_labels_match_go_tool_pprof() {
    assert_text_eq(
        &default_tags(&testdata("labels.cpu.pprof")),
        &golden("labels.cpu.tags.txt"),
    );
    assert_text_eq(
        &default_tags(&testdata("labels.goroutine.pprof")),
        &golden("labels.goroutine.tags.txt"),
    );
}

#[test]
fn tagshow_and_taghide_match_go_tool_pprof() {
    let data = testdata("labels.goroutine.pprof");
    let show = FilterOptions {
        tagshow: "work".into(),
        ..Default::default()
    };
    assert_text_eq(
        &tags(&data, &show, Options::default(), ""),
        &golden("labels.goroutine.tags-tagshow-work.txt"),
    );
    let hide = FilterOptions {
        taghide: "work".into(),
        ..Default::default()
    };
    assert_text_eq(
        &tags(&data, &hide, Options::default(), ""),
        &golden("labels.goroutine.tags-taghide-work.txt"),
    );
}

#[test]
fn numeric_labels_match_go_tool_pprof() {
    assert_text_eq(
        &default_tags(&go_testdata("heap.pprof")),
        &golden("heap.tags.txt"),
    );
}

#[test]
fn output_unit_and_sample_index_match_go_tool_pprof() {
    let options = Options {
        output_unit: "kb".into(),
        ..Options::default()
    };
    assert_text_eq(
        &tags(
            &go_testdata("heap.pprof"),
            &FilterOptions::default(),
            options,
            "alloc_space",
        ),
        &golden("heap.tags-alloc_space-kb.txt"),
    );
}

#[test]
fn units_several_values_and_negative_values_match_go_tool_pprof() {
    let data = testdata("edge.pprof");
    assert_text_eq(&default_tags(&data), &golden("edge.tags.txt"));
    assert_text_eq(
        &tags(
            &data,
            &FilterOptions::default(),
            Options::default(),
            "contentions",
        ),
        &golden("edge.tags-contentions.txt"),
    );
}

#[test]
fn empty_profile_prints_nothing() {
    let p = Profile {
        sample_type: vec![ValueType::new("samples", "count")],
        ..Profile::default()
    };
    let report = Report::new(&p, &Options::default(), "tags").unwrap();
    let mut out = Vec::new();
    write_tags(&mut out, &p, &report, &p.num_label_units()).unwrap();
    assert!(out.is_empty());
}

#[test]
fn a_key_whose_total_is_not_positive_has_no_percentages() {
    let s = |v: i64, who: &str| Sample {
        location_id: vec![],
        value: vec![v],
        label: vec![Label::str("who", who)],
    };
    let p = Profile {
        sample_type: vec![ValueType::new("samples", "count")],
        sample: vec![s(-7, "a"), s(2, "bb")],
        ..Profile::default()
    };
    let report = Report::new(&p, &Options::default(), "tags").unwrap();
    let mut out = Vec::new();
    write_tags(&mut out, &p, &report, &p.num_label_units()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        " who: Total -5.0\n      -7.0: a\n       2.0: bb\n\n"
    );
}

#[test]
fn mean_is_ignored_as_pprof_ignores_it() {
    let data = testdata("edge.pprof");
    let mean = Options {
        mean: true,
        ..Options::default()
    };
    assert_text_eq(
        &tags(&data, &FilterOptions::default(), mean, ""),
        &golden("edge.tags.txt"),
    );
}
