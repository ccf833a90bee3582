//! The command line, parsed as pprof parses it: Go `flag` syntax over the names in [`table`].
//!
//! A small table-driven parser rather than clap: pprof's flags are single-dash long names
//! (`-nodecount=5`), a value may start with a dash (`-ignore -x` is legal in Go), boolean flags take
//! a value only after `=` (`-trim=false`), and the same table must also drive the shell's
//! `name=value` options and completion. clap has no single-dash long flags and would need
//! argv rewriting plus per-flag hyphen settings to get there, so the table is simpler and exact.
//! Unlike Go's `flag`, flags may follow the sources (`oxprof cpu.pprof -top`); `--` ends flags.

pub(crate) mod config;
pub(crate) mod help;
pub(crate) mod table;

pub(crate) use config::Config;
use table::{Role, SourceKind};

/// A report to generate: an output format and, for `peek`, its regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The format (`top`, `tree`, `peek`...).
    pub name: String,
    /// The regex argument of formats that take one.
    pub param: Option<String>,
}

/// Where the profiles come from and how to fetch them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sources {
    /// Profiles to merge: files or URLs.
    pub sources: Vec<String>,
    /// Base profiles subtracted from the merged sources.
    pub base: Vec<String>,
    /// The base came from `-diff_base`: its samples are labelled so totals use the base.
    pub diff_base: bool,
    /// The main binary given before the sources.
    pub exec_name: Option<String>,
    /// `-buildid`, or a build id given before the sources.
    pub build_id: Option<String>,
    /// `-seconds`: how long a remote profile collects.
    pub seconds: Option<u64>,
    /// `-timeout`: how long to wait for a remote profile.
    pub timeout: Option<u64>,
    /// `-symbolize`.
    pub symbolize: String,
    /// `-add_comment`.
    pub add_comment: Option<String>,
    /// `-normalize`: scale the sources to the base's totals before subtracting it.
    pub normalize: bool,
    /// `-http`: serve the web UI on this `host:port` instead of reporting.
    pub http: Option<String>,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invocation {
    /// The report to print; `None` starts the shell.
    pub command: Option<Command>,
    /// Report options.
    pub config: Config,
    /// Profile sources.
    pub sources: Sources,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    /// `-h` / `--help`.
    Help,
    /// Everything else.
    Run(Box<Invocation>),
}

