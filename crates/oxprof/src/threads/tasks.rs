//! Dumps of a tokio runtime's tasks, Go's `goroutine` profile for tasks: where every idle task
//! of the runtime is waiting, from tokio's own task dump (`Handle::dump`), in the three forms
//! of [`dump`](super::dump). Only with the `tokio-taskdump` feature and
//! `RUSTFLAGS="--cfg tokio_unstable"`, which tokio's dumps need.
//!
//! tokio traces each task by polling it in a tracing mode: every tokio leaf future it reaches
//! (a lock, a timer, a channel) records the stack from there up to the task's root future.
//! A task waiting in several places at once (`join!`, `select!`) has one stack per place, and
//! counts once per place. Tasks that are running when the dump is taken are not in it.

use std::io::{self, Write};

use oxprof_profile::{Label, LabelValue, Profile};
use tokio::runtime::{Dump, Handle};

use super::full_text::write_location;
use crate::count_profile;
use crate::profile_build::Frame;

/// The label that tells the per-stack samples apart: its value is the stack's index in the
/// dump's list of stacks. Removed from every profile that leaves this module.
const STACK_INDEX: &str = "oxprof_task_stack";

/// One task's stack in the dump: the task's id, and which of its stacks this is.
struct Place {
    task: String,
    nth: usize,
    of: usize,
}

/// Takes a dump of the runtime's tasks with tokio's `Handle::dump` and writes it to `w` in
/// one of Go's forms of the goroutine profile, as [`write_tasks`]. Await it from a task of
/// that runtime; tokio advises a timeout around it, since a dump waits for every worker. The
/// writing symbolizes, which takes a while (tens to hundreds of ms): on a multi-thread runtime
/// it runs through `block_in_place`, so the worker's other tasks move to another worker
/// meanwhile; a current-thread runtime waits for it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut text = Vec::new();
/// oxprof::threads::dump_tasks(&tokio::runtime::Handle::current(), 1, &mut text).await?;
/// assert!(text.starts_with(b"goroutine profile: total "));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn dump_tasks(handle: &Handle, debug: u8, w: impl Write) -> io::Result<()> {
    let dump = handle.dump().await;
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
            tokio::task::block_in_place(|| write_tasks(&dump, debug, w))
        }
        _ => write_tasks(&dump, debug, w),
    }
}

/// Writes a dump of a tokio runtime's tasks (from `Handle::dump`) in one of Go's three forms
/// of the goroutine profile, as [`dump`](super::dump) writes threads:
///
/// - `debug = 0`: gzipped `profile.proto`, sample type `goroutine/count`, one sample per
///   distinct stack counting the tasks waiting there, symbolized.
/// - `debug = 1`: Go's counted text, `goroutine profile: total N`, then each distinct stack.
/// - `debug = 2` (and above): one block per task and stack, `task <id>:` then its frames,
///   innermost first.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dump = tokio::runtime::Handle::current().dump().await;
/// let mut text = Vec::new();
/// tokio::task::spawn_blocking(move || oxprof::threads::write_tasks(&dump, 2, &mut text))
///     .await
///     .unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn write_tasks(dump: &Dump, debug: u8, mut w: impl Write) -> io::Result<()> {
    let (per_stack, places) = per_stack(dump);
    match debug {
        0 => aggregated(per_stack).write_to(w),
        1 => count_profile::write_text(&aggregated(per_stack), w),
        _ => w.write_all(render(&per_stack, &places).as_bytes()),
    }
}

/// A dump of a tokio runtime's tasks as a profile: what [`write_tasks`] writes with
/// `debug = 0`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dump = tokio::runtime::Handle::current().dump().await;
/// let profile = oxprof::threads::tasks_profile(&dump);
/// assert_eq!(profile.sample_type[0].ty, "goroutine");
/// # });
/// ```
pub fn tasks_profile(dump: &Dump) -> Profile {
    aggregated(per_stack(dump).0)
}

/// One sample per stack of every task, labelled [`STACK_INDEX`], and what each stack is.
fn per_stack(dump: &Dump) -> (Profile, Vec<Place>) {
    let mut stacks = count_profile::stacks(super::GOROUTINE);
    let mut places = Vec::new();
    let mut tasks = 0;
    for task in dump.tasks().iter() {
        tasks += 1;
        let backtraces = task.trace().resolve_backtraces();
        for (nth, backtrace) in backtraces.iter().enumerate() {
            // Every frame of a trace is a caller's: its ip is a return address.
            let frames: Vec<Frame> = backtrace
                .frames()
                .map(|frame| Frame::Address((frame.ip() as u64).wrapping_sub(1)))
                .collect();
            let index = places.len() as i64;
            places.push(Place {
                task: task.id().to_string(),
                nth: nth + 1,
                of: backtraces.len(),
            });
            stacks.add(&frames, &[1], vec![Label::num(STACK_INDEX, index, "")]);
        }
    }
    let comments = vec![format!(
        "oxprof tokio task dump: {tasks} tasks waiting in {} places",
        places.len()
    )];
    (count_profile::build(stacks, comments), places)
}

/// Tasks with the same stack merged into one sample counting them.
fn aggregated(mut per_stack: Profile) -> Profile {
    for sample in &mut per_stack.sample {
        sample.label.clear();
    }
    // Fails only on dangling ids, which a built profile does not have.
    let _ = per_stack.compact();
    per_stack
}

/// `debug=2`: one block per stack, in dump order.
fn render(per_stack: &Profile, places: &[Place]) -> String {
    let locations: std::collections::HashMap<_, _> =
        per_stack.location.iter().map(|l| (l.id, l)).collect();
    let functions = per_stack.function.iter().map(|f| (f.id, f)).collect();
    let mut samples: Vec<_> = per_stack
        .sample
        .iter()
        .filter_map(|s| Some((stack_index(&s.label)?, s)))
        .collect();
    samples.sort_by_key(|(index, _)| *index);
    let mut out = String::new();
    for (index, sample) in samples {
        let Some(place) = places.get(index) else {
            continue;
        };
        out.push_str(&format!("task {}", place.task));
        if place.of > 1 {
            out.push_str(&format!(" [{} of {} places]", place.nth, place.of));
        }
        out.push_str(":\n");
        for location in sample.location_id.iter().filter_map(|id| locations.get(id)) {
            write_location(&mut out, location, &functions, per_stack);
        }
        out.push('\n');
    }
    out
}

fn stack_index(labels: &[Label]) -> Option<usize> {
    labels
        .iter()
        .find_map(|label| match (&label.key, &label.value) {
            (key, LabelValue::Num { num, .. }) if key == STACK_INDEX => usize::try_from(*num).ok(),
            _ => None,
        })
}
