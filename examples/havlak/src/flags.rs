//! The command line, spelled as Go's `flag` package spells it: `-name=value`, `-name value`,
//! `--name`, and booleans as `-name` or `-name=false`. One table drives parsing and `-h`.

use std::path::PathBuf;

use havlak::{Size, Stage};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub stage: Stage,
    pub size: Size,
    pub threads: usize,
    pub reuse_loop_graph: bool,
    pub cpu_profile: Option<PathBuf>,
    pub cpu_profile_rate: u32,
    pub mem_profile: Option<PathBuf>,
    pub mem_profile_rate: usize,
    pub block_profile: Option<PathBuf>,
    pub block_profile_rate: u64,
    pub trace: Option<PathBuf>,
    pub bench_count: usize,
    pub http: Option<String>,
    pub version: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            stage: Stage::V1,
            size: Size::default(),
            threads: 1,
            reuse_loop_graph: true,
            cpu_profile: None,
            cpu_profile_rate: 100,
            mem_profile: None,
            mem_profile_rate: 512 * 1024,
            block_profile: None,
            block_profile_rate: 1,
            trace: None,
            bench_count: 0,
            http: None,
            version: false,
        }
    }
}

/// The command line's verdict.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Help,
    Run(Options),
}

type Setter = fn(&mut Options, &str) -> Result<(), String>;

struct Flag {
    name: &'static str,
    /// The value's placeholder in the usage; empty for a boolean.
    value: &'static str,
    usage: &'static str,
    set: Setter,
}

const FLAGS: &[Flag] = &[
    Flag {
        name: "stage",
        value: "name",
        usage: "the loop finder: v1 (the first port), v2, v4, v5, v6 or tuned (default v1)",
        set: |o, v| v.parse().map(|x| o.stage = x),
    },
    Flag {
        name: "cpuprofile",
        value: "file",
        usage: "write a CPU profile to file",
        set: |o, v| path(v).map(|p| o.cpu_profile = Some(p)),
    },
    Flag {
        name: "cpuprofilerate",
        value: "hz",
        usage: "CPU samples per second, 1 to 5000 (default 100)",
        set: |o, v| number(v, 1, 5000).map(|x| o.cpu_profile_rate = x),
    },
    Flag {
        name: "memprofile",
        value: "file",
        usage: "write a heap profile to file at the end (everything allocated, and what is live)",
        set: |o, v| path(v).map(|p| o.mem_profile = Some(p)),
    },
    Flag {
        name: "memprofilerate",
        value: "bytes",
        usage: "sample an allocation every this many bytes on average (default 524288)",
        set: |o, v| number(v, 1, usize::MAX).map(|x| o.mem_profile_rate = x),
    },
    Flag {
        name: "blockprofile",
        value: "file",
        usage: "write a block profile (where threads waited) to file",
        set: |o, v| path(v).map(|p| o.block_profile = Some(p)),
    },
    Flag {
        name: "blockprofilerate",
        value: "ns",
        usage: "record waits of this many nanoseconds and a share of shorter ones (default 1)",
        set: |o, v| number(v, 1, u64::MAX).map(|x| o.block_profile_rate = x),
    },
    Flag {
        name: "trace",
        value: "file",
        usage: "write an execution trace (oxprof::trace) to file: a region per search, every lock wait",
        set: |o, v| path(v).map(|p| o.trace = Some(p)),
    },
    Flag {
        name: "trees",
        value: "n",
        usage: "loop trees in the large graph, 7600 loops each (default 10)",
        set: |o, v| number(v, 0, 1000).map(|x| o.size.trees = x),
    },
    Flag {
        name: "dummyloops",
        value: "n",
        usage: "searches of the three-block graph first (default 15000)",
        set: |o, v| number(v, 0, usize::MAX).map(|x| o.size.dummy_loops = x),
    },
    Flag {
        name: "iterations",
        value: "n",
        usage: "searches of the large graph after the first (default 50)",
        set: |o, v| number(v, 0, usize::MAX).map(|x| o.size.iterations = x),
    },
    Flag {
        name: "threads",
        value: "n",
        usage: "threads sharing those searches, each with its own finder (default 1)",
        set: |o, v| number(v, 1, 1024).map(|x| o.threads = x),
    },
    Flag {
        name: "reuseloopgraph",
        value: "",
        usage: "v6 refills the last search's loop graph instead of a new one (default true)",
        set: |o, v| boolean(v).map(|x| o.reuse_loop_graph = x),
    },
    Flag {
        name: "benchcount",
        value: "n",
        usage: "instead of the benchmark, time n searches of the large graph, printed as Go benchmark results",
        set: |o, v| number(v, 1, 1_000_000).map(|x| o.bench_count = x),
    },
    Flag {
        name: "http",
        value: "addr",
        usage: "serve Go's /debug/pprof endpoints on addr while running (:6060 is loopback)",
        set: |o, v| address(v).map(|a| o.http = Some(a)),
    },
    Flag {
        name: "version",
        value: "",
        usage: "print the version and the stages, and exit",
        set: |o, v| boolean(v).map(|x| o.version = x),
    },
];

