//! The `havlak` example program the demo runs: found or built, then run with flags.

use std::{
    ffi::OsString,
    io::{self, BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{anyhow, bail, Context, Result};

/// The workspace this `oxprof` was built from: its manifest, if the sources are still there.
fn workspace_manifest() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let havlak = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/havlak/Cargo.toml");
    (manifest.is_file() && havlak.is_file()).then_some(manifest)
}

/// The `havlak` binary: built in release mode from the workspace this `oxprof` comes from
/// (a no-op when it is up to date), else the one installed beside `oxprof`.
pub(crate) fn find_or_build() -> Result<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("havlak"))
        .filter(|path| path.is_file());
    match (workspace_manifest(), beside) {
        (Some(manifest), beside) => build(&manifest).or_else(|e| beside.ok_or(e)),
        (None, Some(beside)) => Ok(beside),
        (None, None) => bail!(
            "oxprof demo runs the havlak example, which is neither in this oxprof's sources nor \
             installed beside it: run the demo from a clone of oxprof (cargo run --release -p \
             oxprof-cli -- demo), install the example (cargo install --path examples/havlak), \
             or name it with -havlak=PATH"
        ),
    }
}

/// `cargo build --release -p havlak`, with the cargo running this `oxprof` when `cargo run`
/// started it; cargo's progress goes to standard error and the binary's path comes from its
/// JSON messages.
fn build(manifest: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    eprintln!("building the havlak example (cargo build --release -p havlak)");
    let mut child = Command::new(&cargo)
        .args(["build", "--release", "-p", "havlak", "--bin", "havlak"])
        .args([
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| anyhow!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let message: serde_json::Value = match serde_json::from_str(&line?) {
            Ok(message) => message,
            Err(_) => continue,
        };
        if message["reason"] == "compiler-artifact" && message["target"]["name"] == "havlak" {
            if let Some(path) = message["executable"].as_str() {
                executable = Some(PathBuf::from(path));
            }
        }
    }
    let status = child.wait()?;
    match executable {
        Some(path) if status.success() => Ok(path),
        _ => bail!("building the havlak example failed ({status})"),
    }
}

/// Runs `havlak args` and returns what it printed; its standard error passes through. A
/// failure is an error with its message.
pub(crate) fn run(havlak: &Path, args: &[String]) -> Result<String> {
    let out = Command::new(havlak)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| anyhow!("cannot run {}: {e}", havlak.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!("{} {}: {}", havlak.display(), args.join(" "), stderr.trim());
    }
    io::Write::write_all(&mut io::stderr(), &out.stderr)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
