//! `oxprof record`: runs any dynamically linked program with oxprof's profilers injected
//! (`LD_PRELOAD` of `liboxprof_preload.so`, settings in environment variables) and says where
//! its profiles went, as `go test -cpuprofile` does for a Go test, without changing the
//! program.
//!
//! [`program`] checks that the loader would honour the preload, [`library`] provides the
//! library, [`launch`] runs the program and finds the files it and its children wrote, and
//! [`flags`] reads the profile flags `cargo oxprof` shares.

pub(crate) mod flags;
pub(crate) mod launch;
pub(crate) mod library;
mod program;
mod signals;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use anyhow::{anyhow, bail, Result};
use oxprof::session::Settings;

use launch::{Kind, Recorder, Written};

const USAGE: &str = "\
usage: oxprof record [flags] [--] program [args...]

Runs a program with oxprof's profilers injected (LD_PRELOAD) and writes its profiles when it
ends (returning from main, exit, SIGINT or SIGTERM), as go test's profile flags do for Go
tests. Any dynamically linked program: Rust (test and bench binaries too), C, C++. Children
the program starts write their own <file>.<pid>. Without a profile flag, it records
-cpuprofile cpu.out. The program's exit status is oxprof's.

Flags:
    -o dir               Write the profiles in dir (default: the current directory)
";

/// Runs `oxprof record` with the arguments after `record`.
pub(crate) fn run(args: &[String]) -> Result<ExitCode> {
    let Some(Request {
        mut settings,
        out_dir,
        command,
    }) = parse(args)?
    else {
        let mut out = std::io::stdout().lock();
        out.write_all(USAGE.as_bytes())?;
        out.write_all(flags::help().as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    if !settings.any() {
        settings.cpu_profile = Some("cpu.out".into());
    }
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow!("-o {}: cannot create it: {e}", dir.display()))?;
        for kind in Kind::ALL {
            if let Some(path) = kind.path_mut(&mut settings) {
                *path = dir.join(&*path);
            }
        }
    }
    let program = program::find(&command[0])?;
    program::check_preloadable(&program)?;
    let recorder = Recorder::new(library::path()?, settings)?;
    let mut child = Command::new(&program);
    child.args(&command[1..]);
    let (status, written) = recorder.run(&mut child)?;
    report(&command[0], recorder.settings(), status, &written)?;
    Ok(exit_code(status))
}

/// What `oxprof record` was asked to do.
#[derive(Debug)]
struct Request {
    settings: Settings,
    /// `-o`: where relative profile paths go.
    out_dir: Option<PathBuf>,
    /// The program and its arguments.
    command: Vec<String>,
}

/// The flags, the output directory and the command; `None` asks for help.
fn parse(args: &[String]) -> Result<Option<Request>> {
    let mut settings = Settings::default();
    let mut out_dir = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" {
            i += 1;
            break;
        }
        let taken = flags::take_profile_flag(args, i, &mut settings)?;
        if taken > 0 {
            i += taken;
            continue;
        }
        match flags::split_flag(arg) {
            Some(("h" | "help", _)) => return Ok(None),
            Some(("o", inline)) => {
                let (dir, taken) = match inline {
                    Some(dir) => (Some(dir), 1),
                    None => (args.get(i + 1).map(String::as_str), 2),
                };
                let dir = dir
                    .filter(|d| !d.is_empty())
                    .ok_or_else(|| anyhow!("flag needs an argument: -o"))?;
                out_dir = Some(PathBuf::from(dir));
                i += taken;
            }
            Some((name, _)) => bail!("unknown flag -{name} (oxprof record -h lists them)"),
            // The program's name: what follows is its own.
            None => break,
        }
    }
    let command = args[i..].to_vec();
    if command.is_empty() {
        bail!("no program to run: oxprof record [flags] -- program [args...]");
    }
    Ok(Some(Request {
        settings,
        out_dir,
        command,
    }))
}

/// Says on standard error (standard output is the program's) which profiles were written and
/// how to look at them.
fn report(name: &str, settings: &Settings, status: ExitStatus, written: &[Written]) -> Result<()> {
    let mut err = std::io::stderr().lock();
    if let Some(signo) = std::os::unix::process::ExitStatusExt::signal(&status) {
        writeln!(err, "oxprof: {name} was killed by signal {signo}")?;
    }
    if written.is_empty() {
        writeln!(
            err,
            "oxprof: {name} wrote no profile: it ended without running its exit handlers (a \
             crash, _exit, or a signal other than SIGINT and SIGTERM)"
        )?;
        return Ok(());
    }
    for file in written {
        let whose = match file.child {
            None => name.to_owned(),
            Some(pid) => format!("child process {pid}"),
        };
        writeln!(
            err,
            "oxprof: {} of {whose}: {}",
            file.kind.describe(settings.wall),
            shown(&file.path).display()
        )?;
    }
    // One command per viewer: the program's own file first.
    for viewer in ["oxprof -top", "oxprof trace"] {
        let mut files = written.iter().filter(|w| w.kind.viewer() == viewer);
        let Some(first) = files.clone().find(|w| w.child.is_none()).or(files.next()) else {
            continue;
        };
        writeln!(
            err,
            "oxprof: view with: {viewer} {}",
            shown(&first.path).display()
        )?;
    }
    Ok(())
}

/// `path` relative to the current directory when it is inside it, as the user would type it.
pub(crate) fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
}

/// The program's status as a shell gives it: its exit code, or 128 + the signal that ended it.
pub(crate) fn exit_code(status: ExitStatus) -> ExitCode {
    let code = status.code().unwrap_or_else(|| {
        128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)
    });
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_then_the_program_and_its_own_flags() {
        let request = parse(&args(&[
            "-o",
            "out",
            "-memprofile",
            "m.out",
            "--",
            "prog",
            "-o",
            "x",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(request.out_dir, Some(PathBuf::from("out")));
        assert_eq!(request.settings.mem_profile, Some(PathBuf::from("m.out")));
        assert_eq!(request.command, ["prog", "-o", "x"]);
        let request = parse(&args(&["-wall", "prog", "--flag"])).unwrap().unwrap();
        assert_eq!(
            request.command,
            ["prog", "--flag"],
            "the first word that is no flag starts it"
        );
        assert!(parse(&args(&["-h"])).unwrap().is_none());
    }

    #[test]
    fn mistakes_are_one_line_errors() {
        for (a, message) in [
            (&["-cpuprofile", "c.out"][..], "no program to run"),
            (
                &["-nope", "--", "prog"],
                "unknown flag -nope (oxprof record -h lists them)",
            ),
            (&["-o"], "flag needs an argument: -o"),
        ] {
            let err = parse(&args(a)).unwrap_err().to_string();
            assert!(err.starts_with(message), "{a:?}: {err}");
        }
    }
}
