//! Contention profiles as Go's `runtime/pprof` writes them: `profile.proto` with sample types
//! `contentions/count` and `delay/nanoseconds` (period type `contentions/count`, period 1), and
//! Go's `debug=1` text, records sorted by delay, with the profiler's own frames cut off so each
//! event is charged to the code that waited or released.

use std::collections::HashSet;
use std::io::{self, Write};

use oxprof_profile::{Profile, ValueType};

use super::events::{Snapshot, Totals, MAX_STACKS};
use super::stack::TRUNCATED;
use super::{Kind, BLOCK_EVENTS, MUTEX_EVENTS};
use crate::go_text::{align, StackPrinter};
use crate::profile_build::{BuildOptions, Frame, StackProfile};

/// Frames between the code that waited or released and the recording: the instrumented
/// primitives, the profilers and the unwinder, and the drop glue of a dropped guard, with the
/// `core::mem::drop` of `drop(guard)` (inlined into the caller, it would otherwise be the leaf
/// of most releases). Its one casualty: a lock taken in the `Drop` of a value passed to
/// `drop(value)` is charged to the caller of `drop`, without the `Drop` impl's frames.
const OWN_FRAMES: &str = r"^(<?oxprof::(block|mutex|sync|contention|unwind)::.*|(core::ptr::)?drop_in_place<oxprof::sync::.*|(core::mem::)?drop<oxprof::sync::.*|core::mem::drop)$";

/// The source files of the primitives and profilers. In builds with line tables only (the
/// usual release setting), their functions inlined into the caller carry bare names (`lock`,
/// `unlocking`) that [`OWN_FRAMES`] cannot tell from the program's: they are known by file.
const OWN_FILES: &str = r"(^|/)oxprof(-[^/]*)?/src/(sync|contention|block|mutex)/[^/]+\.rs$";

/// The synthetic frame of events whose stack found the table full.
const OVERFLOW_FRAME: &str = "oxprof::stack_table_full";

/// Go's `cycles/second`: oxprof counts nanoseconds.
const CYCLES_PER_SECOND: u64 = 1_000_000_000;

/// The profile of `kind`, samples sorted by delay, most first.
pub(crate) fn profile(kind: Kind) -> Profile {
    let snapshot = events(kind).snapshot();
    let mut stacks = StackProfile::new(
        vec![
            ValueType::new("contentions", "count"),
            ValueType::new("delay", "nanoseconds"),
        ],
        ValueType::new("contentions", "count"),
        1,
    );
    let mut records: Vec<(Vec<Frame>, Totals)> = snapshot
        .by_stack
        .iter()
        .map(|(stack, totals)| (frames(stack), *totals))
        .collect();
    if snapshot.overflow.recorded > 0 {
        records.push((vec![Frame::Synthetic(OVERFLOW_FRAME)], snapshot.overflow));
    }
    records.sort_by_key(|(_, totals)| std::cmp::Reverse(totals.delay));
    for (frames, totals) in &records {
        // As Go: a count that rounds down to 0 would divide by zero in mean-delay reports.
        let count = (totals.count as i64).max(1);
        stacks.add(frames, &[count, totals.delay as i64], Vec::new());
    }
    let mut profile = stacks.build(&BuildOptions::snapshot(comments(kind, &snapshot)));
    let own = regex::Regex::new(OWN_FRAMES).expect("a valid pattern");
    profile.prune(&own, None);
    trim_own_inlined(&mut profile);
    profile
}

/// Drops from each location the lines of oxprof's own code inlined at its leaf end, above the
/// caller's line, which `prune` leaves when their names are bare.
fn trim_own_inlined(profile: &mut Profile) {
    let own_file = regex::Regex::new(OWN_FILES).expect("a valid pattern");
    let own: HashSet<u64> = profile
        .function
        .iter()
        .filter(|f| own_file.is_match(&f.filename))
        .map(|f| f.id)
        .collect();
    for location in &mut profile.location {
        let first_other = location
            .line
            .iter()
            .position(|line| !own.contains(&line.function_id));
        if let Some(n) = first_other.filter(|&n| n > 0) {
            location.line.drain(..n);
        }
    }
}

fn events(kind: Kind) -> &'static super::events::Events {
    match kind {
        Kind::Block => &BLOCK_EVENTS,
        Kind::Mutex => &MUTEX_EVENTS,
    }
}

fn frames(stack: &[u64]) -> Vec<Frame> {
    let mut frames: Vec<Frame> = stack
        .iter()
        .map(|&a| match a {
            TRUNCATED => Frame::Synthetic("oxprof::truncated"),
            a => Frame::Address(a),
        })
        .collect();
    if frames.is_empty() {
        frames.push(Frame::Synthetic(crate::heap::STACK_UNAVAILABLE_FRAME));
    }
    frames
}

fn comments(kind: Kind, snapshot: &Snapshot) -> Vec<String> {
    let mut comments = vec![match kind {
        Kind::Block => format!(
            "oxprof block profile: rate {} ns (events at least that long are all recorded, \
             shorter ones with probability delay/rate, weighted by its inverse)",
            super::sampling::block_rate()
        ),
        Kind::Mutex => format!(
            "oxprof mutex profile: fraction {} (one contended release in that many recorded, \
             values pre-scaled); delay summed over every waiter",
            super::sampling::mutex_fraction()
        ),
    }];
    if snapshot.overflow.recorded > 0 {
        comments.push(format!(
            "stack table full ({MAX_STACKS} stacks): {} events with new stacks summed under \
             {OVERFLOW_FRAME}",
            snapshot.overflow.recorded
        ));
    }
    comments
}

