//! Legacy formats through `Profile::parse`, checked against what Go's pprof makes of the same
//! files (see `testdata/legacy/README.md` for how every golden was produced).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use oxprof_profile::{ErrorKind, LabelValue, Profile};

const GO_FILES: [&str; 4] = ["heap.txt", "mutex.txt", "block.txt", "goroutine.txt"];

fn testdata(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/legacy/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cppbench() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/pprof-upstream/cppbench.cpu"
    );
    std::fs::read(path).unwrap()
}

fn input(name: &str) -> Vec<u8> {
    if name == "cppbench.cpu" {
        cppbench()
    } else {
        testdata(name)
    }
}

fn golden(name: &str) -> String {
    String::from_utf8(testdata(name)).unwrap()
}

/// pprof's `Profile.String()` for an unsymbolized profile, then its drop/keep frame regexes.
fn dump(p: &Profile) -> String {
    let mut s = String::new();
    if let Some(pt) = &p.period_type {
        writeln!(s, "PeriodType: {} {}", pt.ty, pt.unit).unwrap();
    }
    writeln!(s, "Period: {}", p.period).unwrap();
    assert_eq!((p.time_nanos, p.duration_nanos), (0, 0));
    s.push_str("Samples:\n");
    let types: Vec<String> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", t.ty, t.unit))
        .collect();
    writeln!(s, "{}", types.join(" ")).unwrap();
    for sample in &p.sample {
        for v in &sample.value {
            write!(s, " {v:10}").unwrap();
        }
        s.push_str(": ");
        for id in &sample.location_id {
            write!(s, "{id} ").unwrap();
        }
        s.push('\n');
        let mut labels: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for l in &sample.label {
            let LabelValue::Num { num, .. } = &l.value else {
                panic!("string label")
            };
            labels.entry(&l.key).or_default().push(num.to_string());
        }
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}:[{}]", v.join(" ")))
            .collect();
        if !labels.is_empty() {
            writeln!(s, "                {}", labels.join(" ")).unwrap();
        }
    }
    s.push_str("Locations\n");
    for l in &p.location {
        assert!(l.line.is_empty() && !l.is_folded);
        let mapping = if l.mapping_id == 0 {
            String::new()
        } else {
            format!("M={} ", l.mapping_id)
        };
        writeln!(s, "{:6}: {:#x} {mapping}", l.id, l.address).unwrap();
    }
    s.push_str("Mappings\n");
    for m in &p.mapping {
        assert!(
            !m.has_functions && !m.has_filenames && !m.has_line_numbers && !m.has_inline_frames
        );
        writeln!(
            s,
            "{}: {:#x}/{:#x}/{:#x} {} {} ",
            m.id, m.memory_start, m.memory_limit, m.file_offset, m.filename, m.build_id
        )
        .unwrap();
    }
    writeln!(s, "drop={:?} keep={:?}", p.drop_frames, p.keep_frames).unwrap();
    s
}

#[test]
fn parse_matches_pprofs_parser_exactly() {
    for name in GO_FILES.iter().chain(&["cppbench.cpu"]) {
        let p = Profile::parse(&input(name)).unwrap();
        assert_eq!(dump(&p), golden(&format!("{name}.parse")), "{name}");
        p.validate().unwrap();
    }
}

/// The part of a `go tool pprof -raw` dump that survives its sample merging: per stack of
/// addresses, the summed values; and the mappings used (pprof reorders them by first use).
#[derive(Debug, PartialEq)]
struct Merged {
    header: String,
    stacks: BTreeMap<Vec<u64>, Vec<i64>>,
    mappings: Vec<String>,
}

