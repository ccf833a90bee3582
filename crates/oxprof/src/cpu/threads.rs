//! The process's threads as `/proc/self/task` lists them: which appeared and which ended since
//! the last look, their names, and (for wall-clock sampling) their scheduler state.
//!
//! Watching `/proc` rather than hooking thread creation covers every thread, including those C
//! code creates, without the program's cooperation.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use crate::threads::{read_name, stat_state};

/// What changed between two scans.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub(crate) started: Vec<u32>,
    pub(crate) ended: Vec<u32>,
}

/// The live threads of this process, minus oxprof's own.
#[derive(Debug, Default)]
pub(crate) struct ThreadSet {
    live: BTreeSet<u32>,
    names: BTreeMap<u32, String>,
    /// Threads whose name was read after they were first sampled.
    confirmed: BTreeSet<u32>,
    /// `/proc/self/task`, kept open: its link count tells how many threads there are.
    task_dir: Option<File>,
    /// The link count at the last look.
    links: u64,
}

impl ThreadSet {
    /// Re-reads `/proc/self/task` and reports threads that started or ended since the last scan.
    /// A thread's name is read when it is first seen.
    pub(crate) fn rescan(&mut self) -> io::Result<Changes> {
        let own = crate::internal_thread::own_tids();
        let mut now = BTreeSet::new();
        for entry in fs::read_dir("/proc/self/task")? {
            let Ok(entry) = entry else { continue };
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if !own.contains(&tid) {
                now.insert(tid);
            }
        }
        let started: Vec<u32> = now.difference(&self.live).copied().collect();
        let ended: Vec<u32> = self.live.difference(&now).copied().collect();
        for &tid in &started {
            if let Some(name) = read_name(tid) {
                self.names.insert(tid, name);
            }
        }
        self.live = now;
        Ok(Changes { started, ended })
    }

    /// Whether the number of threads changed since the last call: one `fstat`, which is far
    /// cheaper than listing the directory (procfs counts a task directory's threads as links).
    pub(crate) fn count_changed(&mut self) -> bool {
        if self.task_dir.is_none() {
            self.task_dir = File::open("/proc/self/task").ok();
        }
        let Some(links) = self
            .task_dir
            .as_ref()
            .and_then(|d| d.metadata().ok())
            .map(|m| m.nlink())
        else {
            return true;
        };
        let changed = links != self.links;
        self.links = links;
        changed
    }

    /// The threads seen alive by the last scan.
    pub(crate) fn live(&self) -> impl Iterator<Item = u32> + '_ {
        self.live.iter().copied()
    }

    /// Reads again, once per thread, the names of sampled threads.
    pub(crate) fn confirm_names(&mut self, sampled: BTreeSet<u32>) {
        for tid in sampled {
            if self.confirmed.insert(tid) {
                if let Some(name) = read_name(tid) {
                    self.names.insert(tid, name);
                }
            }
        }
    }

    /// Refreshes the names of the threads in `tids` that are still alive (names are often set
    /// just after a thread starts) and returns the name of every one known.
    pub(crate) fn names_of(
        &mut self,
        tids: impl IntoIterator<Item = u32>,
    ) -> BTreeMap<u32, String> {
        let mut out = BTreeMap::new();
        for tid in tids {
            if let Some(name) = read_name(tid) {
                self.names.insert(tid, name);
            }
            if let Some(name) = self.names.get(&tid) {
                out.insert(tid, name.clone());
            }
        }
        out
    }
}

/// A thread's scheduler state as the kernel reports it in `/proc/<pid>/task/<tid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum ThreadState {
    /// No state (CPU samples).
    Unknown = 0,
    /// `R`: on a CPU or waiting for one.
    Running = 1,
    /// `S`: interruptible sleep: sleeping, waiting on a lock, a condition or I/O readiness.
    Sleeping = 2,
    /// `D`: uninterruptible wait, usually disk I/O or page faults.
    Blocked = 3,
    /// Anything else: stopped, traced, exiting.
    Other = 4,
}

