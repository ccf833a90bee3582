//! What the kernel says about one thread of this process under `/proc/self/task/<tid>`: its
//! name, its scheduler state, the kernel function it waits in, and whether it blocks a signal.

use std::fs;

/// A thread's name (`comm`), as the thread set it, or `None` once the thread has ended.
pub(crate) fn read_name(tid: u32) -> Option<String> {
    let name = fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
    Some(name.trim_end_matches('\n').to_owned())
}

/// The state letter of a `stat` line (`R`, `S`, `D`, ...): the first field after the
/// parenthesised name, which may itself contain spaces and parentheses, so the last `)` is the
/// anchor.
pub(crate) fn stat_state(stat: &[u8]) -> Option<u8> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).copied()
}

/// The word the kernel uses for a state letter in `/proc/<pid>/status`.
pub(super) fn state_word(letter: u8) -> &'static str {
    match letter {
        b'R' => "running",
        b'S' => "sleeping",
        b'D' => "disk sleep",
        b'T' => "stopped",
        b't' => "tracing stop",
        b'X' => "dead",
        b'Z' => "zombie",
        b'P' => "parked",
        b'I' => "idle",
        _ => "unknown state",
    }
}

/// One thread as `/proc` shows it just before its stack is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ThreadInfo {
    pub(super) tid: u32,
    pub(super) name: String,
    /// The `stat` state letter; `?` when it could not be read.
    pub(super) state: u8,
    /// The kernel function the thread sleeps in, when it sleeps and the kernel says.
    pub(super) wchan: Option<String>,
    /// The thread has `signo` in its blocked mask, so it cannot answer it.
    pub(super) blocks_signal: bool,
}

impl ThreadInfo {
    /// Reads what `/proc` knows of thread `tid`; `None` once the thread has ended.
    pub(super) fn read(tid: u32, signo: i32) -> Option<ThreadInfo> {
        let name = read_name(tid)?;
        let dir = format!("/proc/self/task/{tid}");
        let state = fs::read(format!("{dir}/stat"))
            .ok()
            .and_then(|stat| stat_state(&stat))
            .unwrap_or(b'?');
        let wchan = fs::read_to_string(format!("{dir}/wchan"))
            .ok()
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty() && w != "0");
        let blocks_signal = fs::read_to_string(format!("{dir}/status"))
            .ok()
            .is_some_and(|status| blocked_in_status(&status, signo));
        Some(ThreadInfo {
            tid,
            name,
            state,
            wchan,
            blocks_signal,
        })
    }

    /// Whether a signal sent now would wait instead of running a handler: the thread is
    /// stopped, traced, or ending.
    pub(super) fn cannot_run_handlers(&self) -> bool {
        matches!(self.state, b'T' | b't' | b'X' | b'Z')
    }
}

/// Whether the `SigBlk:` mask of a `status` file has `signo` set (bit `signo - 1`).
fn blocked_in_status(status: &str, signo: i32) -> bool {
    let Some(mask) = status
        .lines()
        .find_map(|line| line.strip_prefix("SigBlk:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
    else {
        return false;
    };
    (1..=64).contains(&signo) && mask & (1u64 << (signo - 1)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_last_parenthesis() {
        assert_eq!(stat_state(b"123 (a) b) S 1 2 3"), Some(b'S'));
        assert_eq!(stat_state(b"9 (x) D 1"), Some(b'D'));
        assert_eq!(stat_state(b"garbage"), None);
        assert_eq!(state_word(b'D'), "disk sleep");
    }

    #[test]
    fn blocked_signals_are_read_from_the_mask() {
        let status = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000400000001\n";
        assert!(blocked_in_status(status, 1));
        assert!(blocked_in_status(status, 35));
        assert!(!blocked_in_status(status, 34));
        assert!(!blocked_in_status(status, 0));
        assert!(!blocked_in_status("SigBlk:\tnot hex\n", 1));
    }

    #[test]
    fn this_thread_reads_as_running_with_its_name() {
        std::thread::Builder::new()
            .name("proc-info-self".into())
            .spawn(|| {
                // SAFETY: gettid has no preconditions.
                let tid = unsafe { libc::gettid() } as u32;
                let info = ThreadInfo::read(tid, libc::SIGRTMIN()).unwrap();
                assert_eq!(info.name, "proc-info-self");
                assert_eq!(info.state, b'R');
                assert!(!info.blocks_signal);
                assert!(!info.cannot_run_handlers());
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
