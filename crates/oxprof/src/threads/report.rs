//! A dump as profiles: one symbolized sample per thread (what the full text prints), and from
//! it the `goroutine` profile (one sample per distinct stack and label set, counted) and the
//! `threadcreate` profile (threads by the frames that started them).

use oxprof_profile::{Label, LabelValue, Profile};
use regex::Regex;

use super::collect::Dump;
use crate::count_profile;
use crate::cpu::TRUNCATED_FRAME;
use crate::profile_build::Frame;

/// The dump machinery's own frames, cut off the calling thread's stack (and off the stacks of
/// threads waiting for their turn to dump): everything from the outermost call into
/// `oxprof::threads` or the named-profile registry inward.
const DUMP_FRAMES: &str = r"^<?oxprof::(threads|profiles)::.*$";

/// The label that tells the threads of the per-thread profile apart: its value is the
/// thread's index in the dump. Removed from every profile that leaves this module.
const THREAD_INDEX: &str = "oxprof_thread_index";

/// One sample per thread of `dump`, in dump order, each labelled with the thread's labels and
/// [`THREAD_INDEX`]; the dump machinery's frames pruned. Threads that gave no stack have the
/// one frame [`not_answering`](super::not_answering).
pub(super) fn per_thread(dump: &Dump, name: &str) -> Profile {
    let mut stacks = count_profile::stacks(name);
    let mut frames = Vec::new();
    for (index, thread) in dump.threads.iter().enumerate() {
        frames.clear();
        let mut labels = Vec::new();
        match &thread.stack {
            Ok(answer) => {
                frames.extend(answer.frames().iter().map(|&a| Frame::Address(a)));
                if answer.truncated {
                    frames.push(Frame::Synthetic(TRUNCATED_FRAME));
                }
                if let Some(set) = crate::labels::resolve(answer.label_id) {
                    labels.extend(set.iter().map(|(k, v)| Label::str(k, v)));
                }
            }
            Err(_) => frames.push(Frame::Address(
                super::not_answering as *const () as usize as u64,
            )),
        }
        labels.push(Label::num(THREAD_INDEX, index as i64, ""));
        stacks.add(&frames, &[1], labels);
    }
    let mut comments = vec![format!(
        "oxprof thread dump: {} threads",
        dump.threads.len()
    )];
    comments.extend(dump.silent().map(|(info, silence)| {
        format!(
            "thread {} {:?} not answering: {}",
            info.tid,
            info.name,
            silence.describe()
        )
    }));
    let mut profile = count_profile::build(stacks, comments);
    profile.prune(&Regex::new(DUMP_FRAMES).expect("a valid pattern"), None);
    profile
}

/// The index in the dump of the thread a per-thread sample stands for.
pub(super) fn thread_index(labels: &[Label]) -> Option<usize> {
    labels
        .iter()
        .find_map(|label| match (&label.key, &label.value) {
            (key, LabelValue::Num { num, .. }) if key == THREAD_INDEX => usize::try_from(*num).ok(),
            _ => None,
        })
}

/// The `goroutine` profile: threads with the same stack and labels merged into one sample
/// counting them.
pub(super) fn aggregated(mut per_thread: Profile) -> Profile {
    for sample in &mut per_thread.sample {
        sample.label.retain(|label| label.key != THREAD_INDEX);
    }
    compacted(per_thread)
}

/// Frames a thread's stack starts with before it reaches the code it was started to run: the
/// C library's thread and process entry points and the standard library's thread and runtime
/// start-up.
const START_FRAMES: &str = r"^(<?(std|core|alloc)::.*|__rust.*|_start|__libc_start.*|start_thread|clone3?|__clone.*|main|thread_start)$";

/// The `threadcreate` profile: live threads counted by how they started, each stack cut to its
/// outermost frames up to and including the first that is neither the C library's nor the
/// standard library's start-up (the function the thread was spawned with, or `main`'s callee
/// for the main thread). Labels are dropped: they say what a thread does now, not how it began.
pub(super) fn by_start(mut per_thread: Profile) -> Profile {
    let start = Regex::new(START_FRAMES).expect("a valid pattern");
    let functions: std::collections::HashMap<u64, &str> = per_thread
        .function
        .iter()
        .map(|f| (f.id, f.name.as_str()))
        .collect();
    // Whether a location has a frame of the program's own (or an unnamed one) in its inline
    // chain.
    let program_frame: std::collections::HashMap<u64, bool> = per_thread
        .location
        .iter()
        .map(|location| {
            let own = location.line.is_empty()
                || location.line.iter().any(|line| {
                    functions
                        .get(&line.function_id)
                        .is_none_or(|name| !start.is_match(name))
                });
            (location.id, own)
        })
        .collect();
    for sample in &mut per_thread.sample {
        sample.label.clear();
        // Location ids run leaf first: the kept part is a suffix.
        if let Some(first_own) = sample
            .location_id
            .iter()
            .rposition(|id| program_frame.get(id).copied().unwrap_or(true))
        {
            sample.location_id.drain(..first_own);
        }
    }
    compacted(per_thread)
}

/// `profile` with equal samples merged and unused tables dropped. Compaction fails only on
/// dangling ids, which a built profile does not have; the profile is then kept as it is.
fn compacted(mut profile: Profile) -> Profile {
    let _ = profile.compact();
    profile
}
