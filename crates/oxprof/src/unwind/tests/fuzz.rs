//! Garbage registers over a garbage stack: the unwinder must never crash, must stay within the
//! output, must not allocate, and must report the pc it was given.

use std::ops::Range;

use super::alloc_counter::count_allocations;
use crate::unwind::memory_map::MemoryMap;
use crate::unwind::snapshots::MODULES;
use crate::unwind::wake::{self, Request};
use crate::unwind::{refresh_memory_map, unwind_signal_context, walk, UnwindSession};

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
    let _session = UnwindSession::acquire().unwrap();
    let code = MODULES.read().unwrap().code_ranges();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A 64 KB "stack" of random words, a quarter of them plausible return addresses.
    let mut stack = Mapping::new(64 * 1024);
    for word in stack.words() {
        *word = if rng.below(4) == 0 {
            let range = &code[rng.below(code.len() as u64) as usize];
            rng.in_range(range)
        } else {
            rng.next()
        };
    }
    refresh_memory_map();

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
                // Near the top, where reads run off the end.
                1 => stack.range.end - rng.below(64),
                // Unaligned, which no read may follow.
                2 => rng.in_range(&stack.range),
                _ => rng.in_range(&stack.range) & !7,
            };
            let fp = match rng.below(2) {
                0 => rng.next(),
                _ => rng.in_range(&stack.range),
            };
            let mut context = context(pc, sp, fp);
            let mut out = [0u64; DEPTH];
            // SAFETY: `context` is a live ucontext_t; the unwinder only reads its registers.
            let unwound = unsafe { unwind_signal_context((&raw mut context).cast(), &mut out) };
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
fn a_stack_in_no_known_mapping_yields_the_pc_and_asks_for_a_fresh_map() {
    let modules = crate::unwind::modules::ModuleSet::build(None);
    let pool = crate::unwind::cache_pool::CachePool::new(1);
    let mut cache = pool.claim(0).unwrap();
    let local = 0u64;
    let sp = &local as *const u64 as u64;
    let start = crate::unwind::registers::StartRegisters::here();
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
