//! The common tail of every legacy parser: samples given as raw address stacks become
//! [`Location`]s numbered by first use, tied to the mappings of the profile's memory map.

use std::collections::HashMap;

use super::maps;
use crate::{Label, Location, Mapping, Profile, Sample};

/// A sample whose stack is still a list of addresses, leaf first.
#[derive(Debug)]
pub(super) struct RawSample {
    pub(super) addrs: Vec<u64>,
    pub(super) value: Vec<i64>,
    pub(super) label: Vec<Label>,
}

impl RawSample {
    /// A sample without labels.
    pub(super) fn new(addrs: Vec<u64>, value: Vec<i64>) -> Self {
        RawSample {
            addrs,
            value,
            label: Vec::new(),
        }
    }
}

/// Return addresses point after the call; one byte back lands on the call instruction itself.
pub(super) fn call_sites(addrs: Vec<u64>) -> Vec<u64> {
    addrs.into_iter().map(|a| a.wrapping_sub(1)).collect()
}

/// Completes `header` (sample types, period...) with the samples, one location per distinct
/// address in order of first use, and `mappings` (from the memory map section, in file order).
pub(super) fn assemble(
    mut header: Profile,
    samples: Vec<RawSample>,
    mappings: Vec<Mapping>,
) -> Profile {
    let mut ids: HashMap<u64, u64> = HashMap::new();
    let mut addresses = Vec::new();
    header.sample = samples
        .into_iter()
        .map(|s| {
            let location_id = s
                .addrs
                .iter()
                .map(|&a| {
                    *ids.entry(a).or_insert_with(|| {
                        addresses.push(a);
                        addresses.len() as u64
                    })
                })
                .collect();
            Sample {
                location_id,
                value: s.value,
                label: s.label,
            }
        })
        .collect();
    let mut mapping = maps::massage(mappings);
    let owners = maps::assign(&mut mapping, &addresses);
    header.location = addresses
        .into_iter()
        .zip(owners)
        .enumerate()
        .map(|(i, (address, mapping_id))| Location {
            id: i as u64 + 1,
            mapping_id,
            address,
            ..Location::default()
        })
        .collect();
    header.mapping = mapping;
    set_frame_filters(&mut header);
    header
}

/// The frames pprof drops from legacy profiles by default: allocator internals for heap
/// profiles, lock internals for contention profiles, the signal handler for the rest.
fn set_frame_filters(p: &mut Profile) {
    let types: Vec<&str> = p.sample_type.iter().map(|t| t.ty.as_str()).collect();
    let (drop, keep): (&[&str], &[&str]) = match types.as_slice() {
        ["allocations", "size"]
        | ["objects", "space"]
        | ["inuse_objects", "inuse_space"]
        | ["alloc_objects", "alloc_space"]
        | ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"] => (ALLOC, ALLOC_KEEP),
        ["contentions", "delay"] => (LOCK, &[]),
        _ => (CPU_PROFILER, &[]),
    };
    p.drop_frames = drop.join("|");
    p.keep_frames = keep.join("|");
}

const ALLOC: &[&str] = &[
    // POSIX
    "calloc",
    "cfree",
    "malloc",
    "free",
    "memalign",
    "do_memalign",
    "(__)?posix_memalign",
    "pvalloc",
    "valloc",
    "realloc",
    // tcmalloc
    "tcmalloc::.*",
    "tc_calloc",
    "tc_cfree",
    "tc_malloc",
    "tc_free",
    "tc_memalign",
    "tc_posix_memalign",
    "tc_pvalloc",
    "tc_valloc",
    "tc_realloc",
    "tc_new",
    "tc_delete",
    "tc_newarray",
    "tc_deletearray",
    "tc_new_nothrow",
    "tc_newarray_nothrow",
    // macOS
    "malloc_zone_malloc",
    "malloc_zone_calloc",
    "malloc_zone_valloc",
    "malloc_zone_realloc",
    "malloc_zone_memalign",
    "malloc_zone_free",
    // Go
    r"runtime\..*",
    // others
    "BaseArena::.*",
    "(::)?do_malloc_no_errno",
    "(::)?do_malloc_pages",
    "(::)?do_malloc",
    "DoSampledAllocation",
    "MallocedMemBlock::MallocedMemBlock",
    "_M_allocate",
    "__builtin_(vec_)?delete",
    "__builtin_(vec_)?new",
    "__gnu_cxx::new_allocator::allocate",
    "__libc_malloc",
    "__malloc_alloc_template::allocate",
    "allocate",
    "cpp_alloc",
    r"operator new(\[\])?",
    "simple_alloc::allocate",
];

// Go runtime frames that matter when they sit in the middle of an allocating stack.
const ALLOC_KEEP: &[&str] = &[
    r"runtime\.panic",
    r"runtime\.reflectcall",
    r"runtime\.call[0-9]*",
];

const CPU_PROFILER: &[&str] = &[
    "ProfileData::Add",
    "ProfileData::prof_handler",
    "CpuProfiler::prof_handler",
    "__pthread_sighandler",
    "__restore",
];

const LOCK: &[&str] = &[
    "RecordLockProfileData",
    "(base::)?RecordLockProfileData.*",
    "(base::)?SubmitMutexProfileData.*",
    "(base::)?SubmitSpinLockProfileData.*",
    "(base::Mutex::)?AwaitCommon.*",
    "(base::Mutex::)?Unlock.*",
    "(base::Mutex::)?UnlockSlow.*",
    "(base::Mutex::)?ReaderUnlock.*",
    "(base::MutexLock::)?~MutexLock.*",
    "(Mutex::)?AwaitCommon.*",
    "(Mutex::)?Unlock.*",
    "(Mutex::)?UnlockSlow.*",
    "(Mutex::)?ReaderUnlock.*",
    "(MutexLock::)?~MutexLock.*",
    "(SpinLock::)?Unlock.*",
    "(SpinLock::)?SlowUnlock.*",
    "(SpinLockHolder::)?~SpinLockHolder.*",
];