fn merged_from_raw(raw: &str) -> Merged {
    let (head, rest) = raw.split_once("Locations\n").unwrap();
    let (locations, mappings) = rest.split_once("Mappings\n").unwrap();
    let address: HashMap<u64, u64> = locations
        .lines()
        .filter(|l| l.contains(": 0x"))
        .map(|l| {
            let (id, rest) = l.trim().split_once(": ").unwrap();
            let addr = rest.split(' ').next().unwrap().trim_start_matches("0x");
            (id.parse().unwrap(), u64::from_str_radix(addr, 16).unwrap())
        })
        .collect();
    let (header, samples) = head.split_once("Samples:\n").unwrap();
    let mut lines = samples.lines();
    let header = format!("{header}{}", lines.next().unwrap());
    let mut stacks = BTreeMap::new();
    for line in lines.filter(|l| l.contains(':') && !l.contains('[')) {
        let (values, ids) = line.split_once(':').unwrap();
        let values: Vec<i64> = values
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let stack = ids
            .split_whitespace()
            .map(|id| address[&id.parse().unwrap()])
            .collect();
        add(&mut stacks, stack, &values);
    }
    let mut mappings: Vec<String> = mappings
        .lines()
        .map(|m| m.split_once(": ").unwrap().1.trim_end().to_string())
        .collect();
    mappings.sort();
    Merged {
        header,
        stacks,
        mappings,
    }
}

fn add(stacks: &mut BTreeMap<Vec<u64>, Vec<i64>>, stack: Vec<u64>, values: &[i64]) {
    let sum = stacks.entry(stack).or_insert_with(|| vec![0; values.len()]);
    sum.iter_mut().zip(values).for_each(|(s, v)| *s += v);
}

fn merged(p: &Profile) -> Merged {
    let address = |id: &u64| p.location[*id as usize - 1].address;
    let mut stacks = BTreeMap::new();
    let mut used = vec![false; p.mapping.len()];
    for s in p.sample.iter().filter(|s| s.value.iter().any(|&v| v != 0)) {
        add(
            &mut stacks,
            s.location_id.iter().map(address).collect(),
            &s.value,
        );
        for id in &s.location_id {
            used[p.location[*id as usize - 1].mapping_id as usize - 1] = true;
        }
    }
    let pt = p.period_type.as_ref().unwrap();
    let types: Vec<String> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", t.ty, t.unit))
        .collect();
    let header = format!(
        "PeriodType: {} {}\nPeriod: {}\n{}",
        pt.ty,
        pt.unit,
        p.period,
        types.join(" ")
    );
    let mut mappings: Vec<String> = p
        .mapping
        .iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(m, _)| {
            format!(
                "{:#x}/{:#x}/{:#x} {}",
                m.memory_start, m.memory_limit, m.file_offset, m.filename
            )
            .trim_end()
            .to_string()
        })
        .collect();
    mappings.sort();
    Merged {
        header,
        stacks,
        mappings,
    }
}

#[test]
fn stacks_and_totals_match_go_tool_pprof_raw() {
    for name in GO_FILES.iter().chain(&["cppbench.cpu"]) {
        let p = Profile::parse(&input(name)).unwrap();
        let want = merged_from_raw(&golden(&format!("{name}.raw")));
        let got = merged(&p);
        assert_eq!(got, want, "{name}");
    }
    // The numbers the brief for cppbench.cpu names, spelled out.
    let p = Profile::parse(&cppbench()).unwrap();
    assert_eq!(p.period, 10_000_000);
    let total: i64 = p.sample.iter().map(|s| s.value[1]).sum();
    let raw = merged_from_raw(&golden("cppbench.cpu.raw"));
    assert_eq!(total, raw.stacks.values().map(|v| v[1]).sum::<i64>());
    assert_eq!(raw.mappings.len(), 3);
}

/// Function and `file:line` pprof shows, once it has the binary, per address.
fn symbolized_frames(raw: &str) -> HashMap<u64, (String, String)> {
    let locations = raw
        .split_once("Locations\n")
        .unwrap()
        .1
        .split_once("Mappings\n")
        .unwrap()
        .0;
    locations
        .lines()
        .filter(|l| l.contains(": 0x"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr = u64::from_str_radix(f[1].trim_start_matches("0x"), 16).unwrap();
            (addr, (f[3].to_string(), f[4].to_string()))
        })
        .collect()
}

