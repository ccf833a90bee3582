//! The full dump (`debug=2`): one block per thread in the shape of Go's dump of all goroutines
//! (an unrecovered panic's), a header line with what `/proc` says of the thread, then its
//! frames, innermost first, as `function(...)` and `file:line` indented by a tab:
//!
//! ```text
//! thread 4242 "worker-3" [sleeping, futex_wait_queue]:
//! # labels: {"job":"index"}
//! app::worker::wait_for_job(...)
//!     /src/app/worker.rs:88
//! ...
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use oxprof_profile::{Function, Location, Profile};

use super::collect::Dump;
use super::proc_info::state_word;
use super::report::thread_index;
use crate::cpu::TRUNCATED_FRAME;

/// The dump as text; `per_thread` is [`super::report::per_thread`] of the same dump.
pub(super) fn render(dump: &Dump, per_thread: &Profile) -> String {
    let locations: HashMap<u64, &Location> =
        per_thread.location.iter().map(|l| (l.id, l)).collect();
    let functions: HashMap<u64, &Function> =
        per_thread.function.iter().map(|f| (f.id, f)).collect();
    let mut samples: Vec<_> = per_thread
        .sample
        .iter()
        .filter_map(|s| Some((thread_index(&s.label)?, s)))
        .collect();
    samples.sort_by_key(|(index, _)| *index);

    let mut out = String::new();
    for (index, sample) in samples {
        let Some(thread) = dump.threads.get(index) else {
            continue;
        };
        let info = &thread.info;
        let _ = write!(
            out,
            "thread {} {:?} [{}",
            info.tid,
            info.name,
            state_word(info.state)
        );
        if let Some(wchan) = &info.wchan {
            let _ = write!(out, ", {wchan}");
        }
        if let Err(silence) = &thread.stack {
            let _ = write!(out, ", not answering: {}", silence.describe());
        }
        out.push_str("]:\n");
        if let Some(labels) = crate::count_profile::labels_text(&sample.label) {
            let _ = writeln!(out, "# labels: {labels}");
        }
        if thread.stack.is_ok() {
            for location in sample.location_id.iter().filter_map(|id| locations.get(id)) {
                write_location(&mut out, location, &functions, per_thread);
            }
        }
        out.push('\n');
    }
    out
}

/// One location's frames, its inlined functions innermost first. Where no source file is
/// known, the object the address is in stands for it; an address nothing is known about
/// prints as itself.
pub(super) fn write_location(
    out: &mut String,
    location: &Location,
    functions: &HashMap<u64, &Function>,
    profile: &Profile,
) {
    let object = || {
        profile
            .mapping
            .iter()
            .find(|m| m.id == location.mapping_id)
            .map_or("?", |m| m.filename.as_str())
    };
    let named: Vec<_> = location
        .line
        .iter()
        .filter_map(|line| Some((*functions.get(&line.function_id)?, line.line)))
        .collect();
    if named.is_empty() {
        let _ = writeln!(out, "{:#x}(...)\n\t{}", location.address, object());
    }
    for (function, line) in named {
        if function.name == TRUNCATED_FRAME {
            // Go's words for a stack cut short.
            out.push_str("...additional frames elided...\n");
        } else if function.filename.is_empty() {
            let _ = writeln!(out, "{}(...)\n\t{}", function.name, object());
        } else {
            let _ = writeln!(
                out,
                "{}(...)\n\t{}:{line}",
                function.name, function.filename
            );
        }
    }
}
