//! `oxprof trace`: execution traces written by `oxprof::trace`, Go's `go tool trace`. By
//! default the trace is served as a web UI ([`web`]: a timeline and analyses); with
//! `-format`, it is converted for other viewers (Perfetto protobuf, Chrome JSON); with `-d`,
//! its events are printed as text.

mod profiles;
mod web;

use std::{
    fs::File,
    io::{self, Write},
    path::PathBuf,
};

use anyhow::{anyhow, bail, Context, Result};
use oxprof_trace::{EventKind, Trace};

const USAGE: &str = "\
usage: oxprof trace [flags] FILE

Reads an execution trace written by oxprof::trace (trace::start, a FlightRecorder,
oxprof-bench -trace, /debug/pprof/trace).

With no -format or -d, serves a web UI: a timeline of every thread (regions, tasks,
waits and who ended them, logs, counters) and analyses (time per thread and task,
region and task latencies, blocking profiles, CPU profiles of regions).

Flags:
    -http=host:port    Where the web UI listens (default localhost:0: any free port;
                       a missing host serves this machine only)
    -no_browser        Do not open the web UI in a browser
    -format=perfetto   Write the trace as Perfetto protobuf (for ui.perfetto.dev)
    -format=chrome     Write it as Chrome JSON (Trace Event Format)
    -output=FILE       Where -format writes (default: standard output)
    -d                 Print every event as a line of text
";

/// What to do with the trace.
#[derive(Debug, PartialEq)]
enum Action {
    Export(Format),
    Dump,
    Serve,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Perfetto,
    Chrome,
}

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Options {
    action: Action,
    output: Option<PathBuf>,
    file: PathBuf,
    /// `-http`'s value.
    http: String,
    no_browser: bool,
}

/// Runs `oxprof trace` with the arguments after `trace`.
pub(crate) fn run(args: Vec<String>) -> Result<()> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(io::stdout().flush()?);
    };
    // A bad address fails before the trace is read.
    let listening = match options.action {
        Action::Serve => Some(crate::web::listen(&options.http)?),
        _ => None,
    };
    let bytes = std::fs::read(&options.file)
        .with_context(|| format!("cannot read {}", options.file.display()))?;
    let trace =
        oxprof_trace::parse(&bytes).map_err(|e| anyhow!("{}: {e}", options.file.display()))?;
    for warning in &trace.warnings {
        eprintln!("oxprof: warning: {}: {warning}", options.file.display());
    }
    if let Some(listening) = listening {
        let local_only = listening.local_only;
        let app = std::sync::Arc::new(web::TraceApp::new(trace, local_only));
        return crate::web::run(
            listening.listener,
            "",
            options.no_browser,
            std::sync::Arc::new(move |method: &str, target: &str, body: &[u8], client| {
                app.handle(method, target, body, client)
            }),
        );
    }
    let mut out: Box<dyn Write> = match &options.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    match options.action {
        Action::Export(Format::Perfetto) => {
            oxprof_trace::export::perfetto::write(&trace, &mut out)?
        }
        Action::Export(Format::Chrome) => oxprof_trace::export::chrome::write(&trace, &mut out)?,
        Action::Dump => dump(&trace, &mut out)?,
        Action::Serve => {} // Served above.
    }
    Ok(out.flush()?)
}

