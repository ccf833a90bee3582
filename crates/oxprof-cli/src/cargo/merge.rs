//! One profile per kind out of every binary's: the files each binary and the processes it
//! started wrote, decoded and merged ([`oxprof_profile::Profile::merge`]), written where the
//! flag said; with `-per-binary`, also each binary's own merge as `<file>.<binary>`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use oxprof::session::Settings;
use oxprof_profile::Profile;

use super::Run;
use crate::record::launch::{Kind, Written};

/// A merged profile written.
pub(super) struct Merged {
    pub(super) kind: Kind,
    pub(super) path: PathBuf,
    /// The binary it covers (`-per-binary`), or `None` for all of them.
    pub(super) binary: Option<String>,
    /// How many processes' profiles it merges.
    pub(super) processes: usize,
}

/// Writes the merged profiles and says what each covers.
pub(super) fn write(
    settings: &Settings,
    runs: &[Run<'_>],
    per_binary: bool,
) -> Result<Vec<Merged>> {
    let mut written = Vec::new();
    // Traces are one process's each: see `traces`.
    for kind in Kind::ALL.into_iter().filter(|&k| k != Kind::Trace) {
        let Some(path) = kind.path(settings) else {
            continue;
        };
        let files: Vec<&Written> = runs
            .iter()
            .flat_map(|(_, w)| w.iter())
            .filter(|w| w.kind == kind)
            .collect();
        if files.is_empty() {
            continue;
        }
        let path = std::path::absolute(path)?;
        merge_into(&files, &path)?;
        written.push(Merged {
            kind,
            path: path.clone(),
            binary: None,
            processes: files.len(),
        });
        if per_binary {
            for (suffix, (_, own)) in binary_names(runs).into_iter().zip(runs) {
                let own: Vec<&Written> = own.iter().filter(|w| w.kind == kind).collect();
                if own.is_empty() {
                    continue;
                }
                let mut name = path.clone().into_os_string();
                name.push(format!(".{suffix}"));
                let per = PathBuf::from(name);
                merge_into(&own, &per)?;
                written.push(Merged {
                    kind,
                    path: per,
                    binary: Some(suffix),
                    processes: own.len(),
                });
            }
        }
    }
    Ok(written)
}

/// Each run's name for `<file>.<binary>`: its target's name, with its kind after it when two
/// targets share a name (a library's unit tests and a binary's, both named after the crate).
pub(super) fn binary_names(runs: &[Run<'_>]) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (binary, _) in runs {
        *seen.entry(&binary.name).or_default() += 1;
    }
    runs.iter()
        .map(|(binary, _)| match seen[binary.name.as_str()] {
            1 => binary.name.clone(),
            _ => format!("{}-{}", binary.name, binary.kinds.join("-")),
        })
        .collect()
}

fn merge_into(files: &[&Written], path: &std::path::Path) -> Result<()> {
    let profiles = files
        .iter()
        .map(|w| {
            let bytes = std::fs::read(&w.path)
                .with_context(|| format!("cannot read {}", w.path.display()))?;
            Profile::decode(&bytes).with_context(|| format!("{}", w.path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let merged = Profile::merge(profiles).context("merging the binaries' profiles")?;
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    merged
        .write_to(std::io::BufWriter::new(file))
        .with_context(|| format!("cannot write {}", path.display()))
}
