//! A [`FlameGraph`] as one self-contained, interactive SVG file: the root at the bottom, each
//! frame a box as wide as its value, callers below callees. Opened in a browser, a click zooms
//! into a frame (its callers stay below, faded), `Reset Zoom` or Escape zooms out, and `Search`
//! (or Ctrl-F) highlights the frames whose name matches a regular expression and says what
//! share of the samples they cover. The script is embedded; the file needs nothing else.
//!
//! Colours follow Brendan Gregg's flame graphs: warm colours hashed from the name (the same
//! function gets the same colour in every graph), or, in a differential graph, red for frames
//! whose own weight grew and blue for frames whose own weight shrank, deeper for bigger changes.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{FlameGraph, Frame};
use crate::measurement;

/// The interactive part, run by the browser that opens the SVG.
const SCRIPT: &str = include_str!("flame.js");

const PAD_X: f64 = 10.0;
const FRAME_HEIGHT: f64 = 16.0;
const FONT_SIZE: f64 = 12.0;
/// Average glyph width of the sans-serif font, in font sizes, to fit labels into boxes.
const FONT_WIDTH: f64 = 0.59;
const BOTTOM_PAD: f64 = 34.0;

/// How the SVG looks.
///
/// ```
/// let o = oxprof_report::flame::svg::SvgOptions::default();
/// assert_eq!((o.width, o.min_width), (1200.0, 0.1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SvgOptions {
    /// The heading.
    pub title: String,
    /// Lines under the heading (what the profile is: pprof's `File:`, `Type:`... lines).
    pub subtitles: Vec<String>,
    /// Width of the image in pixels.
    pub width: f64,
    /// Frames narrower than this many pixels are left out (with everything above them), as
    /// `flamegraph.pl` does: they could not be seen or clicked, and big profiles have millions.
    pub min_width: f64,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions {
            title: "Flame Graph".into(),
            subtitles: Vec::new(),
            width: 1200.0,
            min_width: 0.1,
        }
    }
}

