//! Fixed-width text tables with spanning cells, per-column left margins and "shrink" columns, as
//! benchstat lays out its tables (its `texttab` package), so the output lines up identically.
//!
//! Cells are placed row by row at column indices; a cell may span several columns. Each column is
//! as wide as its widest single cell plus its widest left margin; a spanning cell that does not
//! fit widens the non-shrink columns it spans, as evenly as it can.

/// How a cell's text sits in its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

struct Cell {
    row: usize,
    col: usize,
    span: usize,
    value: String,
    margin: String,
    align: Align,
}

/// A table under construction.
#[derive(Default)]
pub(crate) struct Layout {
    cells: Vec<Cell>,
    cols: usize,
    shrink: Vec<bool>,
    row: usize,
    col: usize,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Layout {
    /// Starts a new row (the first cell starts row 0 without it).
    pub fn row(&mut self) {
        if !self.cells.is_empty() {
            self.row += 1;
        }
        self.col = 0;
    }

    /// Moves to column `col` of the current row; never backwards.
    pub fn col(&mut self, col: usize) {
        self.col = self.col.max(col);
    }

    /// The current column.
    pub fn current_col(&self) -> usize {
        self.col
    }

    /// Adds a one-column cell.
    pub fn cell(&mut self, value: impl Into<String>, align: Align, margin: Option<&str>) {
        self.span(1, value, align, margin);
    }

    /// Adds a cell spanning `cols` columns. Without an explicit margin, a cell gets one space on
    /// its left, except in the first column or when it is empty.
    pub fn span(
        &mut self,
        cols: usize,
        value: impl Into<String>,
        align: Align,
        margin: Option<&str>,
    ) {
        let value = value.into();
        let margin = match margin {
            Some(m) => m.to_string(),
            None if self.col == 0 || value.is_empty() => String::new(),
            None => " ".to_string(),
        };
        self.cells.push(Cell {
            row: self.row,
            col: self.col,
            span: cols,
            value,
            margin,
            align,
        });
        self.col += cols;
        self.cols = self.cols.max(self.col);
    }

    /// Marks a column as one that spanning cells never widen.
    pub fn set_shrink(&mut self, col: usize) {
        if self.shrink.len() <= col {
            self.shrink.resize(col + 1, false);
        }
        self.shrink[col] = true;
    }

    fn is_shrink(&self, col: usize) -> bool {
        self.shrink.get(col).copied().unwrap_or(false)
    }

    /// Column widths, margins included.
    fn widths(&self, margins: &[usize]) -> Vec<usize> {
        let mut ws = vec![0; self.cols];
        let mut by_span: Vec<&Cell> = self.cells.iter().collect();
        by_span.sort_by_key(|c| c.span);
        for cell in by_span {
            let mut need = width(&cell.value) + margins[cell.col];
            let cols = cell.col..cell.col + cell.span;
            if cell.span == 1 {
                ws[cell.col] = ws[cell.col].max(need);
                continue;
            }
            if ws[cols.clone()].iter().sum::<usize>() >= need {
                continue;
            }
            // Shrink columns keep their width; the rest share what is missing, widest first so
            // that columns already wider than the average give their excess to the others.
            let mut grow: Vec<usize> = Vec::new();
            for col in cols {
                if self.is_shrink(col) {
                    need = need.saturating_sub(ws[col]);
                } else {
                    grow.push(col);
                }
            }
            grow.sort_by(|a, b| ws[*b].cmp(&ws[*a]));
            let mut left = grow.len();
            for col in grow {
                let avg = need.div_ceil(left);
                ws[col] = ws[col].max(avg);
                need = need.saturating_sub(ws[col]);
                left -= 1;
            }
        }
        ws
    }

    /// The laid-out text, one line per row, without trailing blanks.
    pub fn render(&self) -> String {
        let mut margins = vec![0; self.cols];
        for cell in &self.cells {
            margins[cell.col] = margins[cell.col].max(width(&cell.margin));
        }
        let ws = self.widths(&margins);
        let mut offsets = Vec::with_capacity(self.cols + 1);
        let mut off = 0;
        for w in &ws {
            offsets.push(off);
            off += w;
        }
        offsets.push(off);

        let mut order: Vec<&Cell> = self.cells.iter().collect();
        order.sort_by_key(|c| (c.row, c.col));
        let mut out = String::new();
        let (mut row, mut off) = (0, 0);
        for cell in order {
            if cell.value.trim().is_empty() && cell.margin.trim().is_empty() {
                continue;
            }
            while cell.row > row {
                out.push('\n');
                row += 1;
                off = 0;
            }
            let spaces = offsets[cell.col].abs_diff(off);
            let margin = margins[cell.col];
            out.push_str(&format!("{:spaces$}{:>margin$}", "", cell.margin));
            off += spaces + margin;
            let total = (offsets[cell.col + cell.span] - offsets[cell.col]).saturating_sub(margin);
            let text = match cell.align {
                Align::Left => cell.value.clone(),
                Align::Center => {
                    // A value wider than its space still gets the difference as padding, as
                    // benchstat's layout does.
                    let pad =
                        ((total as i64 - width(&cell.value) as i64) / 2).unsigned_abs() as usize;
                    format!("{:pad$}{}", "", cell.value)
                }
                Align::Right => format!("{:>total$}", cell.value),
            };
            off += width(&text);
            out.push_str(&text);
        }
        if !self.cells.is_empty() {
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_margin() {
        let mut t = Layout::default();
        t.row();
        t.cell("name", Align::Left, None);
        t.cell("1", Align::Right, None);
        t.row();
        t.cell("x", Align::Left, None);
        t.cell("100", Align::Right, Some(" ± "));
        assert_eq!(t.render(), "name     1\nx    ± 100\n");
    }

    #[test]
    fn spanning_cells_widen_only_stretch_columns() {
        let mut t = Layout::default();
        t.row();
        t.col(1);
        t.span(2, "a long header", Align::Center, None);
        t.set_shrink(2);
        t.row();
        t.cell("r", Align::Left, None);
        t.cell("1", Align::Right, None);
        t.cell("2", Align::Right, None);
        // Column 1 takes all 14 (13 + margin) minus shrink column 2's width of 2.
        assert_eq!(t.render(), "  a long header\nr           1 2\n");
    }

    #[test]
    fn empty_cells_print_nothing_and_rows_have_no_trailing_blanks() {
        let mut t = Layout::default();
        t.row();
        t.cell("a", Align::Left, None);
        t.cell("", Align::Left, None);
        t.row();
        t.cell("bb", Align::Left, None);
        t.cell("c", Align::Left, None);
        assert_eq!(t.render(), "a\nbb c\n");
        assert_eq!(Layout::default().render(), "");
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut t = Layout::default();
        t.row();
        t.cell("µ", Align::Left, None);
        t.cell("│", Align::Left, None);
        t.row();
        t.cell("ab", Align::Left, None);
        t.cell("c", Align::Left, None);
        assert_eq!(t.render(), "µ  │\nab c\n");
    }
}