/// Parses Go-style flags; `None` asks for help.
fn parse(args: Vec<String>) -> Result<Option<Options>> {
    let mut action = None;
    let mut output = None;
    let mut http = "localhost:0".to_owned();
    let mut no_browser = false;
    let mut file = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            if file.replace(PathBuf::from(&arg)).is_some() {
                bail!("oxprof trace reads one trace file: {arg:?} is a second (oxprof trace -h)");
            }
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        match name {
            "h" | "help" => return Ok(None),
            "d" => action = Some(Action::Dump),
            "no_browser" => no_browser = true,
            "format" | "output" | "http" => {
                let value = match inline {
                    Some(value) => value,
                    None => args
                        .next()
                        .ok_or_else(|| anyhow!("oxprof trace: flag needs an argument: -{name}"))?,
                };
                if name == "output" {
                    output = Some(PathBuf::from(value));
                    continue;
                }
                if name == "http" {
                    http = value;
                    continue;
                }
                action = Some(Action::Export(match value.as_str() {
                    "perfetto" => Format::Perfetto,
                    "chrome" => Format::Chrome,
                    other => {
                        bail!("oxprof trace: -format={other}: the formats are perfetto and chrome")
                    }
                }));
            }
            _ => bail!("oxprof trace: unknown flag -{name} (oxprof trace -h lists the flags)"),
        }
    }
    let file =
        file.ok_or_else(|| anyhow!("oxprof trace: no trace file given (oxprof trace -h)"))?;
    Ok(Some(Options {
        action: action.unwrap_or(Action::Serve),
        output,
        file,
        http,
        no_browser,
    }))
}

/// One line per event: time since the trace's start, thread, what.
fn dump(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    let (start, end) = trace.span();
    writeln!(
        out,
        "{} generations, {:.6} s, {} threads, {} events",
        trace.generations.len(),
        end.saturating_sub(start) as f64 / 1e9,
        trace.threads.len(),
        trace.events.len()
    )?;
    for e in &trace.events {
        let s = |id| trace.str(id);
        let what = match e.kind {
            EventKind::ThreadStart => "thread start".to_owned(),
            EventKind::ThreadEnd => "thread end".to_owned(),
            EventKind::TaskBegin { task, parent, name } => {
                format!("task begin {task} {:?} parent {parent}", s(name))
            }
            EventKind::TaskEnd { task } => format!("task end {task}"),
            EventKind::RegionBegin { task, name } => {
                format!("region begin {:?} task {task}", s(name))
            }
            EventKind::RegionEnd { task, name } => format!("region end {:?} task {task}", s(name)),
            EventKind::Log {
                task,
                category,
                message,
            } => format!("log {:?} {:?} task {task}", s(category), s(message)),
            EventKind::Wait {
                start,
                reason,
                object,
                waker,
                stack,
            } => format!(
                "wait {:?} on {object:#x} for {} ns, ended by release {waker}, at {}",
                s(reason),
                e.time - start,
                oxprof_trace::timeline::stack_functions(trace, stack).join(" < ")
            ),
            EventKind::Unblock { object, seq, stack } => format!(
                "release {seq} of {object:#x} at {}",
                oxprof_trace::timeline::stack_functions(trace, stack).join(" < ")
            ),
            EventKind::CpuSample { stack } => format!(
                "cpu sample at {}",
                oxprof_trace::timeline::stack_functions(trace, stack).join(" < ")
            ),
            EventKind::Counter { name, value } => format!("counter {:?} = {value}", s(name)),
            EventKind::ThreadCpu { nanos } => format!("thread cpu {nanos} ns"),
        };
        writeln!(
            out,
            "{:>15.9} {:>7} {what}",
            e.time.saturating_sub(start) as f64 / 1e9,
            e.thread
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_parse_and_mistakes_are_one_line_errors() {
        let o = parse(args(&["-format=chrome", "-output", "x.json", "t.trace"]))
            .unwrap()
            .unwrap();
        assert_eq!(o.action, Action::Export(Format::Chrome));
        assert_eq!(o.output, Some(PathBuf::from("x.json")));
        assert_eq!(o.file, PathBuf::from("t.trace"));
        assert!(parse(args(&["-h"])).unwrap().is_none());
        let err = |a: &[&str]| parse(args(a)).unwrap_err().to_string();
        assert_eq!(
            err(&["-format=svg", "t"]),
            "oxprof trace: -format=svg: the formats are perfetto and chrome"
        );
        assert_eq!(
            err(&["-d"]),
            "oxprof trace: no trace file given (oxprof trace -h)"
        );
        assert_eq!(
            err(&["-x", "t"]),
            "oxprof trace: unknown flag -x (oxprof trace -h lists the flags)"
        );
        assert!(err(&["a", "b", "-d"]).contains("is a second"));
    }
}
