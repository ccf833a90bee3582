//! All file-system access of this crate: reading objects, probing build ids, listing directories.
//!
//! Objects are read into memory rather than memory-mapped: parsing copies what it keeps (debug
//! sections, symbols) and drops the bytes, and reading keeps this crate free of `unsafe` (a mapped
//! file truncated by another process would fault inside safe code).

use std::fs;
use std::path::{Path, PathBuf};

use crate::elf::{self, Object};
use crate::error::{Error, Result};

/// Reads and parses the object at `path`.
pub(crate) fn load(path: &Path) -> Result<Object> {
    let data = fs::read(path).map_err(|e| Error::unreadable(path, e))?;
    Object::parse(&data).map_err(|reason| Error::not_an_object(path, reason))
}

/// The build id of the object at `path`, reading only the headers and the note holding it.
/// `None` when the file is unreadable, not an object, or has no build id.
pub(crate) fn build_id(path: &Path) -> Option<String> {
    let file = fs::File::open(path).ok()?;
    let cache = object::ReadCache::new(file);
    elf::build_id(&cache)
}

/// Whether `path` names a regular file (following symlinks).
pub(crate) fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// The regular files directly inside `dir`, sorted so lookups are deterministic.
pub(crate) fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}
