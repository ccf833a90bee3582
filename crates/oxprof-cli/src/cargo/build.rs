//! Building with cargo and finding what it built, from cargo's JSON messages (`--message-format
//! json-render-diagnostics`: the compiler's diagnostics still reach the terminal as text).
//! Builds keep line tables: optimized profiles (`release`, `bench`) get
//! `debug = "line-tables-only"` and no stripping through `--config`, so profiles name files and
//! lines without the crate's `Cargo.toml` being edited.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

/// The `--config` overrides every build gets.
const LINE_TABLES: [&str; 8] = [
    "--config",
    "profile.release.debug=\"line-tables-only\"",
    "--config",
    "profile.release.strip=false",
    "--config",
    "profile.bench.debug=\"line-tables-only\"",
    "--config",
    "profile.bench.strip=false",
];

/// An executable cargo built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    pub(crate) executable: PathBuf,
    /// The target's name (`it`, the crate's name for its unit tests).
    pub(crate) name: String,
    /// Its kinds as cargo lists them (`lib`, `bin`, `test`, `bench`, `example`...).
    pub(crate) kinds: Vec<String>,
    /// Whether it is a test harness build (`cargo test` and `cargo bench` run those).
    pub(crate) harness: bool,
    pub(crate) src_path: PathBuf,
    pub(crate) manifest_path: PathBuf,
    pub(crate) package_name: String,
    pub(crate) package_version: String,
}

/// Runs `cargo <args>` with the overrides and JSON messages, and returns how it ended with
/// every executable it built, in the order built.
pub(crate) fn build(
    cargo_subcommand: &[&str],
    args: &[String],
) -> Result<(ExitStatus, Vec<Artifact>)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(&cargo)
        .args(LINE_TABLES)
        .args(cargo_subcommand)
        .arg("--message-format=json-render-diagnostics")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    let stdout = child.stdout.take().expect("piped");
    let mut artifacts = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's messages")?;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(message) => artifacts.extend(artifact(&message)),
            // Not a message: output of a build script or the like, which cargo leaves be.
            Err(_) => println!("{line}"),
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    Ok((status, artifacts))
}

/// The executable a `compiler-artifact` message announces, if it announces one.
fn artifact(message: &serde_json::Value) -> Option<Artifact> {
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let package_id = text(&message["package_id"])?;
    let (package_name, package_version) = package_name_version(&package_id);
    Some(Artifact {
        executable: text(&message["executable"])?.into(),
        name: text(&message["target"]["name"])?,
        kinds: message["target"]["kind"]
            .as_array()?
            .iter()
            .filter_map(text)
            .collect(),
        harness: message["profile"]["test"].as_bool().unwrap_or(false),
        src_path: text(&message["target"]["src_path"])?.into(),
        manifest_path: text(&message["manifest_path"])?.into(),
        package_name,
        package_version,
    })
}

/// A package's name and version from its id: `path+file:///a/b/name#0.1.0`,
/// `registry+https://...#name@1.2.3`, or the older `name 0.1.0 (source)`.
fn package_name_version(id: &str) -> (String, String) {
    if let Some((url, fragment)) = id.rsplit_once('#') {
        return match fragment.split_once('@') {
            Some((name, version)) => (name.to_owned(), version.to_owned()),
            None => {
                let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
                (name.to_owned(), fragment.to_owned())
            }
        };
    }
    let mut words = id.split_whitespace();
    let name = words.next().unwrap_or_default().to_owned();
    (name, words.next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_are_read_from_cargos_messages() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/fixture#0.1.0","manifest_path":"/w/fixture/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"it","src_path":"/w/fixture/tests/it.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":true},"features":[],"filenames":["/t/debug/deps/it-0d1b"],"executable":"/t/debug/deps/it-0d1b","fresh":true}"#;
        let message = serde_json::from_str(line).unwrap();
        let a = artifact(&message).unwrap();
        assert_eq!(a.executable, PathBuf::from("/t/debug/deps/it-0d1b"));
        assert_eq!((a.name.as_str(), a.harness), ("it", true));
        assert_eq!(a.kinds, ["test"]);
        assert_eq!(a.package_name, "fixture");
        assert_eq!(a.package_version, "0.1.0");
        let library = r#"{"reason":"compiler-artifact","package_id":"p","manifest_path":"m","target":{"kind":["lib"],"name":"x","src_path":"s"},"profile":{"test":false},"executable":null}"#;
        assert_eq!(artifact(&serde_json::from_str(library).unwrap()), None);
        let other = serde_json::json!({"reason": "build-finished", "success": true});
        assert_eq!(artifact(&other), None);
    }

    #[test]
    fn package_ids_in_every_form() {
        for (id, name, version) in [
            ("path+file:///w/fixture#0.1.0", "fixture", "0.1.0"),
            ("path+file:///w/dir#other@0.2.0", "other", "0.2.0"),
            (
                "registry+https://github.com/rust-lang/crates.io-index#regex@1.11.1",
                "regex",
                "1.11.1",
            ),
            ("fixture 0.1.0 (path+file:///w/fixture)", "fixture", "0.1.0"),
        ] {
            assert_eq!(
                package_name_version(id),
                (name.to_owned(), version.to_owned()),
                "{id}"
            );
        }
    }
}
