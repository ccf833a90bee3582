//! The `oxprof` command: `go tool pprof`'s interface over oxprof's profile and report crates.
//!
//! This file only dispatches: [`flags`] reads the command line, [`driver`] fetches the profiles
//! and prints a report, [`shell`] runs the interactive mode, `oxprof benchstat` goes to
//! [`benchstat`], `oxprof demo` to [`demo`], `oxprof trace` to [`trace`], `oxprof record` to
//! [`record`] and `oxprof cargo` (what `cargo oxprof` runs) to [`cargo`]. Every failure ends here as one `oxprof: ` line on
//! standard error and exit status 2; a closed output pipe is a normal end.
// Denied rather than forbidden: `record` passes signals on to the program it runs, with libc.
#![deny(unsafe_code)]

mod benchstat;
mod browser;
#[cfg(target_os = "linux")]
mod cargo;
mod demo;
mod driver;
mod fetch;
mod flags;
mod flame;
mod graphs;
mod objects;
mod progress;
#[cfg(target_os = "linux")]
mod record;
mod serve;
mod shell;
mod trace;
mod web;

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::{anyhow, Result};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let text = format!("{e:#}");
            let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("oxprof: {line}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| anyhow!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<_>>>()?;
    if args.first().is_some_and(|a| a == "benchstat") {
        let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
        benchstat::run(args[1..].to_vec(), &mut out, &mut err)?;
        return Ok(ExitCode::SUCCESS);
    }
    #[cfg(target_os = "linux")]
    match args.first().map(String::as_str) {
        Some("record") => return record::run(&args[1..]),
        Some("cargo") => return cargo::run(&args[1..]),
        _ => {}
    }
    if args.first().is_some_and(|a| a == "demo") {
        demo::run(args[1..].to_vec())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.first().is_some_and(|a| a == "serve") {
        serve::run(args[1..].to_vec())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.first().is_some_and(|a| a == "trace") {
        trace::run(args[1..].to_vec())?;
        return Ok(ExitCode::SUCCESS);
    }
    let invocation = match flags::parse(args).map_err(|e| anyhow!(e))? {
        flags::Parsed::Help => {
            let mut out = io::stdout().lock();
            out.write_all(flags::help::command_line().as_bytes())?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        flags::Parsed::Run(invocation) => invocation,
    };
    let listening = invocation
        .sources
        .http
        .as_deref()
        .map(web::listen)
        .transpose()?;
    let profile = driver::load(&invocation.sources)?;
    if let Some(listening) = listening {
        web::serve(profile, &invocation.config, listening)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &invocation.command {
        Some(command) => driver::generate(profile, command, &invocation.config, false)?,
        None => shell::run(profile, invocation.config)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the error comes from writing to a pipe whose reader has gone (`oxprof ... | head`).
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
