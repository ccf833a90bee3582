//! Profiles built from addresses of this very test binary and of libc, checked against what the
//! compiler, the loader and the ELF file say independently.

use std::hint::black_box;
use std::time::Instant;

use object::Object as _;
use oxprof_profile::{Function, Label, Location, Profile, ValueType};

use super::maps::{executable_entries, without_deleted_marker};
use super::{BuildOptions, Frame, StackProfile};

/// Returns the line it is written on, so tests know where DWARF should place it.
#[inline(never)]
fn my_test_fn(x: u64) -> (u64, u32) {
    (black_box(x).wrapping_mul(3), line!())
}

#[inline(never)]
fn my_other_test_fn(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x55
}

#[inline(always)]
fn inlined_callee(x: u64) -> u64 {
    let y = black_box(x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    black_box(y ^ (y >> 29))
}

#[inline(never)]
fn inlining_caller(x: u64) -> u64 {
    let a = black_box(x) + 1;
    let b = inlined_callee(a);
    black_box(b).wrapping_add(a)
}

fn address_of(f: fn(u64) -> u64) -> u64 {
    f as usize as u64
}

fn cpu_profile() -> StackProfile {
    StackProfile::new(
        vec![
            ValueType::new("samples", "count"),
            ValueType::new("cpu", "nanoseconds"),
        ],
        ValueType::new("cpu", "nanoseconds"),
        10_000_000,
    )
}

fn build(stacks: &[&[Frame]], symbolize: bool) -> Profile {
    let mut profile = cpu_profile();
    for stack in stacks {
        profile.add(stack, &[1, 10_000_000], Vec::new());
    }
    profile.build(&BuildOptions {
        symbolize,
        ..BuildOptions::default()
    })
}

fn location_at(profile: &Profile, address: u64) -> &Location {
    profile
        .location
        .iter()
        .find(|l| l.address == address)
        .unwrap_or_else(|| panic!("no location for {address:#x}"))
}

fn function(profile: &Profile, id: u64) -> &Function {
    profile
        .function
        .iter()
        .find(|f| f.id == id)
        .expect("function exists")
}

/// The functions of a location's lines, innermost first.
fn functions_at(profile: &Profile, address: u64) -> Vec<&Function> {
    location_at(profile, address)
        .line
        .iter()
        .map(|line| function(profile, line.function_id))
        .collect()
}

fn this_executable() -> String {
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    without_deleted_marker(exe.to_str().unwrap()).to_owned()
}

fn has_rust_hash_suffix(name: &str) -> bool {
    name.rsplit("::").next().is_some_and(|last| {
        last.len() == 17
            && last.starts_with('h')
            && last[1..].bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[test]
fn functions_of_this_binary_get_demangled_names_files_and_lines() {
    let (_, body_line) = my_test_fn(1);
    let leaf = my_test_fn as fn(u64) -> (u64, u32) as usize as u64;
    // A return address minus one lies inside the calling function, past its entry.
    let caller = address_of(my_other_test_fn) + 3;
    let profile = build(&[&[Frame::Address(leaf), Frame::Address(caller)]], true);

    let frames = functions_at(&profile, leaf);
    let leaf_function = frames.last().unwrap();
    assert!(
        leaf_function.name.ends_with("::my_test_fn"),
        "{leaf_function:?}"
    );
    assert!(
        !has_rust_hash_suffix(&leaf_function.name),
        "{leaf_function:?}"
    );
    assert_ne!(leaf_function.system_name, leaf_function.name);
    assert!(
        leaf_function.system_name.starts_with("_ZN") || leaf_function.system_name.starts_with("_R"),
        "{leaf_function:?}"
    );
    assert!(
        leaf_function.filename.ends_with("profile_build/tests.rs"),
        "{leaf_function:?}"
    );
    let line = location_at(&profile, leaf).line.last().unwrap().line;
    assert!(
        (i64::from(body_line) - 3..=i64::from(body_line)).contains(&line),
        "entry of my_test_fn at line {line}, body at {body_line}"
    );

    let caller_function = functions_at(&profile, caller).pop().unwrap();
    assert!(
        caller_function.name.ends_with("::my_other_test_fn"),
        "{caller_function:?}"
    );
    assert_eq!(profile.mapping[0].id, 1);
    assert!(profile.mapping[0].has_functions && profile.mapping[0].has_filenames);
    assert!(profile.mapping[0].has_line_numbers);
    profile.validate().unwrap();
}

#[test]
fn inlined_calls_become_several_lines_callee_first() {
    // Some address in the caller's first bytes runs the inlined callee's code.
    let start = address_of(inlining_caller);
    let addresses: Vec<Frame> = (0..256).map(|i| Frame::Address(start + i)).collect();
    let stacks: Vec<&[Frame]> = addresses.chunks(1).collect();
    let profile = build(&stacks, true);
    let chains: Vec<Vec<&str>> = profile
        .location
        .iter()
        .map(|l| {
            l.line
                .iter()
                .map(|line| function(&profile, line.function_id).name.as_str())
                .collect()
        })
        .collect();
    let inlined = chains.iter().find(|chain| {
        chain.len() >= 2
            && chain[0].ends_with("::inlined_callee")
            && chain[1].ends_with("::inlining_caller")
    });
    assert!(inlined.is_some(), "no inline chain among {chains:?}");
    assert!(profile.mapping[0].has_inline_frames);
}

#[test]
fn main_binary_is_mapping_one_with_the_build_id_of_proc_self_exe() {
    let profile = build(&[&[Frame::Address(address_of(my_other_test_fn))]], false);
    let main = &profile.mapping[0];
    assert_eq!(main.id, 1);
    assert_eq!(main.filename, this_executable());
    let bytes = std::fs::read("/proc/self/exe").unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let build_id = file
        .build_id()
        .unwrap()
        .expect("test binaries carry a build id");
    let hex: String = build_id.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(main.build_id, hex);
    assert!(main.memory_start < main.memory_limit);
    assert_eq!(
        location_at(&profile, address_of(my_other_test_fn)).mapping_id,
        1
    );
}

#[test]
fn mappings_are_the_executable_entries_of_proc_self_maps() {
    let profile = build(&[], false);
    let text = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut want: Vec<(u64, u64, u64, String)> = executable_entries(&text)
        .into_iter()
        .map(|e| (e.start, e.limit, e.file_offset, e.path))
        .collect();
    let mut got: Vec<(u64, u64, u64, String)> = profile
        .mapping
        .iter()
        .map(|m| {
            (
                m.memory_start,
                m.memory_limit,
                m.file_offset,
                m.filename.clone(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let ids: Vec<u64> = profile.mapping.iter().map(|m| m.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let vdso = profile
        .mapping
        .iter()
        .find(|m| m.filename == "[vdso]")
        .expect("vdso mapped");
    assert!(
        !vdso.build_id.is_empty(),
        "the loader reports the vdso's notes"
    );
}

#[test]
fn libc_addresses_map_to_libc_and_get_its_symbol() {
    let getpid = libc::getpid as unsafe extern "C" fn() -> libc::pid_t as usize as u64;
    let profile = build(&[&[Frame::Address(getpid)]], true);
    let location = location_at(&profile, getpid);
    let mapping = &profile.mapping[location.mapping_id as usize - 1];
    assert!(mapping.filename.contains("libc.so"), "{mapping:?}");
    assert!(!mapping.build_id.is_empty());
    let names: Vec<&str> = functions_at(&profile, getpid)
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        names.last().is_some_and(|n| n.contains("getpid")),
        "{names:?}"
    );
}

#[test]
fn synthetic_frames_are_locations_without_mapping_or_address() {
    let leaf = address_of(my_other_test_fn);
    let stack = [Frame::Address(leaf), Frame::Synthetic("oxprof::truncated")];
    let lost = [Frame::Synthetic("oxprof::lost_samples")];
    let profile = build(&[&stack, &lost], true);
    for (sample, name) in profile
        .sample
        .iter()
        .zip(["oxprof::truncated", "oxprof::lost_samples"])
    {
        let id = *sample.location_id.last().unwrap();
        let location = profile.location.iter().find(|l| l.id == id).unwrap();
        assert_eq!((location.mapping_id, location.address), (0, 0));
        assert_eq!(location.line.len(), 1);
        let function = function(&profile, location.line[0].function_id);
        assert_eq!(
            (function.name.as_str(), function.system_name.as_str()),
            (name, name)
        );
    }
    profile.validate().unwrap();
}

#[test]
fn identical_stacks_and_labels_merge_into_one_sample() {
    let a = address_of(my_test_fn_u64);
    let b = address_of(my_other_test_fn);
    let mut profile = cpu_profile();
    let labels = || vec![Label::str("request", "checkout")];
    profile.add(&[Frame::Address(a), Frame::Address(b)], &[1, 10], labels());
    profile.add(&[Frame::Address(a), Frame::Address(b)], &[2, 20], labels());
    profile.add(
        &[Frame::Address(a), Frame::Address(b)],
        &[4, 40],
        Vec::new(),
    );
    profile.add(&[Frame::Address(b)], &[8, 80], labels());
    let profile = profile.build(&BuildOptions::default());
    let samples: Vec<(usize, usize, Vec<i64>)> = profile
        .sample
        .iter()
        .map(|s| (s.location_id.len(), s.label.len(), s.value.clone()))
        .collect();
    assert_eq!(
        samples,
        [
            (2, 1, vec![3, 30]),
            (2, 0, vec![4, 40]),
            (1, 1, vec![8, 80])
        ]
    );
    // Both stacks share the location of `b`.
    assert_eq!(profile.location.len(), 2);
    assert_eq!(
        profile.sample[0].location_id[1],
        profile.sample[2].location_id[0]
    );
}

fn my_test_fn_u64(x: u64) -> u64 {
    my_test_fn(x).0
}

#[test]
fn without_symbolization_locations_keep_only_addresses() {
    let leaf = address_of(my_other_test_fn);
    let stack = [Frame::Address(leaf), Frame::Synthetic("oxprof::truncated")];
    let profile = build(&[&stack], false);
    let location = location_at(&profile, leaf);
    assert_eq!(location.mapping_id, 1);
    assert!(location.line.is_empty());
    assert_eq!(
        profile.function.len(),
        1,
        "only the synthetic frame's function"
    );
    assert!(profile
        .mapping
        .iter()
        .all(|m| !m.has_functions && !m.has_line_numbers));
    assert!(
        !profile.mapping[0].build_id.is_empty(),
        "offline symbolization needs the build id"
    );
    assert!(profile.comments.is_empty());
}

#[test]
fn profile_fields_validate_and_round_trip_through_gzip() {
    let stack = [
        Frame::Address(address_of(my_test_fn_u64)),
        Frame::Address(address_of(inlining_caller) + 1),
        Frame::Synthetic("oxprof::truncated"),
    ];
    let mut profile = cpu_profile();
    profile.add(&stack, &[1, 10_000_000], vec![Label::str("k", "v")]);
    let profile = profile.build(&BuildOptions {
        time_nanos: 1_700_000_000_000_000_000,
        duration_nanos: 2_000_000_000,
        comments: vec!["timer: per-thread".into()],
        symbolize: true,
    });
    assert_eq!(profile.sample_type[1], ValueType::new("cpu", "nanoseconds"));
    assert_eq!(
        profile.period_type,
        Some(ValueType::new("cpu", "nanoseconds"))
    );
    assert_eq!(profile.period, 10_000_000);
    assert_eq!(profile.time_nanos, 1_700_000_000_000_000_000);
    assert_eq!(profile.duration_nanos, 2_000_000_000);
    assert_eq!(
        profile.comments.first().map(String::as_str),
        Some("timer: per-thread")
    );
    profile.validate().unwrap();
    assert_eq!(Profile::decode(&profile.encode_gzip()).unwrap(), profile);
}

#[test]
fn symbolizes_thousands_of_addresses_across_the_binary() {
    // Addresses spread over the executable's code, as a long profile of a big program has them.
    const N: u64 = 5_000;
    let text = std::fs::read_to_string("/proc/self/maps").unwrap();
    let exe = this_executable();
    let code = executable_entries(&text)
        .into_iter()
        .find(|e| e.path == exe)
        .unwrap();
    let step = (code.limit - code.start) / N;
    let frames: Vec<Frame> = (0..N)
        .map(|i| Frame::Address(code.start + i * step))
        .collect();
    let mut profile = cpu_profile();
    for stack in frames.chunks(50) {
        profile.add(stack, &[1, 10_000_000], Vec::new());
    }
    let started = Instant::now();
    let profile = profile.build(&BuildOptions {
        symbolize: true,
        ..BuildOptions::default()
    });
    let elapsed = started.elapsed();
    let named = profile
        .location
        .iter()
        .filter(|l| !l.line.is_empty())
        .count();
    eprintln!("build() of {N} unique addresses took {elapsed:?}; {named} symbolized");
    assert_eq!(profile.location.len() as u64, N);
    assert!(
        named as u64 >= N * 9 / 10,
        "only {named} of {N} addresses symbolized"
    );
}
