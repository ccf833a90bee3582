//! `oxprof benchstat`: benchstat's statistical summaries and A/B comparisons of benchmark results
//! in Go's benchmark format (`go test -bench` output, oxprof-bench output).
//!
//! The pipeline is benchstat's with its default projection: results are read ([`oxprof_benchfmt`]),
//! grouped into a table per file configuration and unit, a row per benchmark and a column per
//! input ([`tables`]), summarised and compared ([`stats`]), and printed as text ([`text`], laid
//! out by [`layout`] with [`scale`]d numbers) or CSV ([`csv`]).

mod csv;
mod layout;
mod scale;
mod stats;
mod tables;
mod text;

use std::io::{Read, Write};

use anyhow::{anyhow, bail, Context, Result};
use oxprof_benchfmt::{units, Reader, Record, UnitMetadata};

use tables::{Input, Settings};

const USAGE: &str = "\
usage: oxprof benchstat [flags] inputs...

Computes statistical summaries and A/B comparisons of Go-format benchmark results
(go test -bench output, oxprof-bench output), as Go's benchstat does. It shows each
benchmark's median and its confidence interval in a table with a row per benchmark and a
column per input. With more than one input, each column after the first is compared with
the first: a percentage change when the Mann-Whitney U test finds the difference
significant (p < alpha), \"~\" when the difference is likely noise.

Run each benchmark at least 10 times (-count=10). An input may be \"label=path\" to name
its column, or \"-\" for standard input.

Flags:
    -format text|csv  Output format; CSV warnings go to standard error (default text)
    -alpha α          Consider a change significant if p < α (default 0.05)
    -confidence level Confidence level for the ranges (default 0.95)
";

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Options {
    csv: bool,
    settings: Settings,
    inputs: Vec<String>,
}

/// Runs `oxprof benchstat` with the arguments after `benchstat`.
pub(crate) fn run(args: Vec<String>, out: &mut impl Write, err: &mut impl Write) -> Result<()> {
    let Some(options) = parse(args)? else {
        out.write_all(USAGE.as_bytes())?;
        return Ok(out.flush()?);
    };
    let (inputs, units_meta) = read_inputs(&options.inputs, err)?;
    let tables = tables::build(&inputs, &units_meta, options.settings);
    if options.csv {
        let (csv, warnings) = csv::render(&tables);
        out.write_all(csv.as_bytes())?;
        err.write_all(warnings.as_bytes())?;
    } else {
        out.write_all(text::render(&tables).as_bytes())?;
    }
    Ok(out.flush()?)
}

/// Parses Go-style flags (`-alpha 0.01`, `-alpha=0.01`, `--format csv`) anywhere before `--`;
/// `None` asks for help.
fn parse(args: Vec<String>) -> Result<Option<Options>> {
    let mut options = Options {
        csv: false,
        settings: Settings {
            alpha: 0.05,
            confidence: 0.95,
        },
        inputs: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            options.inputs.extend(args.by_ref());
            break;
        }
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty())
        else {
            options.inputs.push(arg);
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if matches!(name, "h" | "help") {
            return Ok(None);
        }
        if !matches!(name, "format" | "alpha" | "confidence") {
            bail!("unknown benchstat flag -{name} (oxprof benchstat -h lists the flags)");
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| anyhow!("flag needs an argument: -{name}"))?,
        };
        let number = || -> Result<f64> {
            let v: f64 = value
                .parse()
                .map_err(|_| anyhow!("invalid value {value:?} for flag -{name}"))?;
            if !(0.0..=1.0).contains(&v) {
                bail!("-{name} must be in range [0, 1]");
            }
            Ok(v)
        };
        match name {
            "format" => {
                options.csv = match value.as_str() {
                    "text" => false,
                    "csv" => true,
                    _ => bail!("-format must be text or csv"),
                }
            }
            "alpha" => options.settings.alpha = number()?,
            _ => options.settings.confidence = number()?,
        }
    }
    if options.inputs.is_empty() {
        bail!("benchstat needs at least one input file (oxprof benchstat -h)");
    }
    Ok(Some(options))
}

