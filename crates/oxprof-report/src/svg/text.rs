//! How much room text takes, without a font library: the advance widths of Times-Roman (the
//! font Graphviz and these drawings ask for), from Adobe's published metrics for the standard
//! PostScript fonts, in thousandths of the font size.

/// Widths of the printable ASCII characters, from space (32) to tilde (126).
const TIMES_ROMAN: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 333, 333, 333, 500, 564, 250, 333, 250, 278, // ' '../
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, // 0..?
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, // @..O
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, // P.._
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, // `..o
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541, // p..~
];

/// Viewers without Times fall back to wider serif fonts; this much extra room keeps text
/// inside its box there too.
const SLACK: f64 = 1.12;

/// Width in points of `text` set in Times-Roman at `size` points, with some slack for wider
/// fallback fonts. Characters outside ASCII count as six tenths of the size.
///
/// ```
/// use oxprof_report::svg::text_width;
/// assert!(text_width("main", 10.0) > 15.0);
/// assert!(text_width("mmmm", 10.0) > text_width("iiii", 10.0));
/// assert_eq!(text_width("", 10.0), 0.0);
/// ```
pub fn text_width(text: &str, size: f64) -> f64 {
    let thousandths: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(TIMES_ROMAN[c as usize - 32]),
            _ => 600,
        })
        .sum();
    f64::from(thousandths) / 1000.0 * size * SLACK
}

/// Height in points of one line of text at `size` points, as Graphviz spaces lines.
///
/// ```
/// assert_eq!(oxprof_report::svg::line_height(10.0), 12.0);
/// ```
pub fn line_height(size: f64) -> f64 {
    size + 2.0
}
