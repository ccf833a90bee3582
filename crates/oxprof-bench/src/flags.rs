//! `go test`'s benchmark flags, as they follow `cargo bench --bench NAME --`.
//!
//! Spelled as Go's `flag` package reads them: `-name=value`, `-name value` (not for booleans),
//! one or two dashes, and the `-test.` prefix the test binary itself uses (`-test.benchtime`).
//! Cargo's own `--bench` marker is accepted and ignored, as libtest-compatible harnesses do.

use std::path::PathBuf;
use std::time::Duration;

use crate::duration;
use crate::BenchTime;

/// Everything the flags decide.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    /// `-bench`: which benchmarks run. `None` until given.
    pub(crate) bench: Option<String>,
    pub(crate) benchtime: BenchTime,
    pub(crate) count: u64,
    pub(crate) benchmem: bool,
    /// `-cpu`: the parallelism of each run, one run per entry.
    pub(crate) cpu: Vec<usize>,
    /// `-timeout`: zero means none.
    pub(crate) timeout: Duration,
    pub(crate) json: bool,
    pub(crate) cpuprofile: Option<PathBuf>,
    pub(crate) memprofile: Option<PathBuf>,
    pub(crate) memprofilerate: i64,
    pub(crate) blockprofile: Option<PathBuf>,
    pub(crate) blockprofilerate: i64,
    pub(crate) mutexprofile: Option<PathBuf>,
    pub(crate) mutexprofilefraction: i64,
    /// `-trace`: an execution trace of the whole run.
    pub(crate) trace: Option<PathBuf>,
    pub(crate) outputdir: Option<PathBuf>,
    /// Cargo's `--bench` marker: run as a benchmark, not as `cargo test`'s smoke test.
    pub(crate) cargo_bench: bool,
}

impl Config {
    /// The defaults of `go test`, with `-cpu` at the machine's parallelism.
    pub(crate) fn new() -> Config {
        Config {
            bench: None,
            benchtime: BenchTime::default(),
            count: 1,
            benchmem: false,
            cpu: vec![std::thread::available_parallelism().map_or(1, |n| n.get())],
            timeout: Duration::from_secs(600),
            json: false,
            cpuprofile: None,
            memprofile: None,
            memprofilerate: 0,
            blockprofile: None,
            blockprofilerate: 1,
            mutexprofile: None,
            mutexprofilefraction: 1,
            trace: None,
            outputdir: None,
            cargo_bench: false,
        }
    }

    /// Where a profile flag's file goes: under `-outputdir` unless absolute.
    pub(crate) fn output_path(&self, path: &PathBuf) -> PathBuf {
        match &self.outputdir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.clone(),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Parsed {
    Run(Box<Config>),
    Help,
}

/// The usage text printed after a flag error and for `-h`.
pub(crate) const USAGE: &str = "\
usage: cargo bench --bench NAME -- [flags] [regexp]
  -bench regexp              run only benchmarks matching regexp (default: all; a lone regexp argument works too)
  -benchtime d               run each benchmark for duration d (1s, 500ms) or N times (100x) (default 1s)
  -count n                   run each benchmark n times (default 1)
  -benchmem                  print allocations (B/op, allocs/op) for every benchmark
  -cpu list                  comma-separated parallelism values; each benchmark runs once per value
  -timeout d                 fail after duration d; 0 disables (default 10m0s)
  -json                      print events as go test -json does
  -cpuprofile file           write a CPU profile of the whole run to file
  -memprofile file           write an allocation profile of the whole run to file
  -memprofilerate n          sample one allocation per n bytes (1: every allocation)
  -blockprofile file         write a block profile to file
  -blockprofilerate n        block profile rate in nanoseconds (default 1)
  -mutexprofile file         write a mutex profile to file
  -mutexprofilefraction n    sample 1 in n mutex contention events (default 1)
  -trace file                write an execution trace of the whole run to file
  -outputdir dir             write profiles to dir
Every flag may also be spelled -test.NAME, with one or two dashes, and as -NAME=VALUE.";

/// Parses the arguments after the program name. Errors are one line, Go's wording.
pub(crate) fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut config = Config::new();
    let mut positional: Option<String> = None;
    let mut flags_done = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--bench" {
            config.cargo_bench = true;
            continue;
        }
        if arg == "--" && !flags_done {
            flags_done = true;
            continue;
        }
        let flag = match flags_done {
            true => None,
            false => arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')),
        };
        let Some(flag) = flag else {
            if let Some(first) = &positional {
                return Err(format!(
                    "unexpected argument {arg:?}: only one benchmark regexp may be given (already {first:?})"
                ));
            }
            positional = Some(arg.clone());
            continue;
        };
        if flag.is_empty() || flag.starts_with('-') || flag.starts_with('=') {
            return Err(format!("bad flag syntax: {arg}"));
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag, None),
        };
        let name = name.strip_prefix("test.").unwrap_or(name);
        match name {
            "h" | "help" => return Ok(Parsed::Help),
            "benchmem" | "json" => {
                let value = match &inline {
                    Some(v) => parse_bool(v).ok_or_else(|| invalid(v, name, "parse error"))?,
                    None => true,
                };
                if name == "json" {
                    config.json = value;
                } else {
                    config.benchmem = value;
                }
                continue;
            }
            _ => {}
        }
        if !is_value_flag(name) {
            return Err(format!("flag provided but not defined: -{name}"));
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let Some(v) = args.get(i) else {
                    return Err(format!("flag needs an argument: -{name}"));
                };
                i += 1;
                v.clone()
            }
        };
        set(&mut config, name, &value)?;
    }
    if config.bench.is_none() {
        config.bench = positional;
    } else if let Some(p) = positional {
        return Err(format!(
            "unexpected argument {p:?}: -bench is already given"
        ));
    }
    Ok(Parsed::Run(Box::new(config)))
}

