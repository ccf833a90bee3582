//! Garbage registers over a garbage stack: the unwinder must never crash, must stay within the
//! output, must not allocate, and must report the pc it was given.

use std::ops::Range;

use super::alloc_counter::count_allocations;
use crate::unwind::cache_pool::CachePool;
use crate::unwind::memory_map::MemoryMap;
use crate::unwind::modules::ModuleSet;
use crate::unwind::registers::StartRegisters;
use crate::unwind::snapshots::MODULES;
use crate::unwind::wake::{self, Request};
use crate::unwind::{unwind_signal_context, walk, UnwindSession};

/// xorshift64*: deterministic, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn in_range(&mut self, range: &Range<u64>) -> u64 {
        range.start + self.below(range.end - range.start)
    }
}

/// An anonymous read-write mapping, unmapped on drop.
struct Mapping {
    range: Range<u64>,
}

impl Mapping {
    fn new(len: usize) -> Mapping {
        // SAFETY: a fresh private anonymous mapping, not aliasing anything.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(address, libc::MAP_FAILED);
        let start = address as u64;
        Mapping {
            range: start..start + len as u64,
        }
    }

    /// Unmaps everything from `offset` on.
    fn unmap_above(&mut self, offset: u64) {
        let tail = self.range.start + offset;
        // SAFETY: unmaps the tail of the mapping `new` created, which nothing borrows.
        let status =
            unsafe { libc::munmap(tail as *mut libc::c_void, (self.range.end - tail) as usize) };
        assert_eq!(status, 0);
        self.range.end = tail;
    }

    fn words(&mut self) -> &mut [u64] {
        let len = (self.range.end - self.range.start) as usize / 8;
        // SAFETY: the mapping is readable, writable, aligned and owned by `self`.
        unsafe { std::slice::from_raw_parts_mut(self.range.start as *mut u64, len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` created.
        unsafe {
            libc::munmap(
                self.range.start as *mut libc::c_void,
                (self.range.end - self.range.start) as usize,
            )
        };
    }
}

fn context(pc: u64, sp: u64, fp: u64) -> libc::ucontext_t {
    // SAFETY: an all-zero ucontext_t is a valid value of the type.
    let mut context: libc::ucontext_t = unsafe { std::mem::zeroed() };
    #[cfg(target_arch = "x86_64")]
    {
        let gregs = &mut context.uc_mcontext.gregs;
        gregs[libc::REG_RIP as usize] = pc as i64;
        gregs[libc::REG_RSP as usize] = sp as i64;
        gregs[libc::REG_RBP as usize] = fp as i64;
    }
    #[cfg(target_arch = "aarch64")]
    {
        let mcontext = &mut context.uc_mcontext;
        mcontext.pc = pc;
        mcontext.sp = sp;
        mcontext.regs[29] = fp;
        mcontext.regs[30] = pc;
    }
    context
}

#[test]
fn garbage_registers_and_stacks_never_crash() {
    const ROUNDS: usize = 20_000;
    const DEPTH: usize = 64;
    const HALF: u64 = 64 * 1024;
    // Installs the fault handler that makes stale reads fail.
    let _session = UnwindSession::acquire().unwrap();
    let modules = MODULES.read().unwrap();
    let code = modules.code_ranges();
    let pool = CachePool::new(1);
    let mut cache = pool.claim(0).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // A 64 KB "stack" of random words, with the 64 KB above it mapped when the memory map is
    // read and unmapped before unwinding: the stale snapshot then vouches for memory that is
    // gone, as it does when a merged neighbour of a real stack is unmapped.
    let mut mapping = Mapping::new(2 * HALF as usize);
    let live = mapping.range.start..mapping.range.start + HALF;
    let gone = live.end..mapping.range.end;
    for word in mapping.words() {
        *word = match rng.below(4) {
            0 => {
                let range = &code[rng.below(code.len() as u64) as usize];
                rng.in_range(range)
            }
            1 => rng.in_range(&gone) & !7,
            _ => rng.next(),
        };
    }
    let stale = MemoryMap::read_current().unwrap();
    mapping.unmap_above(HALF);
    assert!(stale.stack_containing(gone.start).is_some());

    let mut deepest = 0;
    let mut walked = 0;
    let (_, allocations) = count_allocations(|| {
        for _ in 0..ROUNDS {
            let pc = match rng.below(3) {
                0 => rng.next(),
                _ => {
                    let range = &code[rng.below(code.len() as u64) as usize];
                    rng.in_range(range)
                }
            };
            let sp = match rng.below(5) {
                0 => rng.next(),
                // Near the end of the live half, where frames run into the unmapped half.
                1 => live.end - rng.below(256) * 8,
                // Unaligned, which no read may follow.
                2 => rng.in_range(&live),
                _ => rng.in_range(&live) & !7,
            };
            let fp = match rng.below(3) {
                0 => rng.next(),
                1 => rng.in_range(&gone),
                _ => rng.in_range(&live),
            };
            let start = StartRegisters::from_values(pc, sp, fp);
            let mut out = [0u64; DEPTH];
            let unwound = walk::unwind_with(&modules, &stale, &mut cache, start, 0, &mut out);
            assert!(unwound.len >= 1 && unwound.len <= DEPTH, "{unwound:?}");
            assert_eq!(out[0], pc);
            assert!(!unwound.truncated || unwound.len == DEPTH);
            deepest = deepest.max(unwound.len);
            walked += usize::from(unwound.len > 1);
        }
    });
    assert_eq!(allocations, 0);
    // The garbage stack was really walked, not rejected wholesale.
    assert!(walked > ROUNDS / 10, "only {walked} walks went past the pc");
    assert!(deepest > 1);
}

#[test]
fn garbage_signal_contexts_never_crash() {
    let _session = UnwindSession::acquire().unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let local = 0u64;
    let here = &local as *const u64 as u64;
    for _ in 0..2_000 {
        let sp = if rng.below(2) == 0 {
            rng.next()
        } else {
            here - rng.below(4096)
        };
        let mut context = context(rng.next(), sp, rng.next());
        let mut out = [0u64; 16];
        // SAFETY: `context` is a live ucontext_t; the unwinder only reads its registers.
        let unwound = unsafe { unwind_signal_context((&raw mut context).cast(), &mut out) };
        assert!(unwound.len >= 1 && unwound.len <= 16, "{unwound:?}");
    }
}

#[test]
fn a_stack_in_no_known_mapping_yields_the_pc_and_asks_for_a_fresh_map() {
    let modules = ModuleSet::build(None);
    let pool = CachePool::new(1);
    let mut cache = pool.claim(0).unwrap();
    let local = 0u64;
    let sp = &local as *const u64 as u64;
    let start = StartRegisters::here();
    let mut out = [0u64; 8];
    wake::clear(Request::Memory);
    let unwound = walk::unwind_with(
        &modules,
        &MemoryMap::default(),
        &mut cache,
        start,
        0,
        &mut out,
    );
    assert_eq!(unwound.len, 1);
    assert_eq!(out[0], start.pc);
    assert!(wake::is_pending(Request::Memory));
    // The same walk with a real map goes all the way.
    let map = MemoryMap::read_current().unwrap();
    assert!(map.stack_containing(sp).is_some());
    let unwound = walk::unwind_with(&modules, &map, &mut cache, start, 0, &mut out);
    assert!(unwound.len > 2, "{unwound:?}");
}
