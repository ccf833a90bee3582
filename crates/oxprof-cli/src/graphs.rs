//! pprof's graph commands: `svg`, `png`, `pdf`, `gif`, `ps` and `callgrind` files, and `web`,
//! `eog`, `evince`, `gv` and `kcachegrind`, which open a viewer on a temporary file.
//!
//! Drawings come from Graphviz's `dot` when it is installed. Without it, SVG (and so `web` and
//! `eog`) is drawn by oxprof's built-in layout; the other image formats need Graphviz.

use std::{
    io::{self, Read, Write},
    process::{Command, Stdio},
};

use anyhow::{anyhow, bail, Result};
use oxprof_profile::Profile;
use oxprof_report::{callgrind, dot::DotGraph, svg, Options};

use crate::{browser, fetch, flags::Config};

/// What a graph command makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Product {
    /// An SVG drawing; `pan_zoom` makes it a page that pans and zooms in a browser.
    Svg { pan_zoom: bool },
    /// An image in a Graphviz output format (`png`, `pdf`...).
    Image(&'static str),
    /// The callgrind format.
    Callgrind,
}

/// Who shows what a viewer command makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewers {
    /// A web browser.
    Browser,
    /// These programs, with arguments, in this order.
    Programs(&'static [&'static str]),
}

/// A graph command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GraphCommand {
    product: Product,
    /// The file name suffix of its output (files that must not go to a terminal, temporary
    /// files for viewers).
    pub suffix: &'static str,
    /// The viewers a viewer command opens; `None` for commands that only write.
    viewers: Option<Viewers>,
}

impl GraphCommand {
    /// Whether the command opens a viewer rather than writing its output.
    pub(crate) fn opens_viewer(&self) -> bool {
        self.viewers.is_some()
    }
}

/// The graph command called `name`, if it is one (`dot` is a plain text report).
pub(crate) fn lookup(name: &str) -> Option<GraphCommand> {
    let (product, suffix, viewers) = match name {
        "svg" => (Product::Svg { pan_zoom: true }, ".svg", None),
        "png" => (Product::Image("png"), ".png", None),
        "gif" => (Product::Image("gif"), ".gif", None),
        "pdf" => (Product::Image("pdf"), ".pdf", None),
        "ps" => (Product::Image("ps"), ".ps", None),
        "callgrind" => (Product::Callgrind, ".callgraph.out", None),
        "web" => (
            Product::Svg { pan_zoom: true },
            ".svg",
            Some(Viewers::Browser),
        ),
        "eog" => (
            Product::Svg { pan_zoom: false },
            ".svg",
            Some(Viewers::Programs(&["eog"])),
        ),
        "evince" => (
            Product::Image("pdf"),
            ".pdf",
            Some(Viewers::Programs(&["evince"])),
        ),
        "gv" => (
            Product::Image("ps"),
            ".ps",
            Some(Viewers::Programs(&["gv --noantialias"])),
        ),
        "kcachegrind" => (
            Product::Callgrind,
            ".grind",
            Some(Viewers::Programs(&["kcachegrind"])),
        ),
        _ => return None,
    };
    Some(GraphCommand {
        product,
        suffix,
        viewers,
    })
}

/// What the graph command makes of `profile`.
pub(crate) fn produce(
    profile: &Profile,
    options: &Options,
    command: GraphCommand,
) -> Result<Vec<u8>> {
    match command.product {
        Product::Svg { pan_zoom } => {
            let drawing = graph_svg(profile, options)?;
            Ok(if pan_zoom {
                svg::pan_zoom(&drawing)
            } else {
                drawing
            }
            .into_bytes())
        }
        Product::Image(format) => {
            let dot = dot_text(&DotGraph::new(profile, options)?)?;
            match graphviz(&dot, format) {
                Ok(image) => Ok(image),
                Err(Graphviz::Missing) => bail!(
                    "{format} output needs Graphviz, and its dot command was not found: install \
                     graphviz (-svg and -web work without it)"
                ),
                Err(Graphviz::Failed(why)) => bail!("dot -T{format} failed: {why}"),
            }
        }
        Product::Callgrind => {
            let mut out = Vec::new();
            callgrind::write_callgrind(&mut out, profile, options)?;
            Ok(out)
        }
    }
}