/// Parses the arguments after the program name.
pub(crate) fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Parsed, String> {
    let mut args = args.into_iter();
    let mut config = Config::default();
    let mut sources = Sources::default();
    let mut command: Option<Command> = None;
    let mut positional = Vec::new();
    let mut diff_base = Vec::new();
    let mut aliases: Vec<&str> = Vec::new();
    let mut chosen: Vec<(&str, &str)> = Vec::new();

    while let Some(arg) = args.next() {
        if arg == "--" {
            positional.extend(args.by_ref());
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            positional.push(arg);
            continue;
        };
        if body.is_empty() {
            positional.push(arg);
            continue;
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if name == "h" || name == "help" {
            return Ok(Parsed::Help);
        }
        let flag = table::lookup(name)
            .filter(|f| f.on_command_line())
            .ok_or_else(|| format!("unknown flag -{name} (oxprof -h lists the flags)"))?;
        if let Role::Unavailable = flag.role {
            return Err(format!("-{name} is not available in oxprof yet"));
        }
        let value = match inline {
            Some(v) => v,
            None if flag.is_bool() => String::new(),
            None => args
                .next()
                .ok_or_else(|| format!("flag needs an argument: -{name}"))?,
        };
        match flag.role {
            Role::Command { param } => {
                let on = param
                    || config::parse_bool(&value)
                        .ok_or_else(|| format!("invalid boolean value {value:?} for -{name}"))?;
                if param && value.is_empty() {
                    return Err(format!("-{name} needs a regexp"));
                }
                if on {
                    if command.is_some() {
                        return Err("must set at most one output format".into());
                    }
                    command = Some(Command {
                        name: name.to_string(),
                        param: param.then_some(value),
                    });
                }
            }
            Role::Choice { group } => {
                if config::parse_bool(&value) == Some(true) {
                    if let Some((_, other)) =
                        chosen.iter().find(|(g, n)| *g == group && *n != flag.name)
                    {
                        return Err(format!("conflicting options -{other} and -{name} set"));
                    }
                    chosen.push((group, flag.name));
                }
                config.set(name, &value).map_err(|e| format!("-{e}"))?;
            }
            Role::Option(_) => {
                config.set(name, &value)?;
            }
            Role::SampleAlias { mean, .. } => {
                if config::parse_bool(&value)
                    .ok_or_else(|| format!("invalid boolean value {value:?} for -{name}"))?
                {
                    aliases.push(flag.name);
                    config.mean |= mean;
                }
            }
            Role::Source(kind) => set_source(&mut sources, &mut diff_base, name, kind, value)?,
            Role::Group(_) | Role::Unavailable => unreachable!("rejected above"),
        }
    }

    // As in pprof, the first shortcut in table order wins over later ones, not over
    // -sample_index.
    for flag in table::FLAGS.iter().filter(|f| aliases.contains(&f.name)) {
        let Role::SampleAlias { index, .. } = flag.role else {
            continue;
        };
        if config.sample_index.is_empty() {
            config.sample_index = index.to_string();
        } else {
            eprintln!("Multiple value selections, ignoring -{}", flag.name);
        }
    }
    if !sources.base.is_empty() && !diff_base.is_empty() {
        return Err("-base and -diff_base flags cannot both be specified".into());
    }
    if !diff_base.is_empty() {
        sources.base = diff_base;
        sources.diff_base = true;
    }
    if config.normalize && sources.base.is_empty() {
        return Err("must have base profile to normalize by".into());
    }
    sources.normalize = config.normalize;
    if command.is_some() && sources.http.is_some() {
        return Err("-http cannot be combined with an output format".into());
    }
    if positional.is_empty() {
        return Err("no profile source specified".into());
    }
    if positional.len() > 1 && is_binary_or_build_id(&positional[0], sources.build_id.is_none()) {
        let first = positional.remove(0);
        if std::path::Path::new(&first).is_file() {
            sources.exec_name = Some(first);
        } else {
            sources.build_id = Some(first);
        }
    }
    sources.sources = positional;
    Ok(Parsed::Run(Box::new(Invocation {
        command,
        config,
        sources,
    })))
}

fn set_source(
    sources: &mut Sources,
    diff_base: &mut Vec<String>,
    name: &str,
    kind: SourceKind,
    value: String,
) -> Result<(), String> {
    match (kind, name) {
        (SourceKind::Int, _) => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("invalid integer value {value:?} for -{name}"))?;
            // pprof's -1 default means "not given"; any negative value does the same.
            let n = u64::try_from(n).ok();
            if name == "seconds" {
                sources.seconds = n;
            } else {
                sources.timeout = n;
            }
        }
        (SourceKind::List, "base") => sources.base.push(value),
        (SourceKind::List, _) => diff_base.push(value),
        (SourceKind::Str, "buildid") => sources.build_id = Some(value).filter(|v| !v.is_empty()),
        (SourceKind::Str, "add_comment") => {
            sources.add_comment = Some(value).filter(|v| !v.is_empty())
        }
        (SourceKind::Str, "http") => sources.http = Some(value),
        (SourceKind::Str, _) => sources.symbolize = value,
    }
    Ok(())
}

/// pprof takes a first argument of several as the main binary when it opens as an object file,
/// or as a build id when it is all hex digits and no `-buildid` was given.
fn is_binary_or_build_id(arg: &str, build_id_free: bool) -> bool {
    let mut magic = [0u8; 4];
    let is_object = std::fs::File::open(arg)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF" || is_mach_o(magic));
    is_object
        || (build_id_free
            && !arg.is_empty()
            && arg.bytes().all(|b| b.is_ascii_hexdigit())
            && !std::path::Path::new(arg).exists())
}

