//! One stack walk: from start registers to lookup addresses, with nothing but atomics, bounds
//! checks and framehop's allocation-free unwinding in between.

use framehop::Unwinder as _;

use super::cache_pool::{self, Cache};
use super::memory_map::MemoryMap;
use super::modules::ModuleSet;
use super::registers::StartRegisters;
use super::snapshots::{MEMORY, MODULES};
use super::wake::{self, Request};
use super::{session, Unwound};

/// Unwinds from `start` into `out`, dropping the first `skip` frames. Falls back to the bare pc
/// (when not skipped) whenever a full walk is impossible: no session, no free cache, no
/// snapshot, or a stack pointer in no known stack mapping. Async-signal-safe.
pub(super) fn unwind(start: StartRegisters, skip: usize, out: &mut [u64]) -> Unwound {
    if !session::is_active() {
        return pc_only(start.pc, skip, out);
    }
    let (Some(modules), Some(memory), Some(pool)) =
        (MODULES.read(), MEMORY.read(), cache_pool::global())
    else {
        return pc_only(start.pc, skip, out);
    };
    // Threads have distinct stacks, so the stack page spreads concurrent claims over the pool.
    let Some(mut cache) = pool.claim((start.sp >> 12) as usize) else {
        return pc_only(start.pc, skip, out);
    };
    unwind_with(&modules, &memory, &mut cache, start, skip, out)
}

/// [`unwind`] with explicit snapshots and cache.
pub(super) fn unwind_with(
    modules: &ModuleSet,
    memory: &MemoryMap,
    cache: &mut Cache,
    start: StartRegisters,
    skip: usize,
    out: &mut [u64],
) -> Unwound {
    let Some(stack) = memory.stack_containing(start.sp) else {
        wake::request(Request::Memory);
        return pc_only(start.pc, skip, out);
    };
    let unwinder = modules.unwinder();
    let regs = start.unwind_regs(unwinder.max_known_code_address());
    let mut read_stack = |address| stack.read(address);
    let mut frames = unwinder.iter_frames(start.pc, regs, cache, &mut read_stack);
    let mut asked_for_modules = false;
    let mut skipped = 0;
    let mut len = 0;
    // Each step either writes a slot of `out`, skips one of `skip` frames, or ends: bounded.
    // An error is the normal end of many stacks; the frames so far are kept.
    while let Ok(Some(frame)) = frames.next() {
        let address = frame.address_for_lookup();
        if !asked_for_modules && !modules.contains(address) {
            // Unknown code: perhaps a library loaded since the snapshot.
            asked_for_modules = true;
            wake::request(Request::Modules);
        }
        if skipped < skip {
            skipped += 1;
            continue;
        }
        let Some(slot) = out.get_mut(len) else {
            return Unwound {
                len,
                truncated: true,
            };
        };
        *slot = address;
        len += 1;
    }
    Unwound {
        len,
        truncated: false,
    }
}

/// The fallback when no walk is possible: the pc alone, which is still the sample's leaf
/// (nothing when the caller asked to skip frames, since the pc is the first of them).
fn pc_only(pc: u64, skip: usize, out: &mut [u64]) -> Unwound {
    if skip > 0 {
        return Unwound {
            len: 0,
            truncated: false,
        };
    }
    match out.first_mut() {
        Some(slot) => {
            *slot = pc;
            Unwound {
                len: 1,
                truncated: false,
            }
        }
        None => Unwound {
            len: 0,
            truncated: true,
        },
    }
}
