//! All file-system access of this crate: reading objects, probing build ids, listing directories.
//!
//! Objects are read into memory rather than memory-mapped: parsing copies what it keeps (debug
//! sections, symbols) and drops the bytes, and reading keeps this crate free of `unsafe` (a mapped
//! file truncated by another process would fault inside safe code).

use std::fs;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::cache::{self, FileKey};
use crate::elf::{self, Object};
use crate::error::{Error, Result};

/// Reads and parses the object at `path`, or takes it from the cache of parsed objects.
pub(crate) fn load(path: &Path) -> Result<Loaded> {
    let key = fs::metadata(path).ok().map(|m| FileKey::of(&m));
    if let Some(object) = key.and_then(cache::take) {
        return Ok(Loaded {
            key,
            object: Some(object),
        });
    }
    let data = fs::read(path).map_err(|e| Error::unreadable(path, e))?;
    let object = Object::parse(&data).map_err(|reason| Error::not_an_object(path, reason))?;
    Ok(Loaded {
        key,
        object: Some(object),
    })
}

/// A parsed object from [`load`], which goes back to the cache of parsed objects when dropped.
pub(crate) struct Loaded {
    key: Option<FileKey>,
    /// Always `Some` until the drop hands it back.
    object: Option<Object>,
}

impl Deref for Loaded {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.object.as_ref().expect("an object until dropped")
    }
}

impl Drop for Loaded {
    fn drop(&mut self) {
        if let (Some(key), Some(object)) = (self.key, self.object.take()) {
            cache::put(key, object);
        }
    }
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