/// The call graph of `profile` as SVG, drawn by Graphviz when its `dot` command is installed
/// and by the built-in layout otherwise (or when `dot` fails, which is said on standard error).
/// The web UI's Graph view shows this.
pub(crate) fn graph_svg(profile: &Profile, options: &Options) -> Result<String> {
    let graph = DotGraph::new(profile, options)?;
    match graphviz(&dot_text(&graph)?, "svg") {
        Ok(drawing) => {
            String::from_utf8(drawing).map_err(|_| anyhow!("dot -Tsvg wrote invalid UTF-8"))
        }
        Err(Graphviz::Missing) => Ok(svg::render(&graph)),
        Err(Graphviz::Failed(why)) => {
            eprintln!("dot -Tsvg failed ({why}); drawing with the built-in layout");
            Ok(svg::render(&graph))
        }
    }
}

/// Writes what the viewer command makes to a temporary file and opens it, unless
/// `-no_browser` is set or there is no viewer to try, in which case the file's path is printed.
pub(crate) fn view(
    profile: &Profile,
    options: &Options,
    command: GraphCommand,
    config: &Config,
    interactive: bool,
) -> Result<()> {
    let bytes = produce(profile, options, command)?;
    let (path, mut file) =
        fetch::new_numbered_file(&std::env::temp_dir(), "oxprof", command.suffix)?;
    file.write_all(&bytes)
        .and_then(|()| file.flush())
        .map_err(|e| anyhow!("{}: {}", path.display(), fetch::io_error_text(&e)))?;
    drop(file);
    let viewers: Vec<String> = match command.viewers {
        Some(Viewers::Browser) => browser::browsers(),
        Some(Viewers::Programs(list)) => list.iter().map(|v| v.to_string()).collect(),
        None => Vec::new(),
    };
    if config.no_browser {
        eprintln!("Generating report in {}", path.display());
        return Ok(());
    }
    if viewers.is_empty() {
        eprintln!(
            "Generating report in {} (no display to open a browser on: open it in one, or set $BROWSER)",
            path.display()
        );
        return Ok(());
    }
    browser::open(&path, &viewers, interactive)
}

fn dot_text(graph: &DotGraph) -> io::Result<Vec<u8>> {
    let mut dot = Vec::new();
    graph.write(&mut dot)?;
    Ok(dot)
}

/// Why Graphviz gave no drawing.
enum Graphviz {
    /// `dot` is not installed.
    Missing,
    /// `dot` ran and failed; its first line of complaint.
    Failed(String),
}

/// `dot -T<format>` run on `dot`.
fn graphviz(dot: &[u8], format: &str) -> Result<Vec<u8>, Graphviz> {
    let mut child = match Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Graphviz::Missing),
        Err(e) => return Err(Graphviz::Failed(e.to_string())),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    // Input, output and complaints flow at once: dot may write before it has read everything.
    let (written, complaint, output) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(dot));
        let complainer = scope.spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut output = Vec::new();
        let read = stdout.read_to_end(&mut output).map(|_| output);
        (writer.join(), complainer.join().unwrap_or_default(), read)
    });
    let status = child.wait().map_err(|e| Graphviz::Failed(e.to_string()))?;
    if !status.success() {
        let first = complaint.lines().find(|l| !l.trim().is_empty());
        return Err(Graphviz::Failed(
            first.map_or_else(|| status.to_string(), str::to_string),
        ));
    }
    match (written, output) {
        (Ok(Ok(())), Ok(output)) => Ok(output),
        (Ok(Err(e)), _) | (_, Err(e)) => Err(Graphviz::Failed(e.to_string())),
        (Err(_), _) => Err(Graphviz::Failed("writing its input failed".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_know_their_files_and_viewers() {
        let web = lookup("web").unwrap();
        assert!(web.opens_viewer());
        assert_eq!(web.suffix, ".svg");
        assert!(!lookup("svg").unwrap().opens_viewer());
        assert_eq!(lookup("callgrind").unwrap().suffix, ".callgraph.out");
        assert_eq!(lookup("evince").unwrap().product, Product::Image("pdf"));
        assert!(lookup("dot").is_none() && lookup("top").is_none());
    }
}