/// Writes `graph` as an interactive SVG. Each frame is a `<g class="f">` group holding a
/// `<title>` (name, value, share of the root, own value, and in a differential graph the base
/// values and the change), a `<rect>` whose width is proportional to the frame's value, and a
/// label cut to fit. Its `data-s`, `data-v` and `data-d` attributes give its start and width in
/// sample units and its depth, from which the script lays frames out again when zooming.
///
/// ```
/// use oxprof_profile::Profile;
/// use oxprof_report::flame::{svg, FlameGraph};
/// let p = Profile::parse_folded(b"main;work 3\nmain;idle 1\n")?;
/// let g = FlameGraph::new(&p, &oxprof_report::Report::new(&p, &Default::default(), "flame")?);
/// let mut out = Vec::new();
/// svg::write_svg(&mut out, &g, &svg::SvgOptions::default())?;
/// let text = String::from_utf8(out)?;
/// assert!(text.starts_with("<?xml"));
/// assert_eq!(text.matches("<g class=\"f\"").count(), 4); // root, main, idle, work
/// assert!(text.contains("<title>work (3, 75.00%; self 3)</title>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_svg(w: &mut dyn Write, graph: &FlameGraph, options: &SvgOptions) -> io::Result<()> {
    let layout = Layout::new(graph, options);
    let width = options.width;
    let height = layout.frames_top + layout.rows as f64 * FRAME_HEIGHT + BOTTOM_PAD;
    writeln!(w, r#"<?xml version="1.0" standalone="no"?>"#)?;
    writeln!(
        w,
        r#"<svg version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" onload="oxflame.init()">"#
    )?;
    // Unchanged frames of a diff are white: an outline keeps them apart.
    let outline = if graph.diff {
        "g.f rect { stroke: rgb(200,200,200); stroke-width: 0.5; } "
    } else {
        ""
    };
    writeln!(
        w,
        "<style>text {{ font-family: Verdana, sans-serif; font-size: {FONT_SIZE}px; fill: rgb(0,0,0); }} \
         {outline}g.f:hover rect {{ stroke: black; stroke-width: 0.5; cursor: pointer; }} \
         .button {{ cursor: pointer; fill: rgb(0,0,160); }} .hidden {{ display: none; }} \
         #title {{ font-size: 17px; }} .subtitle {{ fill: rgb(96,96,96); }}</style>"
    )?;
    writeln!(
        w,
        "<script type=\"text/ecmascript\"><![CDATA[\nvar oxflameConfig = {{ width: {width}, pad: {PAD_X}, \
         frameHeight: {FRAME_HEIGHT}, fontSize: {FONT_SIZE}, fontWidth: {FONT_WIDTH} }};\n{SCRIPT}]]></script>"
    )?;
    writeln!(
        w,
        r#"<rect x="0" y="0" width="{width}" height="{height}" fill="rgb(248,248,248)"/>"#
    )?;
    let center = width / 2.0;
    writeln!(
        w,
        r#"<text id="title" x="{center}" y="24" text-anchor="middle">{}</text>"#,
        escape(&options.title)
    )?;
    for (i, line) in options.subtitles.iter().enumerate() {
        writeln!(
            w,
            r#"<text class="subtitle" x="{center}" y="{}" text-anchor="middle">{}</text>"#,
            42.0 + FRAME_HEIGHT * i as f64,
            escape(line)
        )?;
    }
    let buttons = layout.frames_top - 10.0;
    writeln!(
        w,
        r#"<text id="unzoom" class="button hidden" x="{PAD_X}" y="{buttons}">Reset Zoom</text>"#
    )?;
    writeln!(
        w,
        r#"<text id="search" class="button" x="{}" y="{buttons}" text-anchor="end">Search</text>"#,
        width - PAD_X
    )?;
    let bottom = height - 12.0;
    writeln!(
        w,
        r#"<text id="matched" class="hidden" x="{}" y="{bottom}" text-anchor="end"> </text>"#,
        width - PAD_X
    )?;
    writeln!(w, r#"<text id="details" x="{PAD_X}" y="{bottom}"> </text>"#)?;
    if layout.scale.is_none() {
        writeln!(
            w,
            r#"<text x="{center}" y="{}" text-anchor="middle">No samples to show</text>"#,
            layout.frames_top + FRAME_HEIGHT
        )?;
    }
    writeln!(w, r#"<g id="frames">"#)?;
    if let Some(scale) = layout.scale {
        drawn_frames(graph, scale, options.min_width, |i, start| {
            write_frame(w, graph, &graph.frames[i], start, &layout)
        })?;
    }
    writeln!(w, "</g>\n</svg>")
}

/// Calls `visit` with the index and start (in sample units) of every frame wide enough to draw,
/// depth first. A frame starts where its parent does plus the values of its earlier siblings;
/// a frame too narrow to draw is skipped with everything it calls.
fn drawn_frames(
    graph: &FlameGraph,
    scale: f64,
    min_width: f64,
    mut visit: impl FnMut(usize, i64) -> io::Result<()>,
) -> io::Result<()> {
    // The next free start at each depth, under the frame last visited one level up.
    let mut cursor = vec![0i64];
    let mut i = 0;
    while let Some(frame) = graph.frames.get(i) {
        let depth = frame.depth;
        cursor.resize(depth + 2, 0);
        let start = cursor[depth];
        let value = frame.value.max(0);
        cursor[depth] = start.wrapping_add(value);
        if value == 0 || (value as f64 * scale) < min_width {
            i = frame.end.max(i + 1);
            continue;
        }
        cursor[depth + 1] = start;
        visit(i, start)?;
        i += 1;
    }
    Ok(())
}

/// Where frames go: pixels per sample unit, the rows needed, and the colour scale.
struct Layout {
    /// Pixels per sample unit; `None` when nothing can be drawn.
    scale: Option<f64>,
    rows: usize,
    frames_top: f64,
    /// The largest change of a frame's own value, for the colour scale of a diff.
    max_delta: i64,
}

impl Layout {
    fn new(graph: &FlameGraph, options: &SvgOptions) -> Layout {
        let frames_top = 42.0 + FRAME_HEIGHT * options.subtitles.len() as f64 + 14.0;
        let total = graph.root().value;
        let usable = (options.width - 2.0 * PAD_X).max(1.0);
        let scale = (total > 0).then(|| usable / total as f64);
        let mut rows = 1;
        if let Some(scale) = scale {
            let deepest = |i: usize, _| {
                rows = rows.max(graph.frames[i].depth + 1);
                Ok(())
            };
            // Visiting writes nothing, so it cannot fail.
            let _ = drawn_frames(graph, scale, options.min_width, deepest);
        }
        let max_delta = graph
            .frames
            .iter()
            .map(|f| f.self_delta().unsigned_abs())
            .max()
            .unwrap_or(0)
            .clamp(1, i64::MAX as u64) as i64;
        Layout {
            scale,
            rows,
            frames_top,
            max_delta,
        }
    }
}

fn write_frame(
    w: &mut dyn Write,
    graph: &FlameGraph,
    frame: &Frame,
    start: i64,
    layout: &Layout,
) -> io::Result<()> {
    let scale = layout.scale.unwrap_or(0.0);
    let x = PAD_X + start as f64 * scale;
    let width = frame.value as f64 * scale;
    let y = layout.frames_top + (layout.rows - 1 - frame.depth) as f64 * FRAME_HEIGHT;
    let name = graph.name(frame);
    let (r, g, b) = if graph.diff {
        diff_color(frame.self_delta(), layout.max_delta)
    } else {
        name_color(name)
    };
    writeln!(
        w,
        r#"<g class="f" data-s="{start}" data-v="{}" data-d="{}"><title>{}</title><rect x="{x:.2}" y="{y}" width="{width:.2}" height="{}" rx="2" fill="rgb({r},{g},{b})"/><text x="{:.2}" y="{}">{}</text></g>"#,
        frame.value,
        frame.depth,
        escape(&title(graph, frame)),
        FRAME_HEIGHT - 1.0,
        x + 3.0,
        y + 11.5,
        escape(&fit_label(name, width)),
    )
}

/// What hovering over a frame tells: its name, value and share of the root, its own value, and
/// in a differential graph the base values and the change of its own value.
fn title(graph: &FlameGraph, frame: &Frame) -> String {
    let label = |v: i64| measurement::label(v, &graph.unit);
    let total = graph.root().value;
    let share = if total == 0 {
        0.0
    } else {
        frame.value as f64 * 100.0 / total as f64
    };
    let mut text = format!("{} ({}, {share:.2}%", graph.name(frame), label(frame.value));
    if graph.diff {
        text += &format!(", before {}", label(frame.base));
    }
    if frame.self_value != 0 || frame.base_self != 0 {
        text += &format!("; self {}", label(frame.self_value));
        if graph.diff {
            let delta = frame.self_delta();
            let sign = if delta > 0 { "+" } else { "" };
            text += &format!(
                ", before {}, {sign}{}",
                label(frame.base_self),
                label(delta)
            );
        }
    }
    if frame.inline {
        text += "; inlined";
    }
    text + ")"
}

/// The label of a box `width` pixels wide: the name, cut with `..` to fit, or nothing when not
/// even three characters fit. The script applies the same rule after zooming.
fn fit_label(name: &str, width: f64) -> Cow<'_, str> {
    let fits = ((width - 6.0) / (FONT_SIZE * FONT_WIDTH)).floor();
    if fits < 3.0 {
        return Cow::Borrowed("");
    }
    let fits = fits as usize;
    if name.chars().count() <= fits {
        return Cow::Borrowed(name);
    }
    let mut cut: String = name.chars().take(fits - 2).collect();
    cut.push_str("..");
    Cow::Owned(cut)
}

/// The colour of a frame in a differential flame graph, from the change of its own value and the
/// largest change of any frame (as Brendan Gregg's `flamegraph.pl` colours them): white for no
/// change, red for growth, blue for shrinkage, saturated at the largest change.
///
/// ```
/// use oxprof_report::flame::svg::diff_color;
/// assert_eq!(diff_color(0, 10), (255, 255, 255));
/// assert_eq!(diff_color(10, 10), (255, 0, 0));
/// assert_eq!(diff_color(5, 10), (255, 105, 105));
/// assert_eq!(diff_color(-5, 10), (105, 105, 255));
/// ```
pub fn diff_color(delta: i64, max_delta: i64) -> (u8, u8, u8) {
    let max = max_delta.max(1) as f64;
    let fade = |d: i64| (210.0 * (max - d.unsigned_abs() as f64).max(0.0) / max) as u8;
    match delta {
        0 => (255, 255, 255),
        d if d > 0 => (255, fade(d), fade(d)),
        d => (fade(d), fade(d), 255),
    }
}

/// A warm colour chosen by the name, so a function has the same colour in every graph.
fn name_color(name: &str) -> (u8, u8, u8) {
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let part = |shift: u32| ((hash >> shift) & 0xffff) as f64 / 65535.0;
    (
        205 + (50.0 * part(0)) as u8,
        (230.0 * part(16)) as u8,
        (55.0 * part(32)) as u8,
    )
}

/// Text as XML character data: markup characters escaped, and characters XML cannot hold at
/// all (most control characters) replaced by U+FFFD.
fn escape(text: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\u{fffe}' | '\u{ffff}')
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r') && c < '\u{80}')
    };
    if !text.contains(special) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if special(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fit_their_boxes() {
        assert_eq!(fit_label("main.hot", 200.0), "main.hot");
        // 50 px hold (50 - 6) / 7.08 = 6 characters: four and the dots.
        assert_eq!(fit_label("main.hot", 50.0), "main..");
        assert_eq!(fit_label("main.hot", 20.0), "");
        assert_eq!(fit_label("ééééééé", 50.0), "éééé..");
    }

    #[test]
    fn escaping_makes_any_name_well_formed() {
        assert_eq!(
            escape("<T as Tr>::f & \"x\""),
            "&lt;T as Tr&gt;::f &amp; &quot;x&quot;"
        );
        assert_eq!(escape("a\u{1}b\tc"), "a\u{fffd}b\tc");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn names_get_stable_warm_colours() {
        let (r, g, b) = name_color("main.hot");
        assert_eq!(name_color("main.hot"), (r, g, b));
        assert!(r >= 205 && g <= 230 && b <= 55);
        assert_ne!(name_color("main.hot"), name_color("main.cold"));
    }
}
