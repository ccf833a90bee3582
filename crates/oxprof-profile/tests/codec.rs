//! Decoding, encoding and validating real and generated profiles, and the error paths of
//! hostile input.

use std::io::Read;
use std::path::PathBuf;

use oxprof_profile::{
    ErrorKind, Function, Label, LabelValue, Line, Location, Mapping, Profile, Sample, ValueType,
};
use proptest::prelude::*;

fn testdata(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

const REAL: [&str; 7] = [
    "go/cpu.pprof",
    "go/heap.pprof",
    "go/block.pprof",
    "go/mutex.pprof",
    "go/goroutine.pprof",
    "pprof-upstream/large.cpu",
    "pprof-upstream/sample.cpu",
];

fn decode(rel: &str) -> Profile {
    Profile::decode(&testdata(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn kind(data: &[u8]) -> ErrorKind {
    Profile::decode(data).unwrap_err().kind().clone()
}

fn invalid(data: &[u8]) -> String {
    match kind(data) {
        ErrorKind::Invalid(msg) => msg,
        other => panic!("expected an invalid-profile error, got {other:?}"),
    }
}

fn malformed(data: &[u8]) -> (usize, String) {
    match kind(data) {
        ErrorKind::Malformed { offset, reason } => (offset, reason),
        other => panic!("expected a malformed-profile error, got {other:?}"),
    }
}

fn vt(ty: &str, unit: &str) -> ValueType {
    ValueType::new(ty, unit)
}

#[test]
fn go_cpu_profile_facts() {
    let p = decode("go/cpu.pprof");
    assert_eq!(
        p.sample_type,
        [vt("samples", "count"), vt("cpu", "nanoseconds")]
    );
    assert_eq!(p.period_type, Some(vt("cpu", "nanoseconds")));
    assert_eq!(p.period, 10_000_000);
    assert_eq!(p.sample.len(), 134);
    assert!(p.time_nanos > 0 && p.duration_nanos > 0);
    // Every CPU sample is one or more 10ms ticks.
    for s in &p.sample {
        assert_eq!(s.value[1], s.value[0] * 10_000_000);
    }
    assert!(p.function.iter().any(|f| f.name == "main.hot"));
    assert!(p.function.iter().all(|f| !f.name.is_empty()));
    assert!(p.mapping[0].has_functions);
}

#[test]
fn go_heap_profile_facts() {
    let p = decode("go/heap.pprof");
    let types: Vec<_> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", t.ty, t.unit))
        .collect();
    assert_eq!(
        types,
        [
            "alloc_objects/count",
            "alloc_space/bytes",
            "inuse_objects/count",
            "inuse_space/bytes"
        ]
    );
    assert_eq!(p.period_type, Some(vt("space", "bytes")));
    assert_eq!(p.period, 524_288);
    // Go labels each allocating sample with its block size, a numeric "bytes" label.
    for s in &p.sample {
        let bytes = s.label.iter().find(|l| l.key == "bytes");
        assert_eq!(bytes.is_some(), s.value[0] != 0, "{s:?}");
        if let Some(l) = bytes {
            assert!(matches!(l.value, LabelValue::Num { num, .. } if num > 0));
        }
    }
}

#[test]
fn upstream_cpu_profiles_decode() {
    let large = decode("pprof-upstream/large.cpu");
    assert_eq!(large.sample.len(), 20430);
    assert_eq!(large.period, 10_000_000);
    let sample = decode("pprof-upstream/sample.cpu");
    assert_eq!(sample.sample.len(), 76);
}

#[test]
fn legacy_cpu_profile_is_a_clear_error() {
    let err = Profile::decode(&testdata("pprof-upstream/cppbench.cpu")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Malformed { .. }), "{err:?}");
    assert!(err.to_string().starts_with("malformed profile: "));
}

fn has_sequential_ids(p: &Profile) -> bool {
    let seq = |ids: Vec<u64>| ids.iter().enumerate().all(|(i, &id)| id == i as u64 + 1);
    seq(p.mapping.iter().map(|m| m.id).collect())
        && seq(p.location.iter().map(|l| l.id).collect())
        && seq(p.function.iter().map(|f| f.id).collect())
}

#[test]
fn real_profiles_round_trip() {
    for rel in REAL {
        let p = decode(rel);
        assert!(has_sequential_ids(&p), "{rel}");
        let raw = p.encode();
        assert_eq!(Profile::decode(&raw).unwrap(), p, "{rel} raw");
        assert_eq!(Profile::decode(&p.encode_gzip()).unwrap(), p, "{rel} gzip");
        // Our encoding of the same model is deterministic.
        assert_eq!(Profile::decode(&raw).unwrap().encode(), raw, "{rel}");
    }
}

#[test]
fn encoding_renumbers_ids_and_drops_dangling_references() {
    let p = Profile {
        sample_type: vec![vt("samples", "count")],
        sample: vec![Sample {
            location_id: vec![70, 50],
            value: vec![3],
            label: vec![],
        }],
        mapping: vec![Mapping {
            id: 9,
            filename: "/bin/app".into(),
            ..Mapping::default()
        }],
        location: vec![
            Location {
                id: 50,
                mapping_id: 9,
                line: vec![Line {
                    function_id: 1000,
                    line: 3,
                    column: 0,
                }],
                ..Location::default()
            },
            Location {
                id: 70,
                mapping_id: 12345,
                line: vec![Line {
                    function_id: 7,
                    line: 4,
                    column: 2,
                }],
                ..Location::default()
            },
        ],
        function: vec![Function {
            id: 1000,
            name: "f".into(),
            ..Function::default()
        }],
        ..Profile::default()
    };
    let q = Profile::decode(&p.encode()).unwrap();
    assert_eq!(q.sample[0].location_id, [2, 1]);
    assert_eq!(q.location[0].mapping_id, 1);
    assert_eq!(q.location[0].line[0].function_id, 1);
    assert_eq!(q.location[1].mapping_id, 0, "missing mapping encodes as 0");
    assert_eq!(q.location[1].line[0].function_id, 0);
    assert_eq!(q.location[1].line[0].column, 2);
}

// ---- hand-built wire bytes -------------------------------------------------------------

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint field.
fn fv(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3, &mut out);
    varint(v, &mut out);
    out
}

/// A length-delimited field.
fn fb(field: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3 | 2, &mut out);
    varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

fn strings(table: &[&str]) -> Vec<u8> {
    table.iter().flat_map(|s| fb(6, s.as_bytes())).collect()
}

/// samples/count with one sample of `values`, and a string table.
fn one_sample(values: &[u64]) -> Vec<u8> {
    let mut sample = Vec::new();
    for &v in values {
        sample.extend(fv(2, v));
    }
    [
        fb(1, &[fv(1, 1), fv(2, 2)].concat()),
        fb(2, &sample),
        strings(&["", "samples", "count"]),
    ]
    .concat()
}

#[test]
fn hand_built_profile_decodes() {
    let p = Profile::decode(&one_sample(&[5])).unwrap();
    assert_eq!(p.sample_type, [vt("samples", "count")]);
    assert_eq!(p.sample[0].value, [5]);
}

#[test]
fn wrong_value_count_is_invalid() {
    assert_eq!(
        invalid(&one_sample(&[5, 6, 7])),
        "sample 0 has 3 values but there are 1 sample types"
    );
}

#[test]
fn bad_string_index_is_invalid() {
    let data = [one_sample(&[1]), fv(7, 4096)].concat();
    assert_eq!(
        invalid(&data),
        "string index 4096 out of range (table has 3)"
    );
    let negative = [one_sample(&[1]), fv(14, u64::MAX)].concat();
    assert_eq!(
        invalid(&negative),
        "string index -1 out of range (table has 3)"
    );
}

#[test]
fn string_table_must_start_empty() {
    let data = [fv(12, 1), strings(&["x"])].concat();
    assert_eq!(
        invalid(&data),
        "string table entry 0 is \"x\", must be \"\""
    );
    assert!(invalid(&fv(12, 1)).contains("string table is empty"));
}

#[test]
fn zero_and_duplicate_ids_are_invalid() {
    let loc = |id: u64| fb(4, &fv(1, id));
    let base = strings(&[""]);
    assert_eq!(
        invalid(&[loc(1), loc(0), base.clone()].concat()),
        "location at index 1 has the reserved id 0"
    );
    assert_eq!(
        invalid(&[loc(3), loc(3), base.clone()].concat()),
        "duplicate location id 3"
    );
    let func = |id: u64| fb(5, &fv(1, id));
    assert_eq!(
        invalid(&[func(1 << 40), func(1 << 40), base].concat()),
        "duplicate function id 1099511627776"
    );
}

#[test]
fn dangling_references_are_invalid() {
    let loc = fb(4, &[fv(1, 7), fb(4, &fv(1, 99))].concat());
    assert_eq!(
        invalid(&[loc, strings(&[""])].concat()),
        "location 7 refers to missing function 99"
    );
    let loc = fb(4, &[fv(1, 7), fv(2, 3)].concat());
    assert_eq!(
        invalid(&[loc, strings(&[""])].concat()),
        "location 7 refers to missing mapping 3"
    );
    let data = [one_sample(&[1]), fb(2, &[fv(1, 8), fv(2, 1)].concat())].concat();
    assert_eq!(invalid(&data), "sample 1 refers to missing location 8");
}

#[test]
fn concatenated_profiles_are_invalid() {
    let p = Profile {
        time_nanos: 1,
        ..Profile::default()
    };
    let two = [p.encode(), p.encode()].concat();
    assert!(invalid(&two).starts_with("concatenated profiles detected"));
    // Go's gzip reader also reads concatenated members; so does ours.
    let two_gz = [p.encode_gzip(), p.encode_gzip()].concat();
    assert!(invalid(&two_gz).starts_with("concatenated profiles detected"));
}

#[test]
fn malformed_bytes_report_their_offset() {
    let good = one_sample(&[1]);
    // A varint that never ends.
    let data = [good.clone(), vec![0x80; 11]].concat();
    assert_eq!(malformed(&data), (good.len(), "bad varint".into()));
    // Wire type 7 for field 3.
    let data = [good.clone(), vec![3 << 3 | 7]].concat();
    assert_eq!(
        malformed(&data),
        (good.len(), "wire type 7 for field 3".into())
    );
    // A length running past the end.
    let data = [good.clone(), vec![2 << 3 | 2, 10, 0]].concat();
    let (offset, reason) = malformed(&data);
    assert_eq!(offset, good.len());
    assert!(
        reason.starts_with("truncated length-delimited field 2"),
        "{reason}"
    );
    // A nested problem is located inside the message: a sample whose location id is a string.
    let inner = fb(2, &fb(1, &[0x80]));
    let data = [good.clone(), inner].concat();
    assert_eq!(malformed(&data), (good.len() + 4, "bad varint".into()));
    // A varint where a message belongs.
    let data = [good.clone(), fv(4, 1)].concat();
    assert_eq!(
        malformed(&data),
        (
            good.len(),
            "wire type 0 for field 4, expected length-delimited".into()
        )
    );
    assert_eq!(malformed(b""), (0, "empty input".into()));
}

#[test]
fn non_utf8_strings_are_kept_lossily() {
    let data = [
        fb(5, &[fv(1, 1), fv(2, 1)].concat()),
        fb(6, b""),
        fb(6, b"f\xff"),
    ]
    .concat();
    assert_eq!(
        Profile::decode(&data).unwrap().function[0].name,
        "f\u{fffd}"
    );
}

#[test]
fn labels_without_value_are_dropped_like_pprof() {
    let label = |body: Vec<u8>| fb(3, &body);
    let sample = [
        fv(2, 1),
        label([fv(1, 3), fv(2, 4)].concat()),           // str
        label([fv(1, 3), fv(3, 9), fv(4, 5)].concat()), // num with unit
        label([fv(1, 3), fv(3, 9)].concat()),           // num without unit
        label(fv(1, 3)),                                // nothing: dropped
    ]
    .concat();
    let data = [
        fb(1, &[fv(1, 1), fv(2, 2)].concat()),
        fb(2, &sample),
        strings(&["", "samples", "count", "k", "v", "bytes"]),
    ]
    .concat();
    let p = Profile::decode(&data).unwrap();
    assert_eq!(
        p.sample[0].label,
        [
            Label::str("k", "v"),
            Label::num("k", 9, "bytes"),
            Label::num("k", 9, "")
        ]
    );
}

#[test]
fn every_prefix_decodes_or_fails_cleanly() {
    let gz = testdata("go/cpu.pprof");
    let raw = gunzip(&gz);
    for n in 0..raw.len() {
        let _ = Profile::decode(&raw[..n]);
    }
    for n in 0..gz.len() {
        let r = Profile::decode(&gz[..n]);
        if n < gz.len() {
            assert!(r.is_err(), "gzip prefix of {n} bytes decoded");
        }
    }
}

#[test]
fn corrupt_gzip_is_a_gzip_error() {
    let mut gz = testdata("go/cpu.pprof");
    let mid = gz.len() / 2;
    gz[mid] ^= 0x55;
    gz[mid + 1] ^= 0xaa;
    assert!(matches!(kind(&gz), ErrorKind::Gzip(_)), "{:?}", kind(&gz));
    assert!(matches!(kind(&[0x1f, 0x8b, 1, 2, 3]), ErrorKind::Gzip(_)));
}

#[test]
fn validate_matches_decode_rules() {
    let mut p = decode("go/heap.pprof");
    assert!(p.validate().is_ok());
    p.location[3].id = p.location[2].id;
    let dup = p.location[2].id;
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        format!("invalid profile: duplicate location id {dup}")
    );
    let p = Profile {
        sample: vec![Sample::default()],
        ..Profile::default()
    };
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        "invalid profile: 1 samples but no sample types"
    );
}

