//! `-raw` and `-comments` against `go tool pprof` output, and the corners of pprof's
//! `Profile.String()`.

mod pprof_pipeline;

use oxprof_profile::{Function, Label, Line, Location, Mapping, Profile, Sample, ValueType};
use oxprof_report::raw::write_raw;
use pprof_pipeline::{assert_text_eq, go_testdata, golden, prepare_default, testdata};

fn raw(p: &Profile) -> String {
    let mut out = Vec::new();
    write_raw(&mut out, p).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn cpu_profile_matches_go_tool_pprof() {
    let p = prepare_default(&go_testdata("cpu.pprof"), "raw").profile;
    let want = String::from_utf8(go_testdata("golden/cpu.raw.txt")).unwrap();
    assert_text_eq(&raw(&p), &want);
}

#[test]
fn goroutine_profile_with_labels_matches_go_tool_pprof() {
    let p = prepare_default(&testdata("labels.goroutine.pprof"), "raw").profile;
    assert_text_eq(&raw(&p), &golden("labels.goroutine.raw.txt"));
}

#[test]
fn edge_profile_matches_go_tool_pprof() {
    let p = prepare_default(&testdata("edge.pprof"), "raw").profile;
    assert_text_eq(&raw(&p), &golden("edge.raw.txt"));
}

#[test]
fn empty_profile_prints_only_the_section_titles() {
    assert_eq!(
        raw(&Profile::default()),
        "Period: 0\nSamples:\n\nLocations\nMappings\n"
    );
}

#[test]
fn comments_default_type_and_short_durations() {
    let p = Profile {
        comments: vec!["first".into(), "second".into()],
        sample_type: vec![
            ValueType::new("alloc", "bytes"),
            ValueType::new("inuse", "bytes"),
        ],
        default_sample_type: "inuse".into(),
        duration_nanos: 1_500_000,
        ..Profile::default()
    };
    assert_eq!(
        raw(&p),
        "Comment: first\nComment: second\nPeriod: 0\nDuration: 1.5m\nSamples:\n\
         alloc/bytes inuse/bytes[dflt]\nLocations\nMappings\n"
    );
}

#[test]
fn labels_print_grouped_and_sorted() {
    let sample = Sample {
        location_id: vec![1],
        value: vec![-5, 120],
        label: vec![
            Label::str("worker", "b"),
            Label::num("size", 64, "bytes"),
            Label::str("phase", "gc"),
            Label::str("worker", "a"),
            Label::num("size", 8, ""),
            Label::num("pid", 7, ""),
            Label::num("delay", 1, ""),
            Label::num("delay", 2, "ms"),
        ],
    };
    let p = Profile {
        sample: vec![sample],
        ..Profile::default()
    };
    let want = "Period: 0\nSamples:\n\n         -5        120: 1 \n\
                \x20               phase:[gc] worker:[b a]\n\
                \x20               delay:[1  2 ms] pid:[7] size:[64 8]\n\
                Locations\nMappings\n";
    assert_eq!(raw(&p), want);
}

#[test]
fn locations_show_mapping_folding_inlining_and_unknown_functions() {
    let p = Profile {
        mapping: vec![Mapping {
            id: 3,
            memory_start: 0x1000,
            memory_limit: 0x2000,
            file_offset: 0x10,
            filename: "/bin/app".into(),
            build_id: "abcd".into(),
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            has_inline_frames: true,
        }],
        function: vec![Function {
            id: 9,
            name: "app::run".into(),
            system_name: "_ZN3app3run17h0E".into(),
            filename: "src/main.rs".into(),
            start_line: 10,
        }],
        location: vec![
            Location {
                id: 1,
                mapping_id: 3,
                address: 0x1234,
                line: vec![
                    Line {
                        function_id: 9,
                        line: 12,
                        column: 5,
                    },
                    Line {
                        function_id: 4,
                        line: 1,
                        column: 0,
                    },
                ],
                is_folded: true,
            },
            Location {
                id: 22,
                mapping_id: 8,
                ..Location::default()
            },
        ],
        ..Profile::default()
    };
    let want = "Period: 0\nSamples:\n\nLocations\n\
                \x20    1: 0x1234 M=3 [F] app::run src/main.rs:12 s=10(_ZN3app3run17h0E)\n\
                \x20            ??\n\
                \x20   22: 0x0 \n\
                Mappings\n\
                3: 0x1000/0x2000/0x10 /bin/app abcd [FN][FL][LN][IN]\n";
    assert_eq!(raw(&p), want);
}

#[test]
fn comments_match_go_tool_pprof() {
    let p = prepare_default(&testdata("edge.pprof"), "raw").profile;
    let mut out = Vec::new();
    oxprof_report::comments::write_comments(&mut out, &p).unwrap();
    assert_text_eq(
        &String::from_utf8(out).unwrap(),
        &golden("edge.comments.txt"),
    );
}
