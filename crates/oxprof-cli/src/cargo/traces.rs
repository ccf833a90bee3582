//! Execution traces out of every binary's run. A trace is one process's timeline, so traces
//! are not merged: each is moved where the flag said, `<file>` when one binary ran, else
//! `<file>.<binary>` for each; a process a binary started keeps its `.<pid>` after that.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oxprof::session::Settings;

use super::merge::{binary_names, Merged};
use super::Run;
use crate::record::launch::Kind;

/// Moves each binary's traces into place and says what each is.
pub(super) fn place(settings: &Settings, runs: &[Run<'_>]) -> Result<Vec<Merged>> {
    let Some(path) = &settings.trace else {
        return Ok(Vec::new());
    };
    let path = std::path::absolute(path)?;
    let names = binary_names(runs);
    let mut placed = Vec::new();
    for (name, (_, written)) in names.into_iter().zip(runs) {
        let mut base = path.clone().into_os_string();
        if runs.len() > 1 {
            base.push(format!(".{name}"));
        }
        for trace in written.iter().filter(|w| w.kind == Kind::Trace) {
            let mut to = base.clone();
            let covering = match trace.child {
                None => name.clone(),
                Some(pid) => {
                    to.push(format!(".{pid}"));
                    format!("{name}'s child process {pid}")
                }
            };
            let to = PathBuf::from(to);
            move_file(&trace.path, &to)?;
            placed.push(Merged {
                kind: Kind::Trace,
                path: to,
                binary: Some(covering),
                processes: 1,
            });
        }
    }
    Ok(placed)
}

/// Renames `from` to `to`, copying when they are on different file systems (the scratch
/// directory is in the temporary directory).
fn move_file(from: &Path, to: &Path) -> Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot write {}", to.display()))
}
