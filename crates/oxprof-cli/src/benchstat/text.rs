//! The text form: each table under the configuration lines that changed since the previous one,
//! laid out as benchstat does, with warnings as numbered footnotes.
//!
//! ```text
//!                       │   old.txt   │               new.txt               │
//!                       │   sec/op    │   sec/op     vs base                │
//! Encode/format=json-48   1.718µ ± 1%   1.423µ ± 1%  -17.20% (p=0.000 n=10)
//! geomean                 2.295µ        2.090µ        -8.94%
//! ```

use oxprof_benchfmt::units::class_of;

use super::{
    layout::{Align, Layout},
    scale::{common_scale, scale},
    tables::{Table, Tables},
};

/// Each logical column spans: centre, `± CI`, warnings.
const CENTER_COLS: usize = 3;
/// Columns after the first add: delta, `(p=… n=…)`, warnings.
const DELTA_COLS: usize = 3;

/// The first layout column of logical column `exp` (column 0 holds row names).
fn start_col(exp: usize) -> usize {
    if exp == 0 {
        1
    } else {
        1 + CENTER_COLS + (exp - 1) * (CENTER_COLS + DELTA_COLS)
    }
}

/// Renders all tables.
pub(crate) fn render(tables: &Tables) -> String {
    let mut out = String::new();
    for (headers, table) in sections(tables) {
        for line in headers {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&render_table(table));
    }
    out
}

/// Each table with the lines to print before it: a blank line between tables, then `key: value`
/// for each configuration key whose value differs from the previous table's (all of them before
/// the first).
pub(crate) fn sections(tables: &Tables) -> Vec<(Vec<String>, &Table)> {
    let mut prev: Option<&[String]> = None;
    let mut out = Vec::new();
    for (i, table) in tables.tables.iter().enumerate() {
        let mut headers = Vec::new();
        if i > 0 {
            headers.push(String::new());
        }
        for (k, key) in tables.config_keys.iter().enumerate() {
            let value = &table.config[k];
            if prev.map_or(true, |p| &p[k] != value) {
                headers.push(format!("{key}: {value}"));
            }
        }
        prev = Some(&table.config);
        out.push((headers, table));
    }
    out
}

/// Numbered warnings: each distinct message gets the next number on first use.
#[derive(Default)]
struct Footnotes(Vec<String>);

impl Footnotes {
    /// The superscript marks for `warnings`, space-separated.
    fn marks<'a>(&mut self, warnings: impl IntoIterator<Item = &'a String>) -> String {
        let marks: Vec<String> = warnings
            .into_iter()
            .map(|w| {
                let n = match self.0.iter().position(|x| x == w) {
                    Some(i) => i + 1,
                    None => {
                        self.0.push(w.clone());
                        self.0.len()
                    }
                };
                superscript(n)
            })
            .collect();
        marks.join(" ")
    }
}

fn superscript(n: usize) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .bytes()
        .map(|d| DIGITS[usize::from(d - b'0')])
        .collect()
}

fn render_table(t: &Table) -> String {
    let mut o = Layout::default();
    let mut notes = Footnotes::default();
    let ncols = t.cols.len();
    let right_edge = start_col(ncols + 1);

    // Column labels, each over its whole column group.
    o.row();
    for (i, label) in t.cols.iter().enumerate() {
        let (l, r) = (start_col(i), start_col(i + 1));
        o.col(l);
        o.span(r - l, label.as_str(), Align::Center, Some(" │ "));
    }
    o.col(right_edge);
    o.cell("", Align::Left, Some(" │"));

    // Units and "vs base"; every interior column of a group keeps its natural width.
    o.row();
    for i in 0..ncols {
        let l = start_col(i);
        o.col(l);
        o.span(CENTER_COLS, t.unit.as_str(), Align::Center, Some(" │ "));
        if i > 0 {
            o.span(DELTA_COLS, "vs base", Align::Left, Some("  "));
        }
        for j in l + 1..o.current_col() {
            o.set_shrink(j);
        }
    }
    o.col(right_edge);
    o.cell("", Align::Left, Some(" │"));

    let class = class_of(&t.unit);
    for (r, name) in t.rows.iter().enumerate() {
        o.row();
        o.cell(name.as_str(), Align::Left, None);
        let centers: Vec<f64> = (0..ncols)
            .filter_map(|c| t.cells.get(&(r, c)).map(|cell| cell.summary.center))
            .collect();
        let scaler = common_scale(&centers, class);
        for c in 0..ncols {
            let Some(cell) = t.cells.get(&(r, c)) else {
                continue;
            };
            o.col(start_col(c));
            o.cell(scaler.format(cell.summary.center), Align::Right, None);
            // The ± sits in the margin so the ±s line up and geomeans align with centres.
            o.cell(cell.summary.pct_range(), Align::Right, Some(" ± "));
            o.cell(notes.marks(&cell.summary.warnings), Align::Left, None);
            if let Some((cmp, base)) = &cell.comparison {
                o.cell(
                    cmp.format_delta(*base, cell.summary.center),
                    Align::Right,
                    None,
                );
                o.cell(format!("({cmp})"), Align::Left, None);
                o.cell(notes.marks(&cmp.warnings), Align::Left, None);
            }
        }
    }

    if t.rows.len() > 1 {
        o.row();
        o.cell("geomean", Align::Left, None);
        for (c, sum) in t.summaries.iter().enumerate() {
            if let Some(gm) = sum.geomean {
                o.col(start_col(c));
                o.cell(scale(gm, class), Align::Right, None);
            }
            if c > 0 {
                o.col(start_col(c) + CENTER_COLS);
                match sum.ratio {
                    Some(ratio) => o.cell(
                        format!("{:+.2}%", (ratio - 1.0) * 100.0),
                        Align::Right,
                        None,
                    ),
                    None => o.cell("?", Align::Left, None),
                }
            }
            o.col(start_col(c + 1) - 1);
            o.cell(notes.marks(&sum.warnings), Align::Left, None);
        }
    }

    let mut out = o.render();
    for (i, note) in notes.0.iter().enumerate() {
        out.push_str(&format!("{} {note}\n", superscript(i + 1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superscripts() {
        assert_eq!(superscript(1), "¹");
        assert_eq!(superscript(10), "¹⁰");
        assert_eq!(superscript(203), "²⁰³");
    }
}