/// `-h`'s text.
pub fn usage() -> String {
    let mut text = String::from(
        "usage: havlak [flags]\n\n\
         Finds the loops of Hundt's benchmark graph with Havlak's algorithm, in the stage\n\
         chosen, and prints how many it found.\n\nFlags:\n",
    );
    for flag in FLAGS {
        let head = match flag.value {
            "" => format!("-{}", flag.name),
            value => format!("-{} {value}", flag.name),
        };
        text.push_str(&format!("  {head:<22} {}\n", flag.usage));
    }
    text
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(format!(
                "unexpected argument {arg:?}: every setting is a flag (-h lists them)"
            ));
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        if matches!(name, "h" | "help") {
            return Ok(Parsed::Help);
        }
        let flag = FLAGS
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("flag provided but not defined: -{name}"))?;
        let value = match (inline, flag.value) {
            (Some(value), _) => value,
            (None, "") => "true".to_string(),
            (None, _) => args
                .next()
                .ok_or_else(|| format!("flag needs an argument: -{name}"))?,
        };
        (flag.set)(&mut options, &value)
            .map_err(|e| format!("invalid value {value:?} for flag -{name}: {e}"))?;
    }
    Ok(Parsed::Run(options))
}

fn path(v: &str) -> Result<PathBuf, String> {
    if v.is_empty() {
        return Err("empty file name".into());
    }
    Ok(PathBuf::from(v))
}

fn address(v: &str) -> Result<String, String> {
    if !v.contains(':') {
        return Err("not host:port or :port".into());
    }
    Ok(v.to_string())
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    v: &str,
    min: T,
    max: T,
) -> Result<T, String> {
    let n: T = v.parse().map_err(|_| "not a whole number".to_string())?;
    if n < min || n > max {
        return Err(format!("out of range {min}..={max}"));
    }
    Ok(n)
}

fn boolean(v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("not a boolean".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(options) => Ok(options),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn go_spellings() {
        let o = run(&[
            "-stage=tuned",
            "--trees",
            "2",
            "-reuseloopgraph=false",
            "-cpuprofile",
            "c.pprof",
        ])
        .unwrap();
        assert_eq!(o.stage, Stage::V6);
        assert_eq!(o.size.trees, 2);
        assert!(!o.reuse_loop_graph);
        assert_eq!(o.cpu_profile, Some(PathBuf::from("c.pprof")));
        assert!(run(&["-version"]).unwrap().version);
        assert_eq!(
            run(&["-http", ":6060"]).unwrap().http.as_deref(),
            Some(":6060")
        );
        assert_eq!(run(&["-h"]), Err("help".into()));
    }

    #[test]
    fn errors_name_the_flag_and_the_value() {
        assert_eq!(
            run(&["-nope"]).unwrap_err(),
            "flag provided but not defined: -nope"
        );
        assert_eq!(
            run(&["-trees"]).unwrap_err(),
            "flag needs an argument: -trees"
        );
        assert_eq!(
            run(&["-threads=0"]).unwrap_err(),
            "invalid value \"0\" for flag -threads: out of range 1..=1024"
        );
        assert!(run(&["-stage=v3"])
            .unwrap_err()
            .contains("unknown stage \"v3\""));
        assert!(run(&["-iterations=x"])
            .unwrap_err()
            .contains("not a whole number"));
        assert!(run(&["-version=maybe"])
            .unwrap_err()
            .contains("not a boolean"));
        assert!(run(&["extra"])
            .unwrap_err()
            .starts_with("unexpected argument"));
    }

    #[test]
    fn usage_lists_every_flag() {
        let text = usage();
        for flag in FLAGS {
            assert!(text.contains(&format!("-{}", flag.name)), "{}", flag.name);
        }
    }
}
