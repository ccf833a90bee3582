//! The registers unwinding starts from: the context a signal interrupted, or the calling
//! thread's own registers.

use std::ffi::c_void;

use framehop::UnwindRegsNative;

/// The interrupted (or current) program counter, stack pointer and frame pointer, plus the link
/// register on aarch64. Only these take part in unwinding: framehop tracks nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StartRegisters {
    pub(super) pc: u64,
    pub(super) sp: u64,
    pub(super) fp: u64,
    #[cfg(target_arch = "aarch64")]
    pub(super) lr: u64,
}

impl StartRegisters {
    /// The registers saved in a signal's context.
    ///
    /// # Safety
    /// `ucontext` points at a `ucontext_t`, such as the third argument of an `SA_SIGINFO`
    /// handler.
    pub(super) unsafe fn from_ucontext(ucontext: *const c_void) -> StartRegisters {
        // SAFETY: forwarded from the caller.
        let context = unsafe { &*ucontext.cast::<libc::ucontext_t>() };
        #[cfg(target_arch = "x86_64")]
        {
            let gregs = &context.uc_mcontext.gregs;
            StartRegisters {
                pc: gregs[libc::REG_RIP as usize] as u64,
                sp: gregs[libc::REG_RSP as usize] as u64,
                fp: gregs[libc::REG_RBP as usize] as u64,
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            // The interrupted instruction is `pc`, not `lr`: starting from `lr` would lose the
            // leaf frame.
            let mcontext = &context.uc_mcontext;
            StartRegisters {
                pc: mcontext.pc,
                sp: mcontext.sp,
                fp: mcontext.regs[29],
                lr: mcontext.regs[30],
            }
        }
    }

    /// Registers from plain values; on aarch64 the link register is taken to be `pc`.
    #[cfg(test)]
    pub(super) fn from_values(pc: u64, sp: u64, fp: u64) -> StartRegisters {
        StartRegisters {
            pc,
            sp,
            fp,
            #[cfg(target_arch = "aarch64")]
            lr: pc,
        }
    }

    /// The calling function's registers, at the point where this is inlined into it.
    #[inline(always)]
    pub(super) fn here() -> StartRegisters {
        #[cfg(target_arch = "x86_64")]
        {
            let (pc, sp, fp): (u64, u64, u64);
            // SAFETY: only reads registers into outputs; the stack pointer is not moved.
            unsafe {
                std::arch::asm!(
                    "lea {pc}, [rip]",
                    "mov {sp}, rsp",
                    "mov {fp}, rbp",
                    pc = out(reg) pc,
                    sp = out(reg) sp,
                    fp = out(reg) fp,
                    options(nomem, nostack, preserves_flags),
                );
            }
            StartRegisters { pc, sp, fp }
        }
        #[cfg(target_arch = "aarch64")]
        {
            let (pc, sp, fp, lr): (u64, u64, u64, u64);
            // SAFETY: only reads registers into outputs; the stack pointer is not moved.
            unsafe {
                std::arch::asm!(
                    "adr {pc}, .",
                    "mov {sp}, sp",
                    "mov {fp}, x29",
                    "mov {lr}, x30",
                    pc = out(reg) pc,
                    sp = out(reg) sp,
                    fp = out(reg) fp,
                    lr = out(reg) lr,
                    options(nomem, nostack, preserves_flags),
                );
            }
            StartRegisters { pc, sp, fp, lr }
        }
    }

    /// framehop's register set. `max_code_address` lets aarch64 strip pointer-authentication
    /// bits from return addresses.
    pub(super) fn unwind_regs(&self, max_code_address: u64) -> UnwindRegsNative {
        #[cfg(target_arch = "x86_64")]
        {
            let _ = max_code_address;
            UnwindRegsNative::new(self.pc, self.sp, self.fp)
        }
        #[cfg(target_arch = "aarch64")]
        {
            use framehop::aarch64::PtrAuthMask;
            UnwindRegsNative::new_with_ptr_auth_mask(
                PtrAuthMask::from_max_known_address(max_code_address),
                self.lr,
                self.sp,
                self.fp,
            )
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("oxprof unwinds on x86_64 and aarch64 only");

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the registers `here` read, and the address of a local of the same frame.
    #[inline(never)]
    fn read_here() -> (StartRegisters, u64) {
        let local = 0u8;
        let regs = StartRegisters::here();
        (regs, std::hint::black_box(&local) as *const u8 as u64)
    }

    #[test]
    fn here_reads_this_functions_pc_and_stack() {
        let (regs, local) = read_here();
        let function = read_here as fn() -> (StartRegisters, u64) as usize as u64;
        assert!(
            regs.pc > function && regs.pc < function + 4096,
            "{regs:x?} vs {function:#x}"
        );
        // A leaf function may keep locals in the 128-byte red zone below the stack pointer.
        assert!(
            local + 128 >= regs.sp && local < regs.sp + 4096,
            "{regs:x?} vs {local:#x}"
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn from_ucontext_reads_the_saved_registers() {
        // SAFETY: an all-zero ucontext_t is a valid value of the type.
        let mut context: libc::ucontext_t = unsafe { std::mem::zeroed() };
        context.uc_mcontext.gregs[libc::REG_RIP as usize] = 0x1111;
        context.uc_mcontext.gregs[libc::REG_RSP as usize] = 0x2222;
        context.uc_mcontext.gregs[libc::REG_RBP as usize] = 0x3333;
        // SAFETY: points at a live ucontext_t.
        let regs = unsafe { StartRegisters::from_ucontext((&raw const context).cast()) };
        assert_eq!(
            regs,
            StartRegisters {
                pc: 0x1111,
                sp: 0x2222,
                fp: 0x3333
            }
        );
    }
}
