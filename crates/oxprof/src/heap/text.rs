//! Go's `debug=1` heap text (`/debug/pprof/heap?debug=1`), printed as Go's `runtime/pprof`
//! prints it: the sampled counts themselves (pprof unsamples them when it reads the text),
//! records by in-use bytes, each followed by its symbolized frames, aligned by Go's
//! `text/tabwriter`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use oxprof_profile::{Function, Location, Profile};

use super::counters;
use super::report::{self, Values};

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
    let locations: HashMap<u64, &Location> = profile.location.iter().map(|l| (l.id, l)).collect();
    let functions: HashMap<u64, &Function> = profile.function.iter().map(|f| (f.id, f)).collect();
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
            "{}: {} [{}: {}] @",
            value(v, 2),
            value(v, 3),
            value(v, 0),
            value(v, 1)
        );
        let stack: Vec<&Location> = record
            .location_id
            .iter()
            .filter_map(|id| locations.get(id).copied())
            .collect();
        for location in &stack {
            // Go lists return addresses; a location holds the call instruction, one byte back.
            let _ = write!(out, " {:#x}", location.address.wrapping_add(1));
        }
        out.push('\n');
        for location in &stack {
            write_frames(&mut out, location, &functions);
        }
        out.push('\n');
    }
    write_counters(&mut out);
    out
}

/// Go's `printStackRecord` lines for one location: its inlined functions innermost first, or
/// the bare address when nothing is known about it.
fn write_frames(out: &mut String, location: &Location, functions: &HashMap<u64, &Function>) {
    let named: Vec<_> = location
        .line
        .iter()
        .filter_map(|line| Some((functions.get(&line.function_id)?, line.line)))
        .filter(|(f, _)| !f.name.is_empty())
        .collect();
    if named.is_empty() {
        let _ = writeln!(out, "#\t{:#x}", location.address);
    }
    for (function, line) in named {
        let _ = writeln!(
            out,
            "#\t{:#x}\t{}\t{}:{}",
            location.address, function.name, function.filename, line
        );
    }
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

/// Go's `tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)` over `text`: every tab-terminated cell is
/// padded with tabs to its column's width (widest cell plus one, rounded up to 8), a column
/// running over consecutive lines that have a cell in it.
fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    format_columns(&lines, &mut Vec::new(), &mut out);
    out
}

const TAB_WIDTH: usize = 8;

/// Go's `Writer.format`: finds the blocks of lines with a cell in the next column, sizes that
/// column per block, and recurses into the block for the columns to its right.
fn format_columns(lines: &[Vec<&str>], widths: &mut Vec<usize>, out: &mut String) {
    let column = widths.len();
    let has_cell = |line: &Vec<&str>| column + 1 < line.len();
    let mut printed = 0;
    let mut this = 0;
    while this < lines.len() {
        if !has_cell(&lines[this]) {
            this += 1;
            continue;
        }
        write_lines(&lines[printed..this], widths, out);
        let start = this;
        let mut width = 1;
        while this < lines.len() && has_cell(&lines[this]) {
            width = width.max(lines[this][column].chars().count() + 1);
            this += 1;
        }
        widths.push(width);
        format_columns(&lines[start..this], widths, out);
        widths.pop();
        printed = this;
    }
    write_lines(&lines[printed..], widths, out);
}

/// Go's `Writer.writeLines` with tab padding: a cell's padding is as many tabs as it takes to
/// reach its column's width rounded up to a tab stop.
fn write_lines(lines: &[Vec<&str>], widths: &[usize], out: &mut String) {
    for line in lines {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&width) = widths.get(j) {
                let padded = width.div_ceil(TAB_WIDTH) * TAB_WIDTH;
                let gap = padded - cell.chars().count();
                out.extend(std::iter::repeat_n('\t', gap.div_ceil(TAB_WIDTH)));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use oxprof_profile::{Line, Sample};

    use super::*;

    #[test]
    fn columns_align_as_gos_tabwriter() {
        // Output of Go's tabwriter.NewWriter(os.Stdout, 1, 8, 1, '\t', 0) for the same input.
        let text = "1: 2 [3: 4] @ 0x1 0x2\n\
                    #\t0x4a\tmain.f\ta.go:1\n\
                    #\t0x4a1b2c3d\tmain.a_long_function_name\ta.go:2\n\
                    #\t0x5\n\
                    #\t0x6\tx\tb.go:3\n\
                    \n";
        let expected = "1: 2 [3: 4] @ 0x1 0x2\n\
                        #\t0x4a\t\tmain.f\t\t\t\ta.go:1\n\
                        #\t0x4a1b2c3d\tmain.a_long_function_name\ta.go:2\n\
                        #\t0x5\n\
                        #\t0x6\tx\tb.go:3\n\
                        \n";
        assert_eq!(align(text), expected);
    }

    #[test]
    fn records_are_sorted_by_inuse_bytes_with_return_addresses_and_frames() {
        let profile = Profile {
            sample: vec![
                Sample {
                    location_id: vec![1],
                    value: vec![4, 400, 1, 100],
                    label: vec![],
                },
                Sample {
                    location_id: vec![2, 1],
                    value: vec![2, 2048, 2, 2048],
                    label: vec![],
                },
            ],
            location: vec![
                Location {
                    id: 1,
                    address: 0x1000,
                    line: vec![Line {
                        function_id: 1,
                        line: 7,
                        column: 0,
                    }],
                    ..Location::default()
                },
                Location {
                    id: 2,
                    address: 0x2000,
                    ..Location::default()
                },
            ],
            function: vec![Function {
                id: 1,
                name: "app::work".into(),
                filename: "src/app.rs".into(),
                ..Function::default()
            }],
            period: 4096,
            ..Profile::default()
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
