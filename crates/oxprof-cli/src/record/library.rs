//! Where the preload library comes from: the copy embedded in this binary (see `build.rs`),
//! written on first use to `$XDG_CACHE_HOME/oxprof` (else `~/.cache/oxprof`, else the temp
//! directory) under a name with its version and a hash of its bytes, so binaries from different
//! builds never share a copy. `OXPROF_PRELOAD=/path/liboxprof_preload.so` uses another build of
//! it instead, after checking that it was built from the same engine version as this binary.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use oxprof::session::VERSION;

static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/liboxprof_preload.so"));
const HASH: &str = env!("OXPROF_PRELOAD_HASH");

/// The variable naming a library to use instead of the embedded one.
pub(crate) const OVERRIDE_VAR: &str = "OXPROF_PRELOAD";

/// What precedes the version string in a preload library's file (see oxprof-preload's
/// `version.rs`).
const MARKER: &[u8] = b"oxprof-preload-version=";

/// The path of a preload library of this binary's engine version, ready to inject.
pub(crate) fn path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(OVERRIDE_VAR).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("{OVERRIDE_VAR}={}: cannot read it", path.display()))?;
        check_version(&bytes).with_context(|| format!("{OVERRIDE_VAR}={}", path.display()))?;
        return Ok(std::path::absolute(&path)?);
    }
    if EMBEDDED.is_empty() {
        bail!("this oxprof was built without liboxprof_preload.so (record needs Linux)");
    }
    let dir = cache_dir();
    let file = dir.join(format!("liboxprof_preload-{VERSION}-{HASH}.so"));
    if std::fs::read(&file).is_ok_and(|bytes| bytes == EMBEDDED) {
        return Ok(file);
    }
    write_atomically(&dir, &file).with_context(|| {
        format!(
            "cannot write liboxprof_preload.so to {} (set XDG_CACHE_HOME to a writable directory)",
            dir.display()
        )
    })?;
    Ok(file)
}

/// Fails unless `library` is a preload library of this binary's engine version.
fn check_version(library: &[u8]) -> Result<()> {
    let Some(start) = library
        .windows(MARKER.len())
        .position(|w| w == MARKER)
        .map(|i| i + MARKER.len())
    else {
        bail!("not an oxprof preload library (it has no version marker)");
    };
    let end = library[start..]
        .iter()
        .position(|&b| b == 0)
        .map_or(library.len(), |n| start + n);
    let version = String::from_utf8_lossy(&library[start..end]);
    if version != VERSION {
        bail!(
            "the library is version {version} but this oxprof is version {VERSION}: build both \
             from the same source"
        );
    }
    Ok(())
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|p| !p.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("oxprof")
}

/// Writes the embedded library to `file` by way of a temporary file renamed into place, so
/// that processes starting at once never load a half-written copy.
fn write_atomically(dir: &Path, file: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".liboxprof_preload.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut f| {
        f.write_all(EMBEDDED)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, file));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_library_has_this_version() {
        check_version(EMBEDDED).unwrap();
    }

    #[test]
    fn other_versions_and_other_files_are_refused() {
        let other = b"\x7fELF....oxprof-preload-version=0.0.1\0...";
        let err = check_version(other).unwrap_err().to_string();
        assert!(
            err.starts_with("the library is version 0.0.1 but this oxprof is version"),
            "{err}"
        );
        let err = check_version(b"\x7fELF plain library")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "not an oxprof preload library (it has no version marker)"
        );
    }
}
