//! `cargo oxprof test|bench|run`: `go test -cpuprofile` for cargo. Builds with cargo
//! ([`build`]), runs each test or bench binary (or the one program) under the preload library
//! as `oxprof record` does, as cargo would run it (in its package's directory, with cargo's
//! variables, `--bench` for benchmarks), and merges what every binary and the processes it
//! started recorded into one profile per kind ([`merge`]), plus one per binary with
//! `-per-binary`.

mod build;
mod merge;
mod traces;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use oxprof::session::Settings;

use crate::record::flags::{self, split_flag};
use crate::record::launch::{Kind, Recorder, Written};
use crate::record::{exit_code, library, shown};
use build::Artifact;

const USAGE: &str = "\
usage: cargo oxprof test|bench|run [cargo args] [flags] [-- harness or program args]

Builds with cargo and runs each test or bench binary (or, for run, the program) with
oxprof's profilers injected, then writes one profile per kind merged over every binary and
the processes they started, as go test -cpuprofile does: then oxprof -top cpu.out.
Execution traces (-trace) are one process's each: one file per binary, <file>.<binary>
when several ran.
Optimized builds keep line tables (--config overrides; Cargo.toml is not edited). Without a
profile flag it records -cpuprofile cpu.out. Doc tests are not run.

Flags (also spelled with one dash):
    --per-binary         Also write <file>.<binary> for each binary
";