/// The runtime's own symbolization in the `#` comment lines of a debug=1 profile: per address,
/// the function and `file:line` of each frame, inlined callees first.
fn comment_frames(text: &str) -> HashMap<u64, Vec<(String, String)>> {
    let mut frames = HashMap::new();
    for line in text.lines().filter(|l| l.starts_with("#\t0x")) {
        let f: Vec<&str> = line.split('\t').filter(|f| !f.is_empty()).collect();
        let addr = u64::from_str_radix(f[1].trim_start_matches("0x"), 16).unwrap();
        let name = &f[2][..f[2].rfind("+0x").unwrap()];
        frames
            .entry(addr)
            .or_insert_with(Vec::new)
            .push((name.to_string(), f[3].to_string()));
    }
    frames
}

#[test]
fn locations_are_the_calls_the_runtime_and_pprof_name() {
    let (mut all_checked, mut all_same_name) = (0, 0);
    for name in GO_FILES {
        let text = golden(name);
        let p = Profile::parse(text.as_bytes()).unwrap();
        let pprof = symbolized_frames(&golden(&format!("{name}.symbolized.raw")));
        let runtime = comment_frames(&text);
        // pprof lists only locations of non-zero samples; the runtime does not print goexit.
        // At an inlined call pprof names the outer function and the runtime the inlined one;
        // both give the same source line.
        let (mut checked, mut same_name) = (0, 0);
        for loc in &p.location {
            if let (Some((pprof_fn, pprof_line)), Some(runtime)) =
                (pprof.get(&loc.address), runtime.get(&loc.address))
            {
                assert_eq!(pprof_line, &runtime[0].1, "{name} {:#x}", loc.address);
                checked += 1;
                same_name += usize::from(runtime.iter().any(|(f, _)| f == pprof_fn));
            }
        }
        // The runtime also leaves out the runtime frames on top of goroutine stacks.
        assert!(
            checked * 2 >= pprof.len(),
            "{name}: only {checked} of {} compared",
            pprof.len()
        );
        all_checked += checked;
        all_same_name += same_name;
    }
    assert!(
        all_same_name * 10 >= all_checked * 8,
        "names agree at {all_same_name} of {all_checked}"
    );
}

#[test]
fn text_and_protobuf_of_one_snapshot_agree() {
    // The runtime wrote each profile twice in a row, at debug=1 and debug=0; goroutines differ
    // (the writer's own stack changes), the others hold the same samples.
    for kind in ["heap", "mutex", "block"] {
        let text = Profile::parse(&testdata(&format!("{kind}.txt"))).unwrap();
        let proto = Profile::parse(&testdata(&format!("{kind}.pprof"))).unwrap();
        assert_eq!(text.sample_type, proto.sample_type, "{kind}");
        assert_eq!(text.period_type, proto.period_type, "{kind}");
        let totals = |p: &Profile| {
            (0..p.sample_type.len())
                .map(|i| p.sample.iter().map(|s| s.value[i]).sum())
                .collect::<Vec<i64>>()
        };
        assert_eq!(totals(&text), totals(&proto), "{kind}");
    }
}

#[test]
fn protobuf_and_gzip_go_to_the_right_decoder() {
    let pprof = testdata("heap.pprof");
    assert_eq!(
        Profile::parse(&pprof).unwrap(),
        Profile::decode(&pprof).unwrap()
    );
    let text = testdata("goroutine.txt");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &text).unwrap();
    assert_eq!(
        Profile::parse(&gz.finish().unwrap()).unwrap(),
        Profile::parse(&text).unwrap()
    );
}

#[test]
fn every_prefix_parses_or_fails_cleanly() {
    for name in GO_FILES.iter().chain(&["cppbench.cpu"]) {
        let data = input(name);
        // Past the binary records of cppbench.cpu only the memory map text grows; a sparser
        // walk there keeps the test fast (the fuzz target covers the rest).
        let dense = if *name == "cppbench.cpu" {
            data.windows(4).position(|w| w == b"0040").unwrap() + 64
        } else {
            data.len()
        };
        for n in (0..dense).chain((dense..data.len()).step_by(37)) {
            if let Ok(p) = Profile::parse(&data[..n]) {
                p.validate()
                    .unwrap_or_else(|e| panic!("{name}[..{n}]: {e}"));
            }
        }
    }
}

