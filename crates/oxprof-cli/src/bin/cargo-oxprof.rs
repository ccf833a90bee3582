//! `cargo oxprof test|bench|run ...`: cargo runs this as `cargo-oxprof oxprof ...`. It hands
//! over (by `exec`, so signals and the exit status are `oxprof`'s) to `oxprof cargo ...`,
//! found beside this binary (where `cargo install` puts both), else in `$PATH`.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "oxprof") {
        args.remove(0);
    }
    let oxprof = std::env::current_exe()
        .ok()
        .map(|me| me.with_file_name("oxprof"))
        .filter(|beside| beside.is_file())
        .unwrap_or_else(|| PathBuf::from("oxprof"));
    let error = Command::new(&oxprof).arg("cargo").args(args).exec();
    eprintln!(
        "cargo-oxprof: cannot run {}: {error} (install it with cargo install --path crates/oxprof-cli)",
        oxprof.display()
    );
    ExitCode::from(2)
}
