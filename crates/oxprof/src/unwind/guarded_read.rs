//! Stack reads that survive unmapped memory.
//!
//! The bounds in `memory_map` come from a snapshot, and the kernel merges adjacent anonymous
//! mappings: a stack's mapping in the snapshot can include a neighbour that has been unmapped
//! since. A broken frame chain can point there. So each read is one load instruction in a
//! function of its own, and a `SIGSEGV`/`SIGBUS` handler that finds a fault at exactly that
//! instruction makes the function return "failed" instead. Every other fault goes to the handler
//! that was installed before (Rust's stack-overflow reporter, a crash reporter), or to the
//! default action.

use std::ffi::{c_int, c_void};
use std::io;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Reads the 8-byte word at `address`; `None` if it is not mapped. The address must be
/// aligned. Async-signal-safe, once [`install`] has run; before that a fault is fatal.
pub(super) fn read_word(address: u64) -> Option<u64> {
    let mut value = 0u64;
    // SAFETY: `guarded_load` loads from `address` (a fault there is recovered by `on_fault`)
    // and stores into `value`, a live local.
    let loaded = unsafe { guarded_load(address as *const u64, &mut value) };
    (loaded != 0).then_some(value)
}

/// Loads `*address` into `*out` and returns 1. The load is the first instruction: a fault there
/// makes `on_fault` return 0 from this function on its behalf.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "C" fn guarded_load(address: *const u64, out: *mut u64) -> u32 {
    std::arch::naked_asm!(
        "mov rax, qword ptr [rdi]",
        "mov qword ptr [rsi], rax",
        "mov eax, 1",
        "ret",
    )
}

#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
unsafe extern "C" fn guarded_load(address: *const u64, out: *mut u64) -> u32 {
    std::arch::naked_asm!("ldr x2, [x0]", "str x2, [x1]", "mov w0, #1", "ret")
}

/// If the fault in `context` is `guarded_load`'s load, makes the context return 0 from it.
///
/// # Safety
/// `context` is the `ucontext_t` of a fault being handled on this thread.
unsafe fn recover(context: *mut c_void) -> bool {
    let load = guarded_load as *const () as u64;
    // SAFETY: forwarded from the caller.
    let context = unsafe { &mut *context.cast::<libc::ucontext_t>() };
    #[cfg(target_arch = "x86_64")]
    {
        let gregs = &mut context.uc_mcontext.gregs;
        if gregs[libc::REG_RIP as usize] as u64 != load {
            return false;
        }
        // `ret` with eax = 0: the return address is on top of the stack, where `call` put it.
        let sp = gregs[libc::REG_RSP as usize] as u64;
        // SAFETY: the interrupted thread was executing the first instruction of a function it
        // called, so `sp` points at the return address that call pushed.
        gregs[libc::REG_RIP as usize] = unsafe { *(sp as *const i64) };
        gregs[libc::REG_RSP as usize] = (sp + 8) as i64;
        gregs[libc::REG_RAX as usize] = 0;
        true
    }
    #[cfg(target_arch = "aarch64")]
    {
        let mcontext = &mut context.uc_mcontext;
        if mcontext.pc != load {
            return false;
        }
        // `ret` with w0 = 0: the return address is in the link register.
        mcontext.pc = mcontext.regs[30];
        mcontext.regs[0] = 0;
        true
    }
}

/// The actions that were installed before ours, for `SIGSEGV` and `SIGBUS`.
struct Previous {
    segv: libc::sigaction,
    bus: libc::sigaction,
}

static PREVIOUS: OnceLock<Previous> = OnceLock::new();

extern "C" fn on_fault(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: `context` is this SA_SIGINFO handler's third argument.
    if unsafe { recover(context) } {
        return;
    }
    let previous = PREVIOUS.get().map(|p| {
        if signal == libc::SIGBUS {
            p.bus
        } else {
            p.segv
        }
    });
    match previous {
        Some(action)
            if action.sa_sigaction != libc::SIG_DFL && action.sa_sigaction != libc::SIG_IGN =>
        {
            // SAFETY: `action` was a handler installed for this signal, called as it expects
            // to be: with the siginfo and context when it asked for them, else the number.
            unsafe {
                if action.sa_flags & libc::SA_SIGINFO != 0 {
                    let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                        std::mem::transmute(action.sa_sigaction);
                    handler(signal, info, context);
                } else {
                    let handler: extern "C" fn(c_int) = std::mem::transmute(action.sa_sigaction);
                    handler(signal);
                }
            }
        }
        _ => {
            // Back to the default action; returning re-runs the faulting instruction, which now
            // terminates the process as if no handler had been installed.
            // SAFETY: a zeroed sigaction with SIG_DFL is a valid argument; sigaction is
            // async-signal-safe.
            unsafe {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
            }
        }
    }
}

/// Installs the fault handler for `SIGSEGV` and `SIGBUS` once per process. It stays installed:
/// a handler removed while another thread is inside `guarded_load` would turn a recoverable
/// fault into a crash.
pub(super) fn install() -> io::Result<()> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    let current = |signal| {
        // SAFETY: querying only; `old` receives the current action.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(old)
        }
    };
    // Recorded before installing, so the handler can always forward.
    let _ = PREVIOUS.set(Previous {
        segv: current(libc::SIGSEGV)?,
        bus: current(libc::SIGBUS)?,
    });
    for signal in [libc::SIGSEGV, libc::SIGBUS] {
        // SAFETY: the action is fully initialised. SA_ONSTACK as Rust's own handler has, so a
        // stack overflow still reaches it on the alternate stack.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    *installed = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A page that was mapped and no longer is.
    fn unmapped_page() -> u64 {
        // SAFETY: a fresh private anonymous page, unmapped at once.
        unsafe {
            let page = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(page, libc::MAP_FAILED);
            assert_eq!(libc::munmap(page, 4096), 0);
            page as u64
        }
    }

    #[test]
    fn reads_mapped_words_and_survives_unmapped_ones() {
        install().unwrap();
        let word = 0x1234_5678_9abc_def0u64;
        assert_eq!(read_word(&word as *const u64 as u64), Some(word));
        assert_eq!(read_word(unmapped_page()), None);
        assert_eq!(read_word(8), None);
        assert_eq!(read_word(&word as *const u64 as u64), Some(word));
    }

    #[test]
    fn other_faults_still_kill_the_process() {
        install().unwrap();
        // SAFETY: the child only faults; the parent only waits for it.
        let child = unsafe { libc::fork() };
        assert!(child >= 0);
        if child == 0 {
            // SAFETY: no core file for a deliberate crash; then a fault outside `guarded_load`.
            unsafe {
                let no_core = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                std::ptr::read_volatile(unmapped_page() as *const u64);
            }
            // SAFETY: _exit is always safe to call; reached only if the fault was swallowed.
            unsafe { libc::_exit(0) };
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut status = 0;
        // SAFETY: waits for our own child.
        while unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) } == 0 {
            if Instant::now() > deadline {
                // SAFETY: our own child.
                unsafe { libc::kill(child, libc::SIGKILL) };
                panic!("the fault was never delivered to the default action");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(libc::WIFSIGNALED(status), "status {status:#x}");
        assert_eq!(libc::WTERMSIG(status), libc::SIGSEGV);
    }
}
