//! The measured work: allocation-heavy loops whose allocation sequence depends only on the
//! iteration count, so every allocator sees exactly the same requests.

use std::hint::black_box;
use std::sync::{Arc, Barrier};

/// Threads of the multi-threaded workload (on a 2-core machine, so two per core).
pub const THREADS: usize = 4;
/// Blocks the mixed workload keeps live per thread; each iteration replaces one of them.
const LIVE_SLOTS: usize = 2048;

/// One of the workloads, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Small objects created and dropped in a loop: a boxed 32-byte array, a short string and a
    /// vector grown by pushing (so `realloc` too).
    Small,
    /// Sizes from 16 B to 64 KiB, about log-uniform, a rotating set of them kept live.
    Mixed,
    /// [`Workload::Mixed`] split over [`THREADS`] threads, the same total work.
    Threads,
}

impl Workload {
    pub fn parse(name: &str) -> Result<Workload, String> {
        match name {
            "small" => Ok(Workload::Small),
            "mixed" => Ok(Workload::Mixed),
            "threads" => Ok(Workload::Threads),
            _ => Err(format!("unknown workload {name:?} (small, mixed, threads)")),
        }
    }

    /// Iterations for about half a second of wall time under the system allocator on the
    /// 2-core machine the figures come from.
    pub fn default_iterations(self) -> u64 {
        match self {
            Workload::Small => 4_000_000,
            Workload::Mixed | Workload::Threads => 2_000_000,
        }
    }

    /// Runs `iterations` iterations and returns a checksum, so none of it is optimised away.
    pub fn run(self, iterations: u64) -> Result<u64, String> {
        match self {
            Workload::Small => Ok(small(iterations)),
            Workload::Mixed => Ok(mixed(1, iterations)),
            Workload::Threads => threads(iterations),
        }
    }
}

#[inline(never)]
fn small(iterations: u64) -> u64 {
    const WORDS: &str = "the quick brown fox jumps over the lazy dog, again and again";
    let mut checksum = 0u64;
    for i in 0..iterations {
        let boxed = black_box(Box::new([i as u8; 32]));
        let text = black_box(String::from(&WORDS[..8 + (i % 40) as usize]));
        let mut list = Vec::new();
        for k in 0..(i % 8) {
            list.push(k ^ i);
        }
        let list = black_box(list);
        checksum = checksum
            .wrapping_add(u64::from(boxed[3]))
            .wrapping_add(text.len() as u64)
            .wrapping_add(list.len() as u64);
    }
    checksum
}

#[inline(never)]
fn mixed(seed: u64, iterations: u64) -> u64 {
    let mut live: Vec<Vec<u8>> = (0..LIVE_SLOTS).map(|_| Vec::new()).collect();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut checksum = 0u64;
    for _ in 0..iterations {
        x = xorshift(x);
        // 16 B << 0..12: 16 B to 64 KiB, each power of two as likely, jittered within it.
        let shift = (x % 13) as u32;
        let size = (16usize << shift) - ((x >> 8) as usize % (8usize << shift));
        let mut block = Vec::<u8>::with_capacity(size);
        // Only the start of the block is written, so the allocator's own cost dominates: at
        // about 7.6 KiB per block on average this allocates tens of GB a second, sampled at
        // Go's rate tens of thousands of times a second, far more than a program that writes
        // what it allocates.
        block.extend(std::iter::repeat_n(x as u8, size.min(64)));
        let slot = (x >> 32) as usize % LIVE_SLOTS;
        if x & 3 == 0 {
            // A quarter are kept live, replacing an older block.
            live[slot] = block;
        } else {
            checksum = checksum.wrapping_add(black_box(block).capacity() as u64);
        }
    }
    checksum ^ live.iter().map(|b| b.capacity() as u64).sum::<u64>()
}

fn threads(iterations: u64) -> Result<u64, String> {
    let go = Arc::new(Barrier::new(THREADS));
    let per_thread = iterations / THREADS as u64;
    let workers: Vec<_> = (0..THREADS as u64)
        .map(|i| {
            let go = go.clone();
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || {
                    go.wait();
                    mixed(i + 2, per_thread)
                })
                .map_err(|e| format!("spawning a worker: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut checksum = 0;
    for w in workers {
        checksum ^= w.join().map_err(|_| "a worker panicked".to_string())?;
    }
    Ok(checksum)
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
