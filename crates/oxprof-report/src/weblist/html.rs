//! The `weblist` page as HTML, laid out as pprof lays it out: one `<pre>` per block of lines,
//! each line a clickable span followed by its hidden assembly, styles and the toggling script
//! inline, so the page is one self-contained file.

use std::io::{self, Write};

use super::{WebInstruction, WebLine, WebListing};
use crate::graph::go_base;
use crate::list::value_or_dot;
use crate::{measurement, Report};

const STYLE: &str = r#"<style type="text/css">
body #content{
font-family: sans-serif;
}
h1 {
  font-size: 1.5em;
}
.legend {
  font-size: 1.25em;
}
.line, .nop, .unimportant {
  color: #aaaaaa;
}
.inlinesrc {
  color: #000066;
}
.livesrc {
cursor: pointer;
}
.livesrc:hover {
background-color: #eeeeee;
}
.asm {
color: #008800;
display: none;
}
</style>"#;

/// Clicking a line shows or hides the assembly that follows it.
const SCRIPT: &str = r#"<script type="text/javascript">
function pprof_toggle_asm(e) {
  var target;
  if (!e) e = window.event;
  if (e.target) target = e.target;
  else if (e.srcElement) target = e.srcElement;

  if (target) {
    var asm = target.nextSibling;
    if (asm && asm.className == "asm") {
      asm.style.display = (asm.style.display == "block" ? "" : "block");
      e.preventDefault();
      return false;
    }
  }
}
</script>"#;

/// Writes the whole page.
pub(super) fn write_page(
    w: &mut dyn Write,
    listing: &WebListing,
    report: &Report,
) -> io::Result<()> {
    writeln!(
        w,
        "\n<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>oxprof listing</title>"
    )?;
    writeln!(w, "{STYLE}")?;
    writeln!(w, "{SCRIPT}")?;
    write!(w, "</head>\n<body>\n\n")?;
    let labels: Vec<String> = listing.labels.iter().map(|l| escape(l)).collect();
    write!(
        w,
        "<div class=\"legend\">{}<br>Total: {}</div>",
        labels.join("<br>\n"),
        report.format_value(listing.total)
    )?;
    for f in &listing.functions {
        write!(
            w,
            "<h2>{}</h2><p class=\"filename\">{}</p>\n<pre onClick=\"pprof_toggle_asm(event)\">\n  Total:  {:>10} {:>10} (flat, cum) {}\n",
            escape(&f.name),
            escape(&f.file),
            report.format_value(f.flat),
            report.format_value(f.cum),
            measurement::percentage(f.cum, listing.total)
        )?;
        for line in &f.lines {
            write_line(w, line, report)?;
        }
        writeln!(w, "</pre>")?;
    }
    writeln!(w, "\n</body>\n</html>")
}

fn write_line(w: &mut dyn Write, line: &WebLine, report: &Report) -> io::Result<()> {
    let (flat, cum) = (
        value_or_dot(line.flat, report),
        value_or_dot(line.cum, report),
    );
    if line.instructions.is_empty() {
        return writeln!(
            w,
            "<span class=line> {:>6}</span> <span class=nop>  {flat:>10} {cum:>10} {:>8}  {} </span>",
            line.lineno,
            "",
            escape(&line.text)
        );
    }
    let nested = line
        .instructions
        .iter()
        .any(|i| !i.inline_calls.is_empty() || !i.text.is_empty());
    let class = if nested { "livesrc" } else { "deadsrc" };
    write!(
        w,
        "<span class=line> {:>6}</span> <span class={class}>  {flat:>10} {cum:>10} {:>8}  {} </span>",
        line.lineno,
        "",
        escape(&line.text)
    )?;
    if nested {
        write_assembly(w, indentation(&line.text), &line.instructions, report)?;
    }
    writeln!(w)
}

/// The hidden part under a line: inlined calls as they change, and the instructions.
fn write_assembly(
    w: &mut dyn Write,
    indent: usize,
    instructions: &[WebInstruction],
    report: &Report,
) -> io::Result<()> {
    write!(w, "<span class=asm>")?;
    let mut current: &[super::InlineCall] = &[];
    for (i, inst) in instructions.iter().enumerate() {
        if inst.starts_block && i != 0 {
            writeln!(w, " {:>8} {:>28}", "", "⋮")?;
        }
        for (j, call) in inst.inline_calls.iter().enumerate() {
            if current.get(j) == Some(call) {
                continue;
            }
            current = &[];
            let text = format!("{}{}", " ".repeat(indent + 4 + 4 * j), call.text.trim());
            writeln!(
                w,
                " {:>8} {:>10} {:>10} {:>8}  <span class=inlinesrc>{}</span> <span class=unimportant>{}:{}</span>",
                "",
                "",
                "",
                "",
                escape(&right_pad(&text, 80)),
                escape(go_base(&call.file)),
                call.line
            )?;
        }
        current = &inst.inline_calls;
        if inst.text.is_empty() {
            continue;
        }
        let text = format!(
            "{}{}",
            " ".repeat(indent + 4 + 4 * inst.inline_calls.len()),
            inst.text
        );
        let file_line = if inst.file.is_empty() {
            String::new()
        } else {
            format!("{}:{}", escape(go_base(&inst.file)), inst.line)
        };
        writeln!(
            w,
            " {:>8} {:>10} {:>10} {:>8x}: {} <span class=unimportant>{file_line}</span>",
            "",
            value_or_dot(inst.flat, report),
            value_or_dot(inst.cum, report),
            inst.address,
            escape(&right_pad(&text, 80))
        )?;
    }
    write!(w, "</span>")
}

/// Go's `template.HTMLEscapeString`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Columns of leading white space, tabs to the next multiple of 8.
fn indentation(line: &str) -> usize {
    let mut column = 0;
    for c in line.chars() {
        match c {
            ' ' => column += 1,
            '\t' => column = (column / 8 + 1) * 8,
            _ => break,
        }
    }
    column
}

/// `s` with tabs expanded to 8-column stops and padded with spaces to at least `n` columns.
fn right_pad(s: &str, n: usize) -> String {
    let mut out = String::with_capacity(n.max(s.len()));
    let mut column = 0;
    for c in s.chars() {
        column += 1;
        if c == '\t' {
            out.push(' ');
            while column % 8 != 0 {
                column += 1;
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    while column < n {
        column += 1;
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers_match_pprof() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"
        );
        assert_eq!(indentation("\t  x"), 10);
        assert_eq!(indentation("    x"), 4);
        assert_eq!(right_pad("a\tb", 12), "a       b   ");
        assert_eq!(right_pad("abc", 2), "abc");
    }
}
