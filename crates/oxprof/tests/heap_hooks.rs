//! The hooks as an interposer uses them (`oxprof-preload` does): exact counts off, the decision
//! taken before `malloc`, the block handed over after it, and `needs_freeing` asked before
//! each `free`. One test, so nothing else in this binary moves the global settings under it.

use std::hint::black_box;

use oxprof::heap::hooks;
use oxprof::Profile;
use oxprof_testutil::profiles::has_function;

const BLOCKS: usize = 100;
const SIZE: usize = 1000;

/// Allocates through `malloc` as an interposer would, telling the hooks.
#[inline(never)]
fn hooked_mallocs(out: &mut Vec<*mut u8>) -> usize {
    let mut handed_over = 0;
    for _ in 0..BLOCKS {
        let decision = hooks::allocating(SIZE);
        handed_over += usize::from(decision.needs_block());
        // SAFETY: malloc of a non-zero size.
        let ptr = unsafe { libc::malloc(SIZE) }.cast::<u8>();
        assert!(!ptr.is_null());
        decision.done(ptr);
        out.push(ptr);
    }
    handed_over
}

/// Frees through `free` as an interposer would; returns how many frees the hooks asked to see.
fn hooked_frees(blocks: &[*mut u8]) -> usize {
    let mut seen = 0;
    for &ptr in blocks {
        if hooks::needs_freeing(ptr) {
            seen += 1;
            hooks::freeing(ptr, 0);
        }
        // SAFETY: each block came from libc::malloc above and is freed once.
        unsafe { libc::free(ptr.cast()) };
    }
    seen
}

fn inuse_bytes_of(profile: &Profile, function: &str) -> i64 {
    let index = profile
        .sample_type
        .iter()
        .position(|t| t.ty == "inuse_space")
        .expect("an inuse_space sample type");
    profile
        .sample
        .iter()
        .filter(|sample| has_function(profile, sample, function))
        .map(|sample| sample.value[index])
        .sum()
}

#[test]
fn an_interposer_sees_every_sampled_block_and_hands_unsampled_calls_straight_on() {
    hooks::set_exact_counts(false);

    // Sampling off: no allocation needs its block, and no free needs the hooks.
    oxprof::heap::set_sample_rate(0);
    let mut unsampled = Vec::new();
    // A thread's first allocation draws its budget; with sampling off that parks it too.
    assert_eq!(hooked_mallocs(&mut unsampled), 1, "only the first draws");
    assert_eq!(hooked_frees(&unsampled), 0);

    // Every byte sampled. A thread whose budget was drawn while sampling was off looks at the
    // rate again only after 1 MiB: one big block spends that first.
    oxprof::heap::set_sample_rate(1);
    let mut primer = Vec::new();
    let decision = hooks::allocating(2 << 20);
    // SAFETY: malloc of a non-zero size.
    let big = unsafe { libc::malloc(2 << 20) }.cast::<u8>();
    decision.done(big);
    primer.push(big);
    assert_eq!(hooked_frees(&primer), 1, "the primer was sampled");

    // Now every allocation is handed over and recorded, and every free is seen.
    let mut blocks = Vec::new();
    assert_eq!(hooked_mallocs(&mut blocks), BLOCKS);
    assert!(blocks.iter().all(|&ptr| hooks::needs_freeing(ptr)));
    let profile = oxprof::heap::profile().expect("a heap profile");
    assert_eq!(
        inuse_bytes_of(&profile, "hooked_mallocs"),
        (BLOCKS * SIZE) as i64
    );

    // An address never allocated is turned away by the filter almost always.
    let strangers: Vec<Box<u64>> = (0..1000).map(|n| Box::new(black_box(n))).collect();
    let passed = strangers
        .iter()
        .filter(|b| hooks::needs_freeing((&***b as *const u64).cast_mut().cast()))
        .count();
    assert!(passed < 100, "{passed} of 1000 passed the filter");

    assert_eq!(hooked_frees(&blocks), BLOCKS);
    let profile = oxprof::heap::profile().expect("a heap profile");
    assert_eq!(inuse_bytes_of(&profile, "hooked_mallocs"), 0);
    // Nothing recorded is live any more, so the filter turns every address away.
    assert!(blocks.iter().all(|&ptr| !hooks::needs_freeing(ptr)));
}
