//! Heap profiles against Go's tools: `go tool pprof -top` names the allocating functions with
//! the flat values oxprof's own `-top` computes, for both the `heap` and `allocs` profiles, and
//! the `debug=1` text reads back, through oxprof's parser and Go's, as the samples it came from.

use std::alloc::{alloc, Layout};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use oxprof::Profile;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// Small enough that the 4000-byte blocks are sampled only sometimes, so unsampling matters.
const RATE: usize = 16 * 1024;

const LIVE: &str = "heap_interop::interop_live_blocks";
const FREED: &str = "heap_interop::interop_freed_blocks";

/// Blocks allocated straight through the global allocator, so that after the allocator's frames
/// are cut the allocating function is the leaf and holds the flat value.
#[inline(never)]
fn interop_live_blocks(out: &mut Vec<usize>) {
    let layout = Layout::from_size_align(4000, 8).unwrap();
    for i in 0..400u32 {
        // SAFETY: the layout has a non-zero size.
        let block = unsafe { alloc(layout) };
        assert!(!block.is_null());
        // SAFETY: the block is 4000 bytes long and ours.
        unsafe { block.write_bytes(i as u8, layout.size()) };
        out.push(block as usize);
    }
}

#[inline(never)]
fn interop_freed_blocks() -> u64 {
    let layout = Layout::from_size_align(64 * 1024, 16).unwrap();
    let mut sum = 0u64;
    for i in 0..64u64 {
        // SAFETY: the layout has a non-zero size.
        let block = unsafe { alloc(layout) };
        assert!(!block.is_null());
        // SAFETY: the block is 64 KiB long, ours, and freed with the layout it was allocated
        // with.
        unsafe {
            block.write_bytes(i as u8, layout.size());
            sum += u64::from(*block.add(i as usize));
            std::alloc::dealloc(block, layout);
        }
    }
    black_box(sum)
}

/// The allocations every test looks at, made once; the live blocks stay live.
fn workload() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    static LIVE_BLOCKS: OnceLock<Vec<usize>> = OnceLock::new();
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    LIVE_BLOCKS.get_or_init(|| {
        oxprof::heap::set_sample_rate(RATE);
        // On a thread of its own: a thread picks up a new rate at its next sample, and this
        // test's thread may have drawn a budget at the default 512 KiB, long enough (a few
        // percent of runs) to cover the whole workload unsampled.
        std::thread::spawn(|| {
            let mut blocks = Vec::with_capacity(400);
            interop_live_blocks(&mut blocks);
            black_box(interop_freed_blocks());
            blocks
        })
        .join()
        .unwrap()
    });
    guard
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("oxprof-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `go tool pprof` with `args`, or `None` when go is not installed (outside CI).
fn go_pprof(args: &[&str], file: &PathBuf) -> Option<String> {
    let mut pprof: Command = oxprof_testutil::go_pprof()?;
    let out = pprof.args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "go tool pprof {args:?}: {stderr}");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The flat column of `-top` rows by function name.
fn go_top_flat(top: &str) -> HashMap<String, String> {
    top.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let percent = fields.get(1)?;
            (fields.len() >= 6 && percent.ends_with('%'))
                .then(|| (fields[5..].join(" "), fields[0].to_owned()))
        })
        .collect()
}

/// oxprof's `-top` rows, flat column by function name, for `sample_index` ("" for the default),
/// computed as the oxprof CLI does: aggregated to functions, then the `top` report.
fn oxprof_top_flat(profile: &Profile, sample_index: &str) -> HashMap<String, String> {
    let options = oxprof_report::Options {
        sample_index: profile.sample_index(sample_index).unwrap(),
        node_fraction: 0.0,
        ..oxprof_report::Options::default()
    }
    .for_command("top");
    let mut profile = profile.clone();
    profile
        .aggregate_to(oxprof_profile::Granularity::Functions, true, false)
        .unwrap();
    let (items, _) = oxprof_report::top::text_items(&profile, &options).unwrap();
    items
        .into_iter()
        .map(|item| (item.name, item.flat_format))
        .collect()
}

fn assert_top_agrees(file: &PathBuf, profile: &Profile, sample_index: &str, function: &str) {
    // Building profiles allocates far more than the workload: no node may be dropped as small.
    let mut args = vec!["-top", "-nodefraction=0"];
    let flag = format!("-sample_index={sample_index}");
    if !sample_index.is_empty() {
        args.push(&flag);
    }
    let Some(top) = go_pprof(&args, file) else {
        return;
    };
    let go = go_top_flat(&top);
    let ours = oxprof_top_flat(profile, sample_index);
    let go_flat = go
        .get(function)
        .unwrap_or_else(|| panic!("go tool pprof {args:?} does not name {function}:\n{top}"));
    assert_ne!(go_flat, "0", "{function} holds nothing:\n{top}");
    assert_eq!(
        ours.get(function),
        Some(go_flat),
        "oxprof and go disagree on {function}:\n{top}\n{ours:?}"
    );
}