#[test]
fn unknown_data_gets_a_one_line_error() {
    for data in [
        &b"hello world, this is not a profile"[..],
        b"\x00\x01\x02\x03",
        b"\xff\xfe",
        b"{\"json\": 1}",
        b" \n\n",
    ] {
        let err = Profile::parse(data).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::UnrecognizedFormat(_)),
            "{data:?}: {err}"
        );
        assert!(!err.to_string().contains('\n'));
    }
    assert_eq!(
        Profile::parse(b"hello world, this is not a profile")
            .unwrap_err()
            .to_string(),
        "unrecognized profile format: data starting with \"hello world, thi\""
    );
    assert!(matches!(
        Profile::parse(b"").unwrap_err().kind(),
        ErrorKind::UnrecognizedFormat(_)
    ));
    assert!(matches!(
        Profile::parse(b"\x1f\x8b\x08\x00garbage")
            .unwrap_err()
            .kind(),
        ErrorKind::Gzip(_)
    ));
}

#[test]
fn malformed_legacy_text_names_line_and_offset() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"heap profile: 1: 2 [1: 2] @ heap/8\n1: 2 [1: 2] @ 0x1\nbogus\n",
            "malformed profile: bad heap sample \"bogus\" at offset 53",
        ),
        (
            b"heap profile: 1: 2 [3: 4] @ heap/8\n0: 5 [1: 2] @ 0x1\n",
            "malformed profile: inuse count was 0 but inuse bytes was 5 at offset 35",
        ),
        (
            b"goroutine profile: total 1\n1 @ 0xzz\n",
            "malformed profile: bad goroutine count line \"1 @ 0xzz\" at offset 27",
        ),
        (
            b"--- mutex:\ncycles/second=fast\n",
            "malformed profile: bad contention attribute cycles/second=fast at offset 11",
        ),
        (
            b"--- contention:\ncycles/second=1\n1 2 @ 0x10000000000000000\n",
            "malformed profile: address 0x10000000000000000 out of range at offset 32",
        ),
    ];
    for (data, want) in cases {
        assert_eq!(Profile::parse(data).unwrap_err().to_string(), want);
    }
}

/// A gperftools CPU profile with the given word layout: two samples and a memory map.
fn cpu_profile(size: usize, big_endian: bool) -> Vec<u8> {
    let words: [u64; 17] = [
        0, 3, 0, 10_000, 0, 5, 2, 0x401010, 0x402020, 3, 1, 0x7f001000, 0, 1, 0, 0, 0,
    ];
    let mut out = Vec::new();
    // The last two words stand for nothing: the end marker is `0, 1, 0`.
    for w in &words[..15] {
        let bytes = w.to_le_bytes();
        let mut word = bytes[..size].to_vec();
        if big_endian {
            word.reverse();
        }
        out.extend(word);
    }
    out.extend(b"00400000-00500000 r-xp 00000000 08:01 7 /bin/app\n7f000000-7f100000 r-xp 00000000 08:01 8 /lib/libc.so.6\n");
    out
}

#[test]
fn cpu_profiles_in_every_word_layout() {
    let want = Profile::parse(&cpu_profile(8, false)).unwrap();
    assert_eq!(want.period, 10_000_000);
    assert_eq!(
        want.sample
            .iter()
            .map(|s| s.value.clone())
            .collect::<Vec<_>>(),
        [vec![5, 50_000_000], vec![3, 30_000_000]]
    );
    let addrs: Vec<u64> = want.location.iter().map(|l| l.address).collect();
    assert_eq!(addrs, [0x401010, 0x40201f, 0x7f001000]);
    let files: Vec<&str> = want
        .location
        .iter()
        .map(|l| &*want.mapping[l.mapping_id as usize - 1].filename)
        .collect();
    assert_eq!(files, ["/bin/app", "/bin/app", "/lib/libc.so.6"]);
    for (size, big) in [(4, false), (4, true), (8, true)] {
        assert_eq!(
            Profile::parse(&cpu_profile(size, big)).unwrap(),
            want,
            "{size} bytes, big endian {big}"
        );
    }
}
