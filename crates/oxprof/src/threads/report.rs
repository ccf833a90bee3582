//! A dump as profiles: one symbolized sample per thread (what the full text prints), and from
//! it the `goroutine` profile (one sample per distinct stack and label set, counted).

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

/// `profile` with equal samples merged and unused tables dropped. Compaction fails only on
/// dangling ids, which a built profile does not have; the profile is then kept as it is.
fn compacted(mut profile: Profile) -> Profile {
    let _ = profile.compact();
    profile
}
