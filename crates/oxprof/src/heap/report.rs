//! The `heap` and `allocs` profiles: Go's four sample types over the sampled buckets,
//! unsampled as Go does, with a numeric `bytes` label per bucket (its average block size, as
//! in Go's) and the allocator's own frames cut off the leaf end of every stack.

use std::io::{self, Write};

use oxprof_profile::{Label, Profile, ValueType};

use super::{buckets, sampling};
use crate::profile_build::{BuildOptions, Frame, StackProfile};

/// Frames of the allocation machinery between the allocating code and the sampler. A sample's
/// stack is cut at the outermost of them, so each allocation is charged to its caller, as Go
/// charges `make` and `new` to the function that called them and cuts `growslice`: with the
/// `alloc` crate's allocation path, `RawVec` (a `Vec`'s or `String`'s growth) and the methods of
/// `Vec` and `Box` that only allocate (`with_capacity`, `push`, `reserve`, `Box::new`), but
/// nothing that runs the program's own code beneath it (`collect`, `extend`, `<Box<F> as
/// FnOnce>::call_once`): an allocation there is the program's. Besides Rust's allocation path,
/// the C allocator's entry points and C++'s `operator new`, for allocations seen by a `malloc`
/// interposer ([`hooks`](super::hooks)): those are never on a Rust allocation's sampled stack.
const ALLOCATOR_FRAMES: &str = r"^(<?oxprof::(heap|unwind)::.*|oxprof_preload::.*|__rust_(alloc|alloc_zeroed|realloc|dealloc).*|__rdl_.*|__rg_.*|<?alloc::alloc::.*|<?alloc::raw_vec::.*|<?alloc::vec::Vec<[^ ]*>>?::(with_capacity|with_capacity_in|push|reserve|reserve_exact|insert)|<?alloc::boxed::Box<[^ ]*>>?::new|<?std::alloc::.*|<std::alloc::System as .*|malloc|calloc|realloc|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|operator new.*)$";

/// The synthetic frame of samples whose stack could not be taken: the few allocations sampled
/// while the unwinder was starting, at the process's first sample.
///
/// ```
/// assert_eq!(oxprof::heap::STACK_UNAVAILABLE_FRAME, "oxprof::stack_unavailable");
/// ```
pub const STACK_UNAVAILABLE_FRAME: &str = "oxprof::stack_unavailable";

/// The heap profile: what is allocated now and what was allocated since the program started,
/// by stack; `inuse_space` is the default sample type.
///
/// Fails when [`Profiled`](super::Profiled) is not the global allocator.
///
/// ```no_run
/// oxprof::heap::profile()?.write_to(std::fs::File::create("heap.pprof")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn profile() -> io::Result<Profile> {
    build("inuse_space", Values::Unsampled)
}

/// The same samples as [`profile`], with `alloc_space` as the default sample type (Go's
/// `allocs` profile).
///
/// ```no_run
/// let allocs = oxprof::heap::allocs_profile()?;
/// assert_eq!(allocs.default_sample_type, "alloc_space");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn allocs_profile() -> io::Result<Profile> {
    build("alloc_space", Values::Unsampled)
}

/// Writes [`allocs_profile`] to `w` as gzipped `profile.proto`.
///
/// ```no_run
/// oxprof::heap::write_allocs(std::fs::File::create("allocs.pprof")?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_allocs(w: impl Write) -> io::Result<()> {
    allocs_profile()?.write_to(w)
}

/// What a profile's sample values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Values {
    /// Estimates for all allocations, as `profile.proto` carries them.
    Unsampled,
    /// The sampled allocations themselves, as Go's `debug=1` text prints them.
    Sampled,
}