/// What `cargo oxprof` was asked to do.
#[derive(Debug, PartialEq)]
struct Invocation {
    subcommand: Subcommand,
    cargo_args: Vec<String>,
    harness_args: Vec<String>,
    settings: Settings,
    per_binary: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subcommand {
    Test,
    Bench,
    Run,
}

/// Runs `oxprof cargo` with the arguments after `cargo` (what `cargo oxprof` passes).
pub(crate) fn run(args: &[String]) -> Result<ExitCode> {
    let Some(mut invocation) = parse(args)? else {
        let mut out = std::io::stdout().lock();
        out.write_all(USAGE.as_bytes())?;
        out.write_all(flags::help().as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    if !invocation.settings.any() {
        invocation.settings.cpu_profile = Some("cpu.out".into());
    }
    let library = library::path()?;
    let cargo_command: &[&str] = match invocation.subcommand {
        Subcommand::Test => &["test", "--no-run"],
        Subcommand::Bench => &["bench", "--no-run"],
        Subcommand::Run => &["build"],
    };
    let (status, artifacts) = build::build(cargo_command, &invocation.cargo_args)?;
    if !status.success() {
        return Ok(exit_code(status));
    }
    let binaries = select(&invocation, artifacts)?;
    let scratch = Scratch::new()?;
    let mut runs = Vec::new();
    let mut failed = None;
    for (index, binary) in binaries.iter().enumerate() {
        let settings = scratch.settings(&invocation.settings, index)?;
        let recorder = Recorder::new(library.clone(), settings)?;
        let (status, written) = recorder.run(&mut command(&invocation, binary))?;
        runs.push((binary, written));
        if !status.success() {
            failed = Some((binary, status));
            if !invocation.cargo_args.iter().any(|a| a == "--no-fail-fast") {
                break;
            }
        }
    }
    let mut merged = merge::write(&invocation.settings, &runs, invocation.per_binary)?;
    merged.extend(traces::place(&invocation.settings, &runs)?);
    report(&invocation.settings, &merged, runs.len())?;
    match failed {
        None => Ok(ExitCode::SUCCESS),
        Some((_, status)) if invocation.subcommand == Subcommand::Run => Ok(exit_code(status)),
        Some((binary, status)) => {
            eprintln!(
                "error: {} `{}` failed: {status}",
                if invocation.subcommand == Subcommand::Bench {
                    "bench"
                } else {
                    "test"
                },
                binary.name
            );
            Ok(ExitCode::from(101))
        }
    }
}

/// The subcommand, cargo's arguments (the profile flags taken out), and what follows `--`;
/// `None` asks for help.
fn parse(args: &[String]) -> Result<Option<Invocation>> {
    let subcommand = match args.first().map(String::as_str) {
        Some("test" | "t") => Subcommand::Test,
        Some("bench") => Subcommand::Bench,
        Some("run" | "r") => Subcommand::Run,
        None | Some("-h" | "--help" | "help") => return Ok(None),
        Some(other) => bail!("cargo oxprof {other}: want test, bench or run"),
    };
    let mut invocation = Invocation {
        subcommand,
        cargo_args: Vec::new(),
        harness_args: Vec::new(),
        settings: Settings::default(),
        per_binary: false,
    };
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" {
            invocation.harness_args = args[i + 1..].to_vec();
            break;
        }
        let taken = flags::take_profile_flag(args, i, &mut invocation.settings)?;
        if taken > 0 {
            i += taken;
            continue;
        }
        match split_flag(arg) {
            Some(("per-binary", None)) => invocation.per_binary = true,
            Some(("h" | "help", None)) => return Ok(None),
            Some(("message-format", _)) => {
                bail!("--message-format is cargo oxprof's own: it reads cargo's JSON messages")
            }
            _ => invocation.cargo_args.push(arg.clone()),
        }
        i += 1;
    }
    Ok(Some(invocation))
}

/// The binaries to run, in the order cargo runs them: for test and bench every harness build
/// (unit tests of the library, then of binaries, then integration tests, benches, examples),
/// for run the one program.
fn select(invocation: &Invocation, artifacts: Vec<Artifact>) -> Result<Vec<Artifact>> {
    if invocation.subcommand != Subcommand::Run {
        let mut harnesses: Vec<Artifact> = artifacts.into_iter().filter(|a| a.harness).collect();
        let rank = |a: &Artifact| {
            ["lib", "bin", "test", "bench", "example"]
                .iter()
                .position(|k| {
                    a.kinds
                        .iter()
                        .any(|kind| kind == k || kind.ends_with("lib") && *k == "lib")
                })
                .unwrap_or(5)
        };
        harnesses.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
        harnesses.dedup_by(|a, b| a.executable == b.executable);
        return Ok(harnesses);
    }
    let wanted = |flag: &str| {
        let args = &invocation.cargo_args;
        args.iter()
            .enumerate()
            .find_map(|(i, a)| match split_flag(a) {
                Some((name, Some(value))) if name == flag => Some(value.to_owned()),
                Some((name, None)) if name == flag => args.get(i + 1).cloned(),
                _ => None,
            })
    };
    let (bin, example) = (wanted("bin"), wanted("example"));
    let programs: Vec<Artifact> = artifacts
        .into_iter()
        .filter(|a| !a.harness)
        .filter(|a| match (&bin, &example) {
            (Some(name), _) => a.kinds.iter().any(|k| k == "bin") && &a.name == name,
            (_, Some(name)) => a.kinds.iter().any(|k| k == "example") && &a.name == name,
            _ => a.kinds.iter().any(|k| k == "bin"),
        })
        .collect();
    match programs.len() {
        1 => Ok(programs),
        0 => bail!("cargo built no program to run"),
        _ => bail!(
            "cargo built several programs ({}): say which with --bin",
            programs
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The command that runs `binary` as cargo would: tests and benches in their package's
/// directory with `--bench` for benches, programs in the current directory, each with cargo's
/// variables.
fn command(invocation: &Invocation, binary: &Artifact) -> Command {
    let mut command = Command::new(&binary.executable);
    if invocation.subcommand == Subcommand::Bench {
        command.arg("--bench");
    }
    command.args(&invocation.harness_args);
    let package_dir = binary.manifest_path.parent().unwrap_or(Path::new("."));
    if invocation.subcommand != Subcommand::Run {
        command.current_dir(package_dir);
    }
    command
        .env("CARGO_MANIFEST_DIR", package_dir)
        .env("CARGO_MANIFEST_PATH", &binary.manifest_path)
        .env("CARGO_PKG_NAME", &binary.package_name)
        .env("CARGO_PKG_VERSION", &binary.package_version)
        .env("CARGO_CRATE_NAME", binary.name.replace('-', "_"));
    if let Some(cargo) = std::env::var_os("CARGO") {
        command.env("CARGO", cargo);
    }
    let mut line = format!("     Running {}", shown(&binary.src_path).display());
    line.push_str(&format!(" ({})\n", shown(&binary.executable).display()));
    let _ = std::io::stderr().write_all(line.as_bytes());
    command
}

/// Where each binary's own profiles go before they are merged: a directory per binary in a
/// temporary directory removed at the end.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("oxprof-cargo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch { dir })
    }

    /// `settings` with each requested file moved into binary `index`'s directory.
    fn settings(&self, settings: &Settings, index: usize) -> Result<Settings> {
        let dir = self.dir.join(index.to_string());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut own = settings.clone();
        for kind in Kind::ALL {
            let name = match kind {
                Kind::Cpu => "cpu.out",
                Kind::Heap => "mem.out",
                Kind::Block => "block.out",
                Kind::Trace => "trace.out",
            };
            if let Some(path) = kind.path_mut(&mut own) {
                *path = dir.join(name);
            }
        }
        Ok(own)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Says which files were written and how to look at them.
fn report(settings: &Settings, merged: &[merge::Merged], binaries: usize) -> Result<()> {
    let mut err = std::io::stderr().lock();
    if merged.is_empty() {
        writeln!(
            err,
            "oxprof: no profile was written (no binary ran, or none ran its exit handlers)"
        )?;
        return Ok(());
    }
    let plural = |n: usize, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    for file in merged {
        let covering = match &file.binary {
            None => plural(binaries, "binary", "binaries"),
            Some(binary) => binary.clone(),
        };
        writeln!(
            err,
            "oxprof: {} of {covering} ({}): {}",
            file.kind.describe(settings.wall),
            plural(file.processes, "process", "processes"),
            shown(&file.path).display()
        )?;
    }
    // One command per viewer, for the first file it opens.
    for viewer in ["oxprof -top", "oxprof trace"] {
        if let Some(first) = merged.iter().find(|m| m.kind.viewer() == viewer) {
            writeln!(
                err,
                "oxprof: view with: {viewer} {}",
                shown(&first.path).display()
            )?;
        }
    }
    Ok(())
}

/// The profiles of one binary's run: its own and its children's.
type Run<'a> = (&'a Artifact, Vec<Written>);

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cargo_arguments_profile_flags_and_harness_arguments() {
        let invocation = parse(&args(&[
            "test",
            "--release",
            "--cpuprofile",
            "cpu.out",
            "-p",
            "fixture",
            "-per-binary",
            "--memprofile=mem.out",
            "--",
            "--nocapture",
            "hot",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(invocation.subcommand, Subcommand::Test);
        assert_eq!(invocation.cargo_args, ["--release", "-p", "fixture"]);
        assert_eq!(invocation.harness_args, ["--nocapture", "hot"]);
        assert!(invocation.per_binary);
        assert_eq!(invocation.settings.cpu_profile, Some("cpu.out".into()));
        assert_eq!(invocation.settings.mem_profile, Some("mem.out".into()));
    }

    #[test]
    fn mistakes_are_one_line_errors() {
        let err = parse(&args(&["build"])).unwrap_err().to_string();
        assert_eq!(err, "cargo oxprof build: want test, bench or run");
        let err = parse(&args(&["test", "--message-format=json"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--message-format is cargo oxprof's own"),
            "{err}"
        );
        assert!(parse(&args(&[])).unwrap().is_none());
    }
}
