//! Checks shared by the test binaries that install [`oxprof::heap::Profiled`] around another
//! allocator (one binary per allocator, since a global allocator is per binary): the counts
//! stay exact and the profile still names the allocating function.

use std::hint::black_box;

/// What the closure allocates is counted exactly, whatever allocator is underneath.
pub fn measure_is_exact() {
    let (kept, counts) = oxprof::heap::measure(|| {
        let kept = black_box(vec![7u8; 100]);
        let mut grown = black_box(Vec::<u64>::with_capacity(4));
        grown.extend(0..4);
        grown.reserve_exact(12);
        drop(black_box(grown));
        kept
    });
    // The 100-byte vector, then 32 bytes grown to 128 by realloc (a free and an allocation).
    assert_eq!(counts.allocs, 3, "{counts:?}");
    assert_eq!(counts.allocated_bytes, 100 + 32 + 128, "{counts:?}");
    assert_eq!(counts.frees, 2, "{counts:?}");
    assert_eq!(counts.freed_bytes, 32 + 128, "{counts:?}");
    assert_eq!(counts.live_bytes(), 100, "{counts:?}");
    drop(kept);
}

#[inline(never)]
fn allocate_through_the_wrapper(n: usize) -> Vec<Box<[u8]>> {
    (0..n)
        .map(|i| black_box(vec![i as u8; 256].into_boxed_slice()))
        .collect()
}

/// At rate 1 the in-use profile holds exactly the live blocks, in stacks through the function
/// that allocated them.
pub fn profile_names_the_allocating_function() {
    oxprof::heap::set_sample_rate(1);
    let kept = std::thread::spawn(|| allocate_through_the_wrapper(50))
        .join()
        .unwrap();
    let profile = oxprof::heap::profile().unwrap();
    oxprof::heap::set_sample_rate(512 * 1024);
    let inuse = profile
        .sample_type
        .iter()
        .position(|t| t.ty == "inuse_space")
        .unwrap();
    let boxes: Vec<(Vec<&str>, i64)> = profile
        .sample
        .iter()
        .filter(|sample| sample.label.iter().any(is_256_bytes))
        .map(|sample| (functions(&profile, sample), sample.value[inuse]))
        .collect();
    let charged: i64 = boxes
        .iter()
        .filter(|(stack, _)| {
            stack
                .iter()
                .any(|f| f.contains("allocate_through_the_wrapper"))
        })
        .map(|(_, bytes)| bytes)
        .sum();
    assert_eq!(charged, 50 * 256, "(stack, inuse_space): {boxes:#?}");
    drop(kept);
}

/// The functions of a sample's stack, leaf first (after the allocator's frames were cut off).
fn functions<'a>(profile: &'a oxprof::Profile, sample: &oxprof_profile::Sample) -> Vec<&'a str> {
    let location = |id| profile.location.iter().find(|l| l.id == id);
    let function = |id| profile.function.iter().find(|f| f.id == id);
    sample
        .location_id
        .iter()
        .filter_map(|&id| location(id))
        .flat_map(|location| &location.line)
        .filter_map(|line| function(line.function_id))
        .map(|f| f.name.as_str())
        .collect()
}

/// The `bytes` label of the boxes [`allocate_through_the_wrapper`] makes.
fn is_256_bytes(label: &oxprof_profile::Label) -> bool {
    label.key == "bytes"
        && matches!(
            label.value,
            oxprof_profile::LabelValue::Num { num: 256, .. }
        )
}