pub(super) fn build(default_sample_type: &str, values: Values) -> io::Result<Profile> {
    if !super::hooks::seen() {
        return Err(io::Error::other(
            "oxprof::heap::Profiled is not the global allocator: no allocation was recorded",
        ));
    }
    let rate = sampling::rate();
    let mut stacks = StackProfile::new(
        vec![
            ValueType::new("alloc_objects", "count"),
            ValueType::new("alloc_space", "bytes"),
            ValueType::new("inuse_objects", "count"),
            ValueType::new("inuse_space", "bytes"),
        ],
        ValueType::new("space", "bytes"),
        rate as i64,
    );
    let scale = |count: u64, bytes: u64| match values {
        Values::Unsampled => sampling::unsample(count, bytes, rate),
        Values::Sampled => (count as i64, bytes as i64),
    };
    let mut frames = Vec::new();
    for bucket in buckets::snapshot() {
        let (alloc_objects, alloc_space) = scale(bucket.allocs, bucket.alloc_bytes);
        let (inuse_objects, inuse_space) = scale(
            bucket.allocs.saturating_sub(bucket.frees),
            bucket.alloc_bytes.saturating_sub(bucket.free_bytes),
        );
        if alloc_objects == 0 && inuse_objects == 0 {
            continue;
        }
        frames.clear();
        frames.extend(bucket.frames.iter().map(|&a| Frame::Address(a)));
        if frames.is_empty() {
            // Sampled before the unwinder was ready (the process's first sample starts it).
            frames.push(Frame::Synthetic(STACK_UNAVAILABLE_FRAME));
        }
        stacks.add(
            &frames,
            &[alloc_objects, alloc_space, inuse_objects, inuse_space],
            // Go's label: the bucket's average block size.
            vec![Label::num(
                "bytes",
                (bucket.alloc_bytes / bucket.allocs.max(1)) as i64,
                "bytes",
            )],
        );
    }
    let dropped = buckets::dropped();
    let mut comments = vec![format!(
        "oxprof heap profile: one sample per {rate} bytes allocated on average; profiler tables \
         {} KiB",
        buckets::memory_used() / 1024
    )];
    if dropped.buckets + dropped.blocks > 0 {
        comments.push(format!(
            "over the memory budget: {} sampled allocations without a bucket, {} sampled blocks \
             untracked (their frees are not seen)",
            dropped.buckets, dropped.blocks
        ));
    }
    let mut profile = stacks.build(&BuildOptions::snapshot(comments));
    let allocator = regex::Regex::new(ALLOCATOR_FRAMES).expect("a valid pattern");
    profile.prune(&allocator, None);
    profile.default_sample_type = default_sample_type.to_owned();
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::ALLOCATOR_FRAMES;

    #[test]
    fn allocation_machinery_is_cut_and_call_throughs_are_not() {
        let re = regex::Regex::new(ALLOCATOR_FRAMES).unwrap();
        for cut in [
            "alloc::alloc::exchange_malloc",
            "<alloc::alloc::Global as core::alloc::Allocator>::allocate",
            "<alloc::raw_vec::RawVecInner>::try_allocate_in",
            "alloc::raw_vec::RawVec<T,A>::grow_one",
            "alloc::vec::Vec<T,A>::with_capacity_in",
            "<alloc::vec::Vec<u64>>::push",
            "alloc::boxed::Box<T>::new",
            "__rust_alloc",
            "<std::alloc::System as core::alloc::global::GlobalAlloc>::alloc",
            "malloc",
            "operator new",
            "oxprof_preload::malloc::allocated",
        ] {
            assert!(re.is_match(cut), "{cut} is cut");
        }
        for kept in [
            "<alloc::boxed::Box<F,A> as core::ops::function::FnOnce<Args>>::call_once",
            // As prune sees the call-through of every thread Rust starts: up to the first `(`.
            "<alloc::boxed::Box<dyn core::ops::function::FnOnce<",
            "<alloc::vec::Vec<T> as alloc::vec::spec_from_iter::SpecFromIter<T,I>>::from_iter",
            "alloc::vec::Vec<T,A>::extend_desugared",
            "app::build_index",
            "xmalloc",
            "std::thread::spawn",
        ] {
            assert!(!re.is_match(kept), "{kept} is kept");
        }
    }
}
