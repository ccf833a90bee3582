//! The CSV form (`-format csv`): the same tables as the text form with raw numbers, one
//! configuration line per row before each table, and warnings written separately, each prefixed
//! with the spreadsheet cell it belongs to (`C4: need >= 6 samples ...`).
//!
//! ```text
//! ,old.txt,,new.txt,,,
//! ,sec/op,CI,sec/op,CI,vs base,P
//! Encode/format=json-48,1.7180000000000001e-06,1%,1.4225000000000001e-06,1%,-17.20%,p=0.000 n=10
//! geomean,2.294891936453654e-06,,2.089754770302007e-06,,-8.94%,
//! ```

use oxprof_benchfmt::go_float;

use super::{
    tables::{Table, Tables},
    text::sections,
};

/// Each logical column spans: centre, CI.
const CENTER_COLS: usize = 2;
/// Columns after the first add: delta, P.
const DELTA_COLS: usize = 2;

fn start_col(exp: usize) -> usize {
    if exp == 0 {
        1
    } else {
        1 + CENTER_COLS + (exp - 1) * (CENTER_COLS + DELTA_COLS)
    }
}

/// The CSV text and the warnings, one line each.
pub(crate) fn render(tables: &Tables) -> (String, String) {
    // Spreadsheet rows are numbered from 1.
    let mut out = Output {
        row_number: 1,
        ..Output::default()
    };
    for (headers, table) in sections(tables) {
        for line in headers {
            out.record(&[line]);
        }
        render_table(&mut out, table);
    }
    (out.csv, out.warnings)
}

#[derive(Default)]
struct Output {
    csv: String,
    warnings: String,
    row_number: usize,
}

impl Output {
    fn record(&mut self, fields: &[String]) {
        let quoted: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        self.csv.push_str(&quoted.join(","));
        self.csv.push('\n');
        self.row_number += 1;
    }

    /// Notes warnings for the cell at column `col` of the row being built.
    fn warn(&mut self, col: usize, warnings: &[String]) {
        for w in warnings {
            let cell = format!("{}{}", column_name(col), self.row_number);
            self.warnings.push_str(&format!("{cell}: {w}\n"));
        }
    }
}

/// A column's letters as benchstat computes them (A, B, … Z, BA, BB …: base 26 with A as zero).
fn column_name(col: usize) -> String {
    if col == 0 {
        return "A".into();
    }
    let mut letters = Vec::new();
    let mut x = col;
    while x > 0 {
        letters.push(char::from(b'A' + (x % 26) as u8));
        x /= 26;
    }
    letters.iter().rev().collect()
}

/// Quotes a field as Go's encoding/csv does: when it holds a comma, quote, CR or LF, starts with
/// whitespace, or is `\.`.
fn quote(field: &str) -> String {
    let needs = field == r"\."
        || field.contains([',', '"', '\r', '\n'])
        || field.chars().next().is_some_and(char::is_whitespace);
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn render_table(out: &mut Output, t: &Table) {
    let width = start_col(t.cols.len());
    let mut row: Vec<String> = Vec::new();
    let pad = |row: &mut Vec<String>, col: usize| {
        if row.len() < col {
            row.resize(col, String::new());
        }
    };

    for (c, label) in t.cols.iter().enumerate() {
        pad(&mut row, start_col(c));
        row.push(label.clone());
    }
    pad(&mut row, width);
    out.record(&std::mem::take(&mut row));

    for c in 0..t.cols.len() {
        pad(&mut row, start_col(c));
        row.push(t.unit.clone());
        row.push("CI".into());
        if c > 0 {
            row.push("vs base".into());
            row.push("P".into());
        }
    }
    out.record(&std::mem::take(&mut row));

    for (r, name) in t.rows.iter().enumerate() {
        row.push(name.clone());
        for c in 0..t.cols.len() {
            let Some(cell) = t.cells.get(&(r, c)) else {
                continue;
            };
            pad(&mut row, start_col(c));
            out.warn(row.len(), &cell.summary.warnings);
            row.push(go_float(cell.summary.center));
            row.push(cell.summary.pct_range());
            if let Some((cmp, base)) = &cell.comparison {
                out.warn(row.len(), &cmp.warnings);
                row.push(cmp.format_delta(*base, cell.summary.center));
                row.push(cmp.to_string());
            }
        }
        out.record(&std::mem::take(&mut row));
    }

    row.push("geomean".into());
    for (c, sum) in t.summaries.iter().enumerate() {
        pad(&mut row, start_col(c));
        out.warn(row.len(), &sum.warnings);
        if let Some(gm) = sum.geomean {
            row.push(go_float(gm));
        }
        if c > 0 {
            pad(&mut row, start_col(c) + CENTER_COLS);
            match sum.ratio {
                Some(ratio) => row.push(format!("{:+.2}%", (ratio - 1.0) * 100.0)),
                None => row.push("?".into()),
            }
        }
    }
    pad(&mut row, width);
    out.record(&row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_go_quotes_them() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote(""), "");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote(" lead"), "\" lead\"");
        assert_eq!(quote(r"\."), "\"\\.\"");
    }

    #[test]
    fn spreadsheet_column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(1), "B");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "BA");
    }
}