#[test]
fn go_names_the_allocating_functions_and_oxprofs_top_agrees() {
    let _serial = workload();
    let mut heap = Vec::new();
    oxprof::heap::profile()
        .unwrap()
        .write_to(&mut heap)
        .unwrap();
    let heap_file = temp_file("heap.pb.gz", &heap);
    let heap = Profile::decode(&heap).unwrap();
    assert_top_agrees(&heap_file, &heap, "inuse_space", LIVE);
    assert_top_agrees(&heap_file, &heap, "alloc_space", FREED);

    let mut allocs = Vec::new();
    oxprof::heap::write_allocs(&mut allocs).unwrap();
    let allocs_file = temp_file("allocs.pb.gz", &allocs);
    let allocs = Profile::decode(&allocs).unwrap();
    assert_eq!(allocs.default_sample_type, "alloc_space");
    // No -sample_index: both tools take the profile's default, alloc_space.
    assert_top_agrees(&allocs_file, &allocs, "", FREED);
    assert_top_agrees(&allocs_file, &allocs, "", LIVE);
    for file in [heap_file, allocs_file] {
        let _ = std::fs::remove_file(file);
    }
}

/// Sample values by stack addresses, for samples whose leaf is `function` in `named`.
fn values_by_stack(profile: &Profile) -> HashMap<Vec<u64>, Vec<i64>> {
    let address: HashMap<u64, u64> = profile.location.iter().map(|l| (l.id, l.address)).collect();
    profile
        .sample
        .iter()
        .map(|s| {
            let stack = s.location_id.iter().map(|id| address[id]).collect();
            (stack, s.value.clone())
        })
        .collect()
}

/// The leaf addresses of `function` in a symbolized profile.
fn leaf_addresses(profile: &Profile, function: &str) -> Vec<u64> {
    let named: Vec<u64> = profile
        .function
        .iter()
        .filter(|f| f.name == function)
        .map(|f| f.id)
        .collect();
    profile
        .location
        .iter()
        .filter(|l| l.line.iter().any(|line| named.contains(&line.function_id)))
        .map(|l| l.address)
        .collect()
}

/// Per sample type, the sum of the `Samples:` value rows of `go tool pprof -raw` (pprof merges
/// samples with equal stacks and labels as it loads, so rows are compared in total).
fn go_raw_totals(raw: &str) -> Vec<i64> {
    let rows: Vec<Vec<i64>> = raw
        .lines()
        .skip_while(|l| !l.starts_with("Samples:"))
        .skip(2)
        .take_while(|l| !l.starts_with("Locations"))
        .filter_map(|l| l.split_once(':'))
        .filter_map(|(values, _)| {
            values
                .split_whitespace()
                .map(|v| v.parse().ok())
                .collect::<Option<Vec<i64>>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    totals(rows.iter())
}

fn totals<'a>(rows: impl Iterator<Item = &'a Vec<i64>>) -> Vec<i64> {
    let mut sum = Vec::new();
    for row in rows {
        sum.resize(row.len().max(sum.len()), 0);
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
    sum
}

#[test]
fn text_reads_back_as_the_profile_through_oxprofs_parser_and_gos() {
    let _serial = workload();
    let mut text = Vec::new();
    oxprof::heap::write_text(&mut text).unwrap();
    let expected = oxprof::heap::profile().unwrap();
    let header = format!("@ heap/{}\n", 2 * RATE);
    let first_line = text.split(|&b| b == b'\n').next().unwrap();
    assert!(
        String::from_utf8_lossy(first_line).ends_with(header.trim_end()),
        "{}",
        String::from_utf8_lossy(&text)
    );

    let parsed = Profile::parse(&text).unwrap();
    let types: Vec<&str> = parsed.sample_type.iter().map(|t| t.ty.as_str()).collect();
    assert_eq!(
        types,
        [
            "alloc_objects",
            "alloc_space",
            "inuse_objects",
            "inuse_space"
        ]
    );
    assert_eq!(parsed.period, RATE as i64);

    // The workload's buckets do not change after it ran: their unsampled values must come back.
    let parsed_values = values_by_stack(&parsed);
    let expected_values = values_by_stack(&expected);
    for function in [LIVE, FREED] {
        let leaves = leaf_addresses(&expected, function);
        assert!(!leaves.is_empty(), "{function} is not in the profile");
        let mut seen = 0;
        for (stack, values) in &expected_values {
            if leaves.contains(&stack[0]) {
                assert_eq!(parsed_values.get(stack), Some(values), "{function}");
                seen += 1;
            }
        }
        assert!(seen > 0, "no sample of {function}");
    }

    // Go's parser reads the same text into the same values.
    let file = temp_file("heap.txt", &text);
    if let Some(raw) = go_pprof(&["-raw", "-symbolize=none"], &file) {
        let ours = totals(parsed.sample.iter().map(|s| &s.value));
        assert_eq!(ours.len(), 4);
        assert_eq!(go_raw_totals(&raw), ours, "{raw}");
    }
    let _ = std::fs::remove_file(file);
}
