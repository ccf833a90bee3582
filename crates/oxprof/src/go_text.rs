//! Go's legacy `debug=1` text profiles share their record layout: a line of values, ` @ ` and
//! the stack's return addresses, then one `#` comment line per frame (Go's `printStackRecord`),
//! then a blank line, the whole aligned by Go's `text/tabwriter`.

use std::collections::HashMap;
use std::fmt::Write as _;

use oxprof_profile::{Function, Location, Profile};

/// A built profile's locations and functions by id, to print its samples' stacks.
pub(crate) struct StackPrinter<'a> {
    locations: HashMap<u64, &'a Location>,
    functions: HashMap<u64, &'a Function>,
}

impl<'a> StackPrinter<'a> {
    pub(crate) fn new(profile: &'a Profile) -> Self {
        StackPrinter {
            locations: profile.location.iter().map(|l| (l.id, l)).collect(),
            functions: profile.function.iter().map(|f| (f.id, f)).collect(),
        }
    }

    /// Ends a record's value line with ` @ <return addresses>`, then writes its frames and the
    /// blank line that closes the record.
    pub(crate) fn write_stack(&self, out: &mut String, location_ids: &[u64]) {
        let stack: Vec<&Location> = location_ids
            .iter()
            .filter_map(|id| self.locations.get(id).copied())
            .collect();
        out.push_str(" @");
        for location in &stack {
            // Go lists return addresses; a location holds the call instruction, one byte back.
            let _ = write!(out, " {:#x}", location.address.wrapping_add(1));
        }
        out.push('\n');
        for location in &stack {
            self.write_frames(out, location);
        }
        out.push('\n');
    }

    /// Go's `printStackRecord` lines for one location: its inlined functions innermost first,
    /// or the bare address when nothing is known about it. Unlike Go's, the lines carry no
    /// `+0x…` offset into the function: the symbolizer reports lines, not entry addresses.
    fn write_frames(&self, out: &mut String, location: &Location) {
        let named: Vec<_> = location
            .line
            .iter()
            .filter_map(|line| Some((self.functions.get(&line.function_id)?, line.line)))
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
}

/// Go's `tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)` over `text`: every tab-terminated cell is
/// padded with tabs to its column's width (widest cell plus one, rounded up to 8), a column
/// running over consecutive lines that have a cell in it.
pub(crate) fn align(text: &str) -> String {
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

/// For the text writers' tests: a profile with the stacks `[1]` and `[2, 1]` carrying `first`
/// and `second`, where location 1 (0x1000) is `app::work` at src/app.rs:7 and location 2
/// (0x2000) is unsymbolized.
#[cfg(test)]
pub(crate) fn two_stacks(first: Vec<i64>, second: Vec<i64>) -> Profile {
    use oxprof_profile::{Line, Sample};
    Profile {
        sample: vec![
            Sample {
                location_id: vec![1],
                value: first,
                label: vec![],
            },
            Sample {
                location_id: vec![2, 1],
                value: second,
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
        ..Profile::default()
    }
}

#[cfg(test)]
mod tests {
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
}
