//! Folded stacks on arbitrary bytes: `Profile::parse_folded` returns a valid profile or an
//! error, never panics; whatever parses renders as a flame graph (SVG and folded stacks), and
//! the folded stacks oxprof writes read back and write again unchanged. The one exception is
//! inherent to the format: when every line written for a one-count profile ends in two numbers
//! (frame names like `f 12`), the text is a differential file and reads back as one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_profile::Profile;
use oxprof_report::flame::{folded, svg, FlameGraph};
use oxprof_report::Report;

/// The flame graph of `p` as folded stacks, after drawing it as an SVG, and whether the graph
/// is differential.
fn render(p: &Profile) -> (String, bool) {
    let report = Report::new(p, &Default::default(), "flame").expect("one sample type");
    let graph = FlameGraph::new(p, &report);
    svg::write_svg(&mut std::io::sink(), &graph, &svg::SvgOptions::default()).unwrap();
    let mut out = Vec::new();
    folded::write_folded(&mut out, &graph).unwrap();
    (
        String::from_utf8(out).expect("folded stacks are UTF-8"),
        graph.diff,
    )
}

/// Whether every line ends in two numbers after a stack: what makes folded text differential.
fn looks_differential(text: &str) -> bool {
    let number =
        |w: Option<&str>| w.is_some_and(|w| w.trim_start_matches('-').parse::<u64>().is_ok());
    text.lines().all(|line| {
        let mut words = line.split_whitespace().rev();
        number(words.next()) && number(words.next()) && words.next().is_some()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Profile::parse_folded(data) else {
        return;
    };
    p.validate()
        .expect("parse_folded returned an invalid profile");
    let (written, diff) = render(&p);
    if written.is_empty() || (!diff && looks_differential(&written)) {
        return;
    }
    let again =
        Profile::parse_folded(written.as_bytes()).expect("oxprof's folded stacks read back");
    assert_eq!(
        render(&again).0,
        written,
        "folded stacks changed on a round trip"
    );
});