// ---- generated profiles ----------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z./]{1,8}", "\\PC{0,6}"]
}

fn value_type() -> impl Strategy<Value = ValueType> {
    (text(), text()).prop_map(|(ty, unit)| ValueType { ty, unit })
}

/// Labels pprof can carry across the wire: a non-empty string, or a number with a value or unit.
fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        (text(), "[a-z]{1,5}").prop_map(|(k, v)| Label::str(k, v)),
        (text(), any::<i64>(), text())
            .prop_filter("empty numeric label", |(_, n, u)| *n != 0 || !u.is_empty())
            .prop_map(|(k, n, u)| Label::num(k, n, u)),
    ]
}

fn profile() -> impl Strategy<Value = Profile> {
    (1usize..4, 0u64..4, 0u64..5, 0u64..7).prop_flat_map(|(types, nm, nf, nl)| {
        let mapping = (1..=nm)
            .map(|id| {
                (any::<[u64; 3]>(), text(), text(), any::<[bool; 4]>()).prop_map(
                    move |(a, filename, build_id, b)| Mapping {
                        id,
                        memory_start: a[0],
                        memory_limit: a[1],
                        file_offset: a[2],
                        filename,
                        build_id,
                        has_functions: b[0],
                        has_filenames: b[1],
                        has_line_numbers: b[2],
                        has_inline_frames: b[3],
                    },
                )
            })
            .collect::<Vec<_>>();
        let function = (1..=nf)
            .map(|id| {
                (text(), text(), text(), any::<i64>()).prop_map(move |(name, sys, file, start)| {
                    Function {
                        id,
                        name,
                        system_name: sys,
                        filename: file,
                        start_line: start,
                    }
                })
            })
            .collect::<Vec<_>>();
        let line =
            (0..=nf, any::<i64>(), any::<i64>()).prop_map(|(function_id, line, column)| Line {
                function_id,
                line,
                column,
            });
        let location = (1..=nl)
            .map(|id| {
                (
                    0..=nm,
                    any::<u64>(),
                    prop::collection::vec(line.clone(), 0..3),
                    any::<bool>(),
                )
                    .prop_map(move |(mapping_id, address, line, is_folded)| {
                        Location {
                            id,
                            mapping_id,
                            address,
                            line,
                            is_folded,
                        }
                    })
            })
            .collect::<Vec<_>>();
        let sample = (
            prop::collection::vec(1..=nl.max(1), if nl == 0 { 0..1 } else { 0..5 }),
            prop::collection::vec(any::<i64>(), types),
            prop::collection::vec(label(), 0..3),
        )
            .prop_map(|(location_id, value, label)| Sample {
                location_id,
                value,
                label,
            });
        let header = (
            prop::collection::vec(value_type(), types),
            (text(), text(), text(), text()),
            any::<[i64; 3]>(),
            prop::option::of(value_type()),
            prop::collection::vec(text(), 0..3),
        );
        (
            header,
            prop::collection::vec(sample, 0..6),
            mapping,
            location,
            function,
        )
            .prop_map(|(h, sample, mapping, location, function)| {
                let (sample_type, s, n, period_type, comments) = h;
                Profile {
                    sample_type,
                    default_sample_type: s.0,
                    sample,
                    mapping,
                    location,
                    function,
                    drop_frames: s.1,
                    keep_frames: s.2,
                    time_nanos: n[0],
                    duration_nanos: n[1],
                    period_type,
                    period: n[2],
                    comments,
                    doc_url: s.3,
                }
            })
    })
}

proptest! {
    #[test]
    fn generated_profiles_round_trip(p in profile()) {
        prop_assert!(p.validate().is_ok());
        prop_assert_eq!(&Profile::decode(&p.encode()).unwrap(), &p);
        prop_assert_eq!(&Profile::decode(&p.encode_gzip()).unwrap(), &p);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(p) = Profile::decode(&data) {
            let again = Profile::decode(&p.encode()).unwrap();
            prop_assert_eq!(again.encode(), p.encode());
        }
    }
}
