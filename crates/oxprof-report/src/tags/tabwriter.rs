//! Right-aligned tab-separated columns, laid out as Go's `text/tabwriter` does with
//! `AlignRight`, padding 1 and space padding (the writer pprof's `tags` report goes through).
//!
//! A cell is text terminated by a tab; the text after a line's last tab is not part of any
//! column. A column's width is set per *block*: the run of consecutive lines that have a cell in
//! that column, so a line without tabs separates unrelated tables.

/// Lays out `text`, padding every tab-terminated cell on the left to its column block's widest
/// cell plus one space and dropping the tabs.
pub(super) fn align_right(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    layout(&lines, &mut Vec::new(), &mut out);
    // Every line was written with a newline; the text's own last line has none.
    out.pop();
    out
}

/// Writes `lines`, whose columns left of `widths.len()` already have their widths.
fn layout(lines: &[Vec<&str>], widths: &mut Vec<usize>, out: &mut String) {
    let column = widths.len();
    let has_column = |line: &Vec<&str>| column + 1 < line.len();
    let mut done = 0;
    let mut i = 0;
    while i < lines.len() {
        if !has_column(&lines[i]) {
            i += 1;
            continue;
        }
        write_lines(&lines[done..i], widths, out);
        let block = i;
        let mut width = 0;
        while i < lines.len() && has_column(&lines[i]) {
            width = width.max(lines[i][column].chars().count() + 1);
            i += 1;
        }
        widths.push(width);
        layout(&lines[block..i], widths, out);
        widths.pop();
        done = i;
    }
    write_lines(&lines[done..], widths, out);
}

fn write_lines(lines: &[Vec<&str>], widths: &[usize], out: &mut String) {
    for line in lines {
        for (j, cell) in line.iter().enumerate() {
            if let Some(width) = widths.get(j) {
                let pad = width.saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat(' ').take(pad));
            }
            out.push_str(cell);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::align_right;

    #[test]
    fn columns_align_right_within_blocks() {
        let text = "a:\t Total 1\n \t10 (90%):\t x\n \t1 (10%):\t yy\n\nlonger key:\t Total 2\n";
        assert_eq!(
            align_right(text),
            " a: Total 1\n    10 (90%): x\n     1 (10%): yy\n\n longer key: Total 2\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        assert_eq!(align_right("µs\tx\nab c\ty\n"), "   µsx\n ab cy\n");
    }
}