impl ThreadState {
    fn from_stat_char(c: u8) -> ThreadState {
        match c {
            b'R' => ThreadState::Running,
            b'S' => ThreadState::Sleeping,
            b'D' => ThreadState::Blocked,
            _ => ThreadState::Other,
        }
    }

    /// Decodes the byte the handler carried through the signal value.
    pub(crate) fn from_byte(b: u8) -> ThreadState {
        match b {
            1 => ThreadState::Running,
            2 => ThreadState::Sleeping,
            3 => ThreadState::Blocked,
            4 => ThreadState::Other,
            _ => ThreadState::Unknown,
        }
    }

    /// The `state` label value.
    pub(crate) fn label(self) -> Option<&'static str> {
        match self {
            ThreadState::Unknown => None,
            ThreadState::Running => Some("running"),
            ThreadState::Sleeping => Some("sleeping"),
            ThreadState::Blocked => Some("blocked"),
            ThreadState::Other => Some("other"),
        }
    }
}

/// An open `stat` file of one thread, re-read at every wall-clock tick without reopening it.
pub(crate) struct StatFile(File);

impl StatFile {
    pub(crate) fn open(tid: u32) -> io::Result<StatFile> {
        File::open(format!("/proc/self/task/{tid}/stat")).map(StatFile)
    }

    /// The thread's state now, or `None` once the thread has ended.
    pub(crate) fn state(&self) -> Option<ThreadState> {
        let mut buf = [0u8; 512];
        let n = self.0.read_at(&mut buf, 0).ok()?;
        parse_state(&buf[..n])
    }
}

/// The state field of a `stat` line.
fn parse_state(stat: &[u8]) -> Option<ThreadState> {
    stat_state(stat).map(ThreadState::from_stat_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_read_after_a_name_with_parentheses() {
        assert_eq!(
            parse_state(b"123 (a) b) S 1 2 3"),
            Some(ThreadState::Sleeping)
        );
        assert_eq!(parse_state(b"9 (x) R 1"), Some(ThreadState::Running));
        assert_eq!(parse_state(b"9 (x) D 1"), Some(ThreadState::Blocked));
        assert_eq!(parse_state(b"garbage"), None);
    }

    #[test]
    fn a_new_thread_is_seen_with_its_name_and_its_end_is_noticed() {
        let mut set = ThreadSet::default();
        set.rescan().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::Builder::new()
            .name("scan-me".into())
            .spawn(move || {
                ready_tx.send(unsafe_free_gettid()).unwrap();
                done_rx.recv().unwrap();
            })
            .unwrap();
        let tid = ready_rx.recv().unwrap();
        let changes = set.rescan().unwrap();
        assert!(changes.started.contains(&tid), "{changes:?}");
        assert_eq!(set.names_of([tid])[&tid], "scan-me");
        // The worker blocks in `recv` right after sending its tid; give it time to get there.
        let stat = StatFile::open(tid).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while stat.state() != Some(ThreadState::Sleeping) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(stat.state(), Some(ThreadState::Sleeping));
        done_tx.send(()).unwrap();
        worker.join().unwrap();
        let changes = set.rescan().unwrap();
        assert!(changes.ended.contains(&tid), "{changes:?}");
        assert_eq!(set.names_of([tid])[&tid], "scan-me", "name kept after exit");
    }

    #[test]
    fn the_task_directory_counts_threads_as_links() {
        use std::os::unix::fs::MetadataExt;
        let links = || std::fs::metadata("/proc/self/task").unwrap().nlink();
        // Other tests start and end threads meanwhile: retry until a reading is stable.
        for _ in 0..100 {
            let before = links();
            let listed = std::fs::read_dir("/proc/self/task").unwrap().count() as u64;
            if links() == before {
                assert_eq!(before, listed + 2);
                return;
            }
        }
        panic!("the thread count never held still");
    }

    fn unsafe_free_gettid() -> u32 {
        // SAFETY: gettid has no preconditions.
        unsafe { libc::gettid() as u32 }
    }
}