fn is_value_flag(name: &str) -> bool {
    matches!(
        name,
        "bench"
            | "benchtime"
            | "count"
            | "cpu"
            | "timeout"
            | "cpuprofile"
            | "memprofile"
            | "memprofilerate"
            | "blockprofile"
            | "blockprofilerate"
            | "mutexprofile"
            | "mutexprofilefraction"
            | "trace"
            | "outputdir"
    )
}

fn set(config: &mut Config, name: &str, value: &str) -> Result<(), String> {
    let path = || Some(PathBuf::from(value));
    match name {
        "bench" => config.bench = Some(value.to_string()),
        "benchtime" => {
            config.benchtime = value
                .parse()
                .map_err(|e: String| invalid(value, name, &e))?
        }
        "count" => {
            config.count = value
                .parse()
                .map_err(|_| invalid(value, name, "parse error"))?
        }
        "cpu" => {
            config.cpu = parse_cpu_list(value)
                .ok_or_else(|| invalid(value, name, "need positive integers"))?
        }
        "timeout" => {
            config.timeout =
                duration::parse(value).map_err(|()| invalid(value, name, "parse error"))?
        }
        "cpuprofile" => config.cpuprofile = path(),
        "memprofile" => config.memprofile = path(),
        "blockprofile" => config.blockprofile = path(),
        "mutexprofile" => config.mutexprofile = path(),
        "trace" => config.trace = path(),
        "outputdir" => config.outputdir = path(),
        "memprofilerate" | "blockprofilerate" | "mutexprofilefraction" => {
            let n: i64 = value
                .parse()
                .map_err(|_| invalid(value, name, "parse error"))?;
            match name {
                "memprofilerate" => config.memprofilerate = n,
                "blockprofilerate" => config.blockprofilerate = n,
                _ => config.mutexprofilefraction = n,
            }
        }
        _ => unreachable!("is_value_flag lists every flag set handles"),
    }
    Ok(())
}

fn invalid(value: &str, name: &str, why: &str) -> String {
    format!("invalid value {value:?} for flag -{name}: {why}")
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `1,2,4`: positive integers, spaces around entries allowed, empty entries skipped (Go's
/// `parseCpuList`).
fn parse_cpu_list(s: &str) -> Option<Vec<usize>> {
    let list: Vec<usize> = s
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().ok().filter(|&n| n > 0))
        .collect::<Option<_>>()?;
    (!list.is_empty()).then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse(&args)? {
            Parsed::Run(c) => Ok(*c),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn go_spellings() {
        let c = run(&[
            "--bench",
            "-bench=Map/n=10",
            "-benchtime",
            "100x",
            "--count=6",
            "-test.benchmem",
            "-cpu=1, 2,4",
            "-timeout=1m30s",
            "-json=false",
            "-cpuprofile",
            "cpu.pprof",
            "-memprofilerate=1",
            "-outputdir=/tmp/x",
        ])
        .unwrap();
        assert!(c.cargo_bench);
        assert_eq!(c.bench.as_deref(), Some("Map/n=10"));
        assert_eq!(c.benchtime, BenchTime::Count(100));
        assert_eq!(c.count, 6);
        assert!(c.benchmem && !c.json);
        assert_eq!(c.cpu, vec![1, 2, 4]);
        assert_eq!(c.timeout, Duration::from_secs(90));
        assert_eq!(c.memprofilerate, 1);
        assert_eq!(
            c.output_path(c.cpuprofile.as_ref().unwrap()),
            PathBuf::from("/tmp/x/cpu.pprof")
        );
    }

    #[test]
    fn a_lone_argument_is_the_bench_regexp() {
        assert_eq!(run(&["Sort"]).unwrap().bench.as_deref(), Some("Sort"));
        assert_eq!(run(&[]).unwrap().bench, None);
    }

    #[test]
    fn errors_are_one_line_in_gos_words() {
        let cases = [
            (&["-nope"][..], "flag provided but not defined: -nope"),
            (
                &["-benchtime=abc"],
                "invalid value \"abc\" for flag -benchtime: invalid duration",
            ),
            (
                &["-benchtime=0x"],
                "invalid value \"0x\" for flag -benchtime: invalid count",
            ),
            (
                &["-count=-1"],
                "invalid value \"-1\" for flag -count: parse error",
            ),
            (
                &["-cpu=0"],
                "invalid value \"0\" for flag -cpu: need positive integers",
            ),
            (
                &["-benchmem=maybe"],
                "invalid value \"maybe\" for flag -benchmem: parse error",
            ),
            (&["-cpuprofile"], "flag needs an argument: -cpuprofile"),
            (
                &["a", "b"],
                "unexpected argument \"b\": only one benchmark regexp may be given (already \"a\")",
            ),
            (&["---x"], "bad flag syntax: ---x"),
        ];
        for (args, want) in cases {
            assert_eq!(run(args).unwrap_err(), want, "{args:?}");
        }
        assert_eq!(run(&["-h"]).unwrap_err(), "help");
    }
}