/// Go's `debug=1` text: `--- contention:` (block) or `--- mutex:`, `cycles/second=`, for mutex
/// `sampling period=`, then `<cycles> <count> @ <return addresses>` records with their frames.
///
/// Cycles are nanoseconds (`cycles/second=1000000000`). Mutex values are printed as sampled,
/// divided by the sampling period, which every reader of the text (pprof's, oxprof's)
/// multiplies back; Go ≥ 1.20 prints them pre-scaled, so its readers scale them twice.
pub(crate) fn write_text(kind: Kind, mut w: impl Write) -> io::Result<()> {
    let profile = profile(kind);
    let period = super::sampling::mutex_fraction();
    w.write_all(align(&render(kind, period, &profile)).as_bytes())
}

/// The text before alignment; `period` is the mutex profile's sampling period.
fn render(kind: Kind, period: u64, profile: &Profile) -> String {
    let mut out = String::new();
    let divisor = match kind {
        Kind::Block => {
            out.push_str("--- contention:\n");
            out.push_str(&format!("cycles/second={CYCLES_PER_SECOND}\n"));
            1
        }
        Kind::Mutex => {
            out.push_str("--- mutex:\n");
            out.push_str(&format!("cycles/second={CYCLES_PER_SECOND}\n"));
            out.push_str(&format!("sampling period={period}\n"));
            period.max(1) as i64
        }
    };
    let stacks = StackPrinter::new(profile);
    // Samples are already sorted by delay.
    for sample in &profile.sample {
        let value = |i: usize| sample.value.get(i).copied().unwrap_or(0) / divisor;
        out.push_str(&format!("{} {}", value(1), value(0).max(1)));
        stacks.write_stack(&mut out, &sample.location_id);
    }
    out
}

#[cfg(test)]
mod tests {
    use oxprof_profile::{Function, Line, Location};

    use super::*;

    fn profile() -> Profile {
        crate::go_text::two_stacks(vec![8, 4000], vec![4, 400])
    }

    #[test]
    fn block_text_has_gos_header_and_records() {
        let text = render(Kind::Block, 0, &profile());
        assert_eq!(
            text,
            "--- contention:\ncycles/second=1000000000\n\
             4000 8 @ 0x1001\n#\t0x1000\tapp::work\tsrc/app.rs:7\n\n\
             400 4 @ 0x2001 0x1001\n#\t0x2000\n#\t0x1000\tapp::work\tsrc/app.rs:7\n\n"
        );
        let parsed = Profile::parse(text.as_bytes()).unwrap();
        let values: Vec<_> = parsed.sample.iter().map(|s| s.value.clone()).collect();
        assert_eq!(values, vec![vec![8, 4000], vec![4, 400]]);
    }

    #[test]
    fn mutex_text_is_divided_by_the_period_that_readers_multiply_back() {
        let text = render(Kind::Mutex, 4, &profile());
        assert!(
            text.starts_with(
                "--- mutex:\ncycles/second=1000000000\nsampling period=4\n1000 2 @ 0x1001\n"
            ),
            "{text}"
        );
        let parsed = Profile::parse(text.as_bytes()).unwrap();
        let values: Vec<_> = parsed.sample.iter().map(|s| s.value.clone()).collect();
        assert_eq!(values, vec![vec![8, 4000], vec![4, 400]]);
    }

    #[test]
    fn inlined_lines_of_oxprofs_own_files_are_trimmed_off_the_leaf_end() {
        let function = |id, name: &str, filename: &str| Function {
            id,
            name: name.into(),
            filename: filename.into(),
            ..Function::default()
        };
        let line = |function_id| Line {
            function_id,
            line: 1,
            column: 0,
        };
        let mut p = Profile {
            function: vec![
                function(1, "lock", "/x/crates/oxprof/src/sync/mutex.rs"),
                function(2, "unlocking", "/r/oxprof-0.1.0/src/contention/tracker.rs"),
                function(3, "app::work", "/x/src/app.rs"),
                function(4, "lock", "/x/myapp/src/sync/lock.rs"),
            ],
            location: vec![
                Location {
                    id: 1,
                    line: vec![line(1), line(2), line(3)],
                    ..Location::default()
                },
                Location {
                    id: 2,
                    line: vec![line(4), line(3)],
                    ..Location::default()
                },
                Location {
                    id: 3,
                    line: vec![line(3), line(1)],
                    ..Location::default()
                },
            ],
            ..Profile::default()
        };
        trim_own_inlined(&mut p);
        let lines: Vec<Vec<u64>> = p
            .location
            .iter()
            .map(|l| l.line.iter().map(|x| x.function_id).collect())
            .collect();
        // Only oxprof's own leading lines go; the program's `sync` directory is not oxprof's.
        assert_eq!(lines, vec![vec![3], vec![4, 3], vec![3, 1]]);
    }
}