fn is_mach_o(magic: [u8; 4]) -> bool {
    let le = u32::from_le_bytes(magic);
    let be = u32::from_be_bytes(magic);
    [0xfeedface, 0xfeedfacf, 0xcafebabe]
        .iter()
        .any(|m| *m == le || *m == be)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Invocation, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(inv) => Ok(*inv),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn single_and_double_dash_forms_agree() {
        for args in [
            &["-top", "-nodecount=5", "-cum", "p"][..],
            &["--top", "--nodecount", "5", "--cum", "p"],
            &["-top", "-nodecount", "5", "-cum=true", "p"],
            &["p", "-top", "-nodecount=5", "-cum"],
        ] {
            let inv = run(args).unwrap();
            assert_eq!(
                inv.command,
                Some(Command {
                    name: "top".into(),
                    param: None
                }),
                "{args:?}"
            );
            assert_eq!(inv.config.nodecount, 5, "{args:?}");
            assert_eq!(inv.config.sort, "cum", "{args:?}");
            assert_eq!(inv.sources.sources, ["p"], "{args:?}");
        }
    }

    #[test]
    fn values_may_start_with_a_dash_and_contain_equals() {
        let inv = run(&["-ignore", "-x", "-focus=a=b", "-peek", "main\\.", "p"]).unwrap();
        assert_eq!(inv.config.filters.ignore, "-x");
        assert_eq!(inv.config.filters.focus, "a=b");
        assert_eq!(inv.command.unwrap().param.as_deref(), Some("main\\."));
    }

    #[test]
    fn sample_aliases_set_sample_index() {
        assert_eq!(
            run(&["-alloc_space", "p"]).unwrap().config.sample_index,
            "alloc_space"
        );
        let inv = run(&["--mean_delay", "p"]).unwrap();
        assert_eq!(
            (inv.config.sample_index.as_str(), inv.config.mean),
            ("delay", true)
        );
        assert_eq!(
            run(&["-sample_index=1", "p"]).unwrap().config.sample_index,
            "1"
        );
        assert_eq!(
            run(&["-alloc_space", "-inuse_space", "p"])
                .unwrap()
                .config
                .sample_index,
            "inuse_space"
        );
        assert_eq!(
            run(&["-sample_index=0", "-inuse_space", "p"])
                .unwrap()
                .config
                .sample_index,
            "0"
        );
    }

    #[test]
    fn sources_bases_and_binaries() {
        let inv = run(&[
            "-base",
            "b1",
            "-base=b2",
            "-seconds=5",
            "-timeout",
            "9",
            "x.pb",
            "y.pb",
        ])
        .unwrap();
        assert_eq!(inv.sources.base, ["b1", "b2"]);
        assert!(!inv.sources.diff_base);
        assert_eq!(
            (inv.sources.seconds, inv.sources.timeout),
            (Some(5), Some(9))
        );
        assert_eq!(inv.sources.sources, ["x.pb", "y.pb"]);
        let inv = run(&["-diff_base", "b", "-normalize", "a"]).unwrap();
        assert!(inv.sources.diff_base && inv.config.normalize);
        let inv = run(&["abc123", "a"]).unwrap();
        assert_eq!(inv.sources.build_id.as_deref(), Some("abc123"));
        assert_eq!(inv.sources.sources, ["a"]);
        let exe = std::env::current_exe().unwrap();
        let inv = run(&[exe.to_str().unwrap(), "a"]).unwrap();
        assert_eq!(inv.sources.exec_name.as_deref(), exe.to_str());
    }

    #[test]
    fn errors_are_one_line_and_name_the_flag() {
        let err = |args: &[&str]| run(args).unwrap_err();
        assert_eq!(
            err(&["-nosuch", "p"]),
            "unknown flag -nosuch (oxprof -h lists the flags)"
        );
        assert_eq!(err(&["-list="]), "-list needs a regexp");
        assert_eq!(
            err(&["-granularity=lines", "p"]),
            "unknown flag -granularity (oxprof -h lists the flags)"
        );
        assert_eq!(
            err(&["-top", "-traces", "p"]),
            "must set at most one output format"
        );
        assert_eq!(
            err(&["-nodecount=x", "p"]),
            "invalid integer value \"x\" for nodecount"
        );
        assert_eq!(err(&["-top"]), "no profile source specified");
        assert_eq!(err(&["p", "-focus"]), "flag needs an argument: -focus");
        assert_eq!(
            err(&["-lines", "-files", "p"]),
            "conflicting options -lines and -files set"
        );
        assert_eq!(
            err(&["-normalize", "p"]),
            "must have base profile to normalize by"
        );
        assert_eq!(
            err(&["-base=a", "-diff_base=b", "p"]),
            "-base and -diff_base flags cannot both be specified"
        );
        assert_eq!(run(&["-h"]), Err("help".into()));
        assert_eq!(run(&["p", "--help"]), Err("help".into()));
    }

    #[test]
    fn double_dash_ends_flags() {
        let inv = run(&["-top", "--", "-weird-name"]).unwrap();
        assert_eq!(inv.sources.sources, ["-weird-name"]);
    }
}