/// Reads every input, labelling each as benchstat does: `label=path` gives its label; a path
/// given more than once is told apart as `path#0`, `path#1`... Malformed lines are reported on
/// `err` and skipped. Unit metadata applies across all inputs; the first setting of a unit's key
/// wins and a conflicting one is reported.
fn read_inputs(args: &[String], err: &mut impl Write) -> Result<(Vec<Input>, Vec<UnitMetadata>)> {
    let parsed: Vec<(String, &str, bool)> = args
        .iter()
        .map(|a| match a.split_once('=') {
            Some((label, path)) => (label.to_string(), path, true),
            None => (a.clone(), a.as_str(), false),
        })
        .collect();
    let repeats = |path: &str| {
        parsed
            .iter()
            .filter(|(_, p, labelled)| !labelled && *p == path)
            .count()
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut inputs = Vec::new();
    let mut units_meta: Vec<UnitMetadata> = Vec::new();
    for (label, path, labelled) in &parsed {
        let label = if !labelled && repeats(path) > 1 {
            let n = seen.iter().filter(|p| *p == path).count();
            seen.push(path);
            format!("{path}#{n}")
        } else {
            label.clone()
        };
        let bytes = read(path)?;
        let mut results = Vec::new();
        for record in Reader::new(&bytes, path) {
            match record {
                Ok(Record::Result(r)) => results.push(r),
                Ok(Record::Unit(m)) => add_unit(&mut units_meta, m, path, err)?,
                Err(e) => writeln!(err, "{e}")?,
            }
        }
        inputs.push(Input { label, results });
    }
    Ok((inputs, units_meta))
}

fn read(path: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    }
    Ok(bytes)
}

fn add_unit(
    all: &mut Vec<UnitMetadata>,
    m: UnitMetadata,
    path: &str,
    err: &mut impl Write,
) -> Result<()> {
    let tidied = units::tidy(&m.unit).0;
    match all
        .iter()
        .find(|h| h.key == m.key && units::tidy(&h.unit).0 == tidied)
    {
        Some(have) if have.value != m.value => writeln!(
            err,
            "{path}:{}: metadata {} of unit {} already set to {}",
            m.line, m.key, m.unit, have.value
        )?,
        Some(_) => {}
        None => all.push(m),
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
    fn flags_in_go_spellings() {
        let o = parse(args(&[
            "-format",
            "csv",
            "--alpha=0.01",
            "a.txt",
            "-confidence",
            "0.9",
            "b",
        ]))
        .unwrap()
        .unwrap();
        assert!(o.csv);
        assert_eq!((o.settings.alpha, o.settings.confidence), (0.01, 0.9));
        assert_eq!(o.inputs, ["a.txt", "b"]);
        let o = parse(args(&["--", "-weird", "x=y.txt"])).unwrap().unwrap();
        assert_eq!(o.inputs, ["-weird", "x=y.txt"]);
        assert_eq!(parse(args(&["-", "-h"])).unwrap(), None);
        assert_eq!(parse(args(&["-"])).unwrap().unwrap().inputs, ["-"]);
    }

    #[test]
    fn flag_errors() {
        for (a, want) in [
            (&["-format", "html", "x"][..], "-format must be text or csv"),
            (&["-alpha", "2", "x"], "-alpha must be in range [0, 1]"),
            (
                &["-confidence=x", "x"],
                "invalid value \"x\" for flag -confidence",
            ),
            (&["-alpha"], "flag needs an argument: -alpha"),
            (
                &["-row", ".name", "x"],
                "unknown benchstat flag -row (oxprof benchstat -h lists the flags)",
            ),
            (
                &[],
                "benchstat needs at least one input file (oxprof benchstat -h)",
            ),
        ] {
            assert_eq!(parse(args(a)).unwrap_err().to_string(), want, "{a:?}");
        }
    }
}
