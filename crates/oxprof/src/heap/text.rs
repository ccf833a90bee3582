//! Go's `debug=1` heap text (`/debug/pprof/heap?debug=1`), printed as Go's `runtime/pprof`
//! prints it: the sampled counts themselves (pprof unsamples them when it reads the text),
//! records by in-use bytes, each followed by its symbolized frames, aligned by Go's
//! `text/tabwriter`.

use std::fmt::Write as _;
use std::io::{self, Write};

use oxprof_profile::Profile;

use super::counters;
use super::report::{self, Values};
use crate::go_text::{align, StackPrinter};

/// Writes the heap profile as Go's legacy text, the form `go tool pprof` and oxprof also read:
/// a `heap profile: <in-use objects>: <in-use bytes> [<allocated objects>: <allocated bytes>]
/// @ heap/<2 × rate>` header, then one `<in-use objects>: <in-use bytes> [<allocated objects>:
/// <allocated bytes>] @ <return addresses>` line per allocation site and size, most in-use
/// bytes first, with its frames as `#` comments, and the exact allocation counters at the end.
///
/// As in Go, the counts are of sampled allocations, not estimates. Unlike Go's, the frame
/// comments carry no `+0x…` offset into the function: the symbolizer reports lines, not
/// function entry addresses.
///
/// Fails when [`Profiled`](super::Profiled) is not the global allocator.
///
/// ```no_run
/// let mut text = Vec::new();
/// oxprof::heap::write_text(&mut text)?;
/// assert!(text.starts_with(b"heap profile: "));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_text(mut w: impl Write) -> io::Result<()> {
    let profile = report::build("inuse_space", Values::Sampled)?;
    w.write_all(align(&render(&profile)).as_bytes())
}

/// The text before alignment: cells separated by tabs, as Go hands it to its tabwriter.
fn render(profile: &Profile) -> String {
    let stacks = StackPrinter::new(profile);
    // [alloc_objects, alloc_space, inuse_objects, inuse_space], the order `report` builds.
    let value = |v: &[i64], i: usize| v.get(i).copied().unwrap_or(0);
    let mut records: Vec<_> = profile.sample.iter().collect();
    records.sort_by_key(|s| std::cmp::Reverse(value(&s.value, 3)));

    let mut total = [0i64; 4];
    for record in &records {
        for (i, t) in total.iter_mut().enumerate() {
            *t += value(&record.value, i);
        }
    }
    // Go's reason: pprof reads equal allocated and in-use bytes as a two-column profile, which
    // then cannot be merged with four-column ones.
    let alloc_bytes = total[1] + i64::from(total[1] == total[3]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "heap profile: {}: {} [{}: {}] @ heap/{}",
        total[2],
        total[3],
        total[0],
        alloc_bytes,
        2 * profile.period
    );
    for record in records {
        let v = &record.value;
        let _ = write!(
            out,
            "{}: {} [{}: {}]",
            value(v, 2),
            value(v, 3),
            value(v, 0),
            value(v, 1)
        );
        stacks.write_stack(&mut out, &record.location_id);
    }
    write_counters(&mut out);
    out
}

/// Go closes the text with its `runtime.MemStats`; these are the figures oxprof knows exactly.
fn write_counters(out: &mut String) {
    let c = counters::process();
    let _ = write!(
        out,
        "\n# runtime.MemStats\n# Alloc = {live}\n# TotalAlloc = {}\n# Mallocs = {}\n\
         # Frees = {}\n# HeapAlloc = {live}\n# HeapObjects = {}\n",
        c.allocated_bytes,
        c.allocs,
        c.frees,
        c.allocs.saturating_sub(c.frees),
        live = c.allocated_bytes.saturating_sub(c.freed_bytes),
    );
}

#[cfg(test)]
mod tests {
    use oxprof_profile::Sample;

    use super::*;

    #[test]
    fn records_are_sorted_by_inuse_bytes_with_return_addresses_and_frames() {
        let profile = Profile {
            period: 4096,
            ..crate::go_text::two_stacks(vec![4, 400, 1, 100], vec![2, 2048, 2, 2048])
        };
        let text = render(&profile);
        let expected_start = "heap profile: 3: 2148 [6: 2448] @ heap/8192\n\
                              2: 2048 [2: 2048] @ 0x2001 0x1001\n\
                              #\t0x2000\n\
                              #\t0x1000\tapp::work\tsrc/app.rs:7\n\
                              \n\
                              1: 100 [4: 400] @ 0x1001\n\
                              #\t0x1000\tapp::work\tsrc/app.rs:7\n\
                              \n\
                              \n# runtime.MemStats\n# Alloc = ";
        assert!(text.starts_with(expected_start), "{text}");
    }

    #[test]
    fn equal_allocated_and_inuse_bytes_are_told_apart_in_the_header() {
        let profile = Profile {
            sample: vec![Sample {
                location_id: vec![],
                value: vec![1, 64, 1, 64],
                label: vec![],
            }],
            period: 1,
            ..Profile::default()
        };
        assert!(render(&profile).starts_with("heap profile: 1: 64 [1: 65] @ heap/2\n"));
    }
}
