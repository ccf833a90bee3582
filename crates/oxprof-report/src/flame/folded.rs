//! Folded stacks out: one `root;caller;callee value` line per distinct stack, as Brendan Gregg's
//! `stackcollapse` tools write them, for `flamegraph.pl`, inferno, speedscope and every other
//! tool that reads them. `oxprof` reads them back as a profile.

use std::io::{self, Write};

use super::FlameGraph;

/// Writes one line per frame that samples end in: the names from the outermost caller to the
/// frame, joined by `;`, a space and the frame's own value. Lines come in the graph's order
/// (depth first, callees by name), so identical stacks are already merged and the output is
/// sorted. Empty stacks (samples without frames) are left out, as are frames whose own value is
/// zero.
///
/// A differential graph writes two values per line, the base's and the profile's, as
/// `difffolded.pl` does, so `flamegraph.pl` and inferno draw it as a differential flame graph.
///
/// The format has no escapes: `;` inside a name (Rust's `[u8; 4]`) becomes `,`, and line breaks
/// become spaces, so that every line still splits into the frames it came from.
///
/// ```
/// use oxprof_profile::Profile;
/// let p = Profile::parse_folded(b"main;work 3\nmain;idle 1\nmain 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "folded")?;
/// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
/// let mut out = Vec::new();
/// oxprof_report::flame::folded::write_folded(&mut out, &g)?;
/// assert_eq!(String::from_utf8(out)?, "main 1\nmain;idle 1\nmain;work 3\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_folded(w: &mut dyn Write, graph: &FlameGraph) -> io::Result<()> {
    let names: Vec<String> = graph.names.iter().map(|n| clean_name(n)).collect();
    let mut path: Vec<&str> = Vec::new();
    for frame in graph.frames.iter().skip(1) {
        path.truncate(frame.depth - 1);
        path.push(&names[frame.name]);
        if frame.self_value == 0 && frame.base_self == 0 {
            continue;
        }
        for (i, name) in path.iter().enumerate() {
            if i > 0 {
                w.write_all(b";")?;
            }
            w.write_all(name.as_bytes())?;
        }
        if graph.diff {
            write!(w, " {}", frame.base_self)?;
        }
        writeln!(w, " {}", frame.self_value)?;
    }
    Ok(())
}

/// A frame name that cannot break the line format.
fn clean_name(name: &str) -> String {
    name.replace(';', ",").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_split_frames_or_lines() {
        assert_eq!(
            clean_name("<[u8; 4] as Debug>::fmt"),
            "<[u8, 4] as Debug>::fmt"
        );
        assert_eq!(clean_name("a\r\nb"), "a  b");
    }
}
