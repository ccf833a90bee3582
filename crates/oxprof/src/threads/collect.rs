//! Taking a dump: every thread of the process as `/proc` lists it, read from `/proc` first, then
//! signalled for its stack (the calling thread unwinds its own), one dump at a time.

use std::fs;
use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::proc_info::ThreadInfo;
use super::signal::{self, Answer, Reply};
use crate::unwind::UnwindSession;

/// Why a thread has no stack in the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Silence {
    /// Its signal mask blocks the dump signal, so it was not signalled.
    BlocksSignal,
    /// It is stopped, traced or ending, so it could not run a handler; not signalled.
    CannotRunHandlers,
    /// Signalled, and no answer came within the timeout.
    NoAnswer(Duration),
    /// The signal could not be sent.
    SendFailed(String),
}

impl Silence {
    /// Why, in a few words.
    pub(super) fn describe(&self) -> String {
        match self {
            Silence::BlocksSignal => "it blocks the dump signal".to_owned(),
            Silence::CannotRunHandlers => "it cannot run signal handlers now".to_owned(),
            Silence::NoAnswer(timeout) => format!("no answer within {timeout:?}"),
            Silence::SendFailed(error) => format!("the dump signal could not be sent: {error}"),
        }
    }
}

/// One thread of a dump.
#[derive(Debug)]
pub(super) struct DumpedThread {
    pub(super) info: ThreadInfo,
    pub(super) stack: Result<Box<Answer>, Silence>,
}

/// Every thread alive when the dump started (and still alive when signalled), the calling
/// thread first, the others by thread id.
#[derive(Debug)]
pub(super) struct Dump {
    pub(super) threads: Vec<DumpedThread>,
}

impl Dump {
    /// The threads that gave no stack.
    pub(super) fn silent(&self) -> impl Iterator<Item = (&ThreadInfo, &Silence)> {
        self.threads
            .iter()
            .filter_map(|t| t.stack.as_ref().err().map(|s| (&t.info, s)))
    }
}

/// Dumps are taken one at a time: a dump's signals and slots belong to it alone.
static DUMPS: Mutex<()> = Mutex::new(());

/// Takes a dump, waiting at most `timeout` for the threads' answers.
pub(super) fn take(timeout: Duration) -> io::Result<Dump> {
    let _one_at_a_time = DUMPS.lock().unwrap_or_else(PoisonError::into_inner);
    // Acquiring re-reads the stack mappings, so every thread listed below unwinds fully.
    let _session = UnwindSession::acquire_unwatched()?;
    let own = Answer::of_calling_thread();
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() } as u32;
    let signo = signal::signal_number();
    let mut infos: Vec<ThreadInfo> = live_tids()?
        .into_iter()
        .filter_map(|tid| ThreadInfo::read(tid, signo))
        .collect();
    settle_masks(&mut infos, signo);
    infos.sort_by_key(|info| (info.tid != me, info.tid));

    let askable =
        |info: &ThreadInfo| info.tid != me && !info.blocks_signal && !info.cannot_run_handlers();
    let asked: Vec<u32> = infos.iter().filter(|i| askable(i)).map(|i| i.tid).collect();
    let mut replies = signal::ask(&asked, timeout)?.into_iter();

    let mut threads = Vec::with_capacity(infos.len());
    for info in infos {
        let stack = if info.tid == me {
            Ok(Box::new(own))
        } else if info.blocks_signal {
            Err(Silence::BlocksSignal)
        } else if info.cannot_run_handlers() {
            Err(Silence::CannotRunHandlers)
        } else {
            match replies.next() {
                Some(Reply::Answered(answer)) => Ok(answer),
                Some(Reply::Gone) => continue,
                Some(Reply::NoAnswer) if !is_alive(info.tid) => continue,
                Some(Reply::NoAnswer) | None => Err(Silence::NoAnswer(timeout)),
                Some(Reply::SendFailed(error)) => Err(Silence::SendFailed(error.to_string())),
            }
        };
        threads.push(DumpedThread { info, stack });
    }
    Ok(Dump { threads })
}

/// How long threads that block the dump signal are watched for unblocking it before they are
/// listed as not answering: a thread being created blocks every signal until it is set up.
const MASK_GRACE: Duration = Duration::from_millis(20);

/// Re-reads, for up to [`MASK_GRACE`], the threads that block the dump signal, so threads
/// caught in their first microseconds are signalled once they can answer, under the name they
/// give themselves. Threads that keep it blocked are never signalled: a queued signal would stay
/// pending on them for good.
fn settle_masks(infos: &mut [ThreadInfo], signo: i32) {
    let deadline = Instant::now() + MASK_GRACE;
    while infos.iter().any(|i| i.blocks_signal) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
        for info in infos.iter_mut().filter(|i| i.blocks_signal) {
            if let Some(now) = ThreadInfo::read(info.tid, signo) {
                *info = now;
            }
        }
    }
}

/// The number of threads alive now.
pub(super) fn thread_count() -> usize {
    live_tids().map_or(0, |tids| tids.len())
}

fn live_tids() -> io::Result<Vec<u32>> {
    let mut tids = Vec::new();
    for entry in fs::read_dir("/proc/self/task")? {
        if let Some(tid) = entry?
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        {
            tids.push(tid);
        }
    }
    Ok(tids)
}

fn is_alive(tid: u32) -> bool {
    fs::metadata(format!("/proc/self/task/{tid}")).is_ok()
}
