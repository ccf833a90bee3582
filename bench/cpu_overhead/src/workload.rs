//! The measured work: a fixed amount of hashing, small allocations and hash-map updates on each
//! of a few threads, a handful of calls deep, so every profiler has a real stack to unwind.

use std::collections::HashMap;
use std::hint::black_box;

/// Name of the outermost workload function ([`worker`]); a sample whose stack reaches it was
/// unwound through all of the workload's frames.
pub const ROOT_FUNCTION: &str = "worker";

/// How deep [`descend`] recurses above the leaf work.
const RECURSION: u32 = 6;
/// Bytes hashed per leaf call.
const BLOCK: usize = 2048;
/// Distinct keys the per-thread table holds before it starts over: keeps memory flat.
const TABLE_KEYS: usize = 4096;

/// Runs `batches` batches of work seeded by `seed` and returns a checksum, so none of it can be
/// optimised away. Each batch is the same work, whatever the profiler.
#[inline(never)]
pub fn worker(seed: u64, batches: u64) -> u64 {
    let mut table: HashMap<u64, u64> = HashMap::with_capacity(TABLE_KEYS);
    let mut block = vec![0u8; BLOCK];
    let mut checksum = 0u64;
    for i in 0..batches {
        checksum ^= batch(&mut table, &mut block, seed.wrapping_add(i));
        if table.len() >= TABLE_KEYS {
            table.clear();
        }
    }
    checksum
}

#[inline(never)]
fn batch(table: &mut HashMap<u64, u64>, block: &mut [u8], x: u64) -> u64 {
    descend(RECURSION, table, block, x)
}

/// A few frames of plain recursion, as parsers and tree walks give real programs.
#[inline(never)]
fn descend(depth: u32, table: &mut HashMap<u64, u64>, block: &mut [u8], x: u64) -> u64 {
    if depth == 0 {
        return leaf(table, block, x);
    }
    black_box(descend(depth - 1, table, block, mix(x))).wrapping_add(1)
}

#[inline(never)]
fn leaf(table: &mut HashMap<u64, u64>, block: &mut [u8], x: u64) -> u64 {
    fill(block, x);
    let digest = fnv1a(block);
    let words = split_words(block);
    count(table, &words, digest)
}

#[inline(never)]
fn fill(block: &mut [u8], mut x: u64) {
    for chunk in block.chunks_mut(8) {
        x = mix(x);
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

#[inline(never)]
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Allocates: one small vector of "words" (runs of bytes between small values) per call.
#[inline(never)]
fn split_words(block: &[u8]) -> Vec<u64> {
    block
        .split(|&b| b < 16)
        .filter(|w| !w.is_empty())
        .map(|w| w.iter().fold(0u64, |h, &b| h.rotate_left(7) ^ u64::from(b)))
        .collect()
}

#[inline(never)]
fn count(table: &mut HashMap<u64, u64>, words: &[u64], digest: u64) -> u64 {
    let mut sum = digest;
    for &w in words {
        let n = table.entry(w & 0xffff).or_insert(0);
        *n += 1;
        sum = sum.wrapping_add(*n);
    }
    sum
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}
