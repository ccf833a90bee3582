//! The `oxprof` command: `go tool pprof`'s interface over oxprof's profile and report crates.
//!
//! This file only dispatches: [`flags`] reads the command line, [`driver`] fetches the profiles
//! and prints a report, [`shell`] runs the interactive mode, `oxprof benchstat` goes to
//! [`benchstat`] and `oxprof demo` to [`demo`]. Every failure ends here as one `oxprof: ` line
//! on standard error and exit status 2; a closed output pipe is a normal end.
#![forbid(unsafe_code)]

mod benchstat;
mod browser;
mod demo;
mod driver;
mod fetch;
mod flags;
mod flame;
mod graphs;
mod objects;
mod progress;
mod serve;
mod shell;
mod web;

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::{anyhow, Result};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let text = format!("{e:#}");
            let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("oxprof: {line}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let args = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| anyhow!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<_>>>()?;
    if args.first().is_some_and(|a| a == "benchstat") {
        let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
        return benchstat::run(args[1..].to_vec(), &mut out, &mut err);
    }
    if args.first().is_some_and(|a| a == "demo") {
        return demo::run(args[1..].to_vec());
    }
    if args.first().is_some_and(|a| a == "serve") {
        return serve::run(args[1..].to_vec());
    }
    let invocation = match flags::parse(args).map_err(|e| anyhow!(e))? {
        flags::Parsed::Help => {
            let mut out = io::stdout().lock();
            out.write_all(flags::help::command_line().as_bytes())?;
            return Ok(out.flush()?);
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
        return web::serve(profile, &invocation.config, listening);
    }
    match &invocation.command {
        Some(command) => driver::generate(profile, command, &invocation.config, false),
        None => shell::run(profile, invocation.config),
    }
}

/// Whether the error comes from writing to a pipe whose reader has gone (`oxprof ... | head`).
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
