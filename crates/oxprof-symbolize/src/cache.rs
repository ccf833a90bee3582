//! Parsed objects kept between symbolizations, for a process that symbolizes its own profiles
//! again and again (a server answering `/debug/pprof/heap`): reading and parsing a binary's debug
//! information is most of the cost of symbolizing, and the lookups' lazily built indexes are kept
//! with the object.
//!
//! Objects are keyed by file identity (device, inode, size, modification time), so a rebuilt
//! file is read again. A cached object is taken out while in use and put back when its user is
//! done, so concurrent symbolizations never share one (the lookup indexes are not thread-safe);
//! a second user of the same file meanwhile parses its own copy, and the last one returned wins.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

use crate::elf::Object;

/// Which file an object was read from, as far as the file system can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
}

impl FileKey {
    pub(crate) fn of(metadata: &Metadata) -> FileKey {
        FileKey {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }
}

struct Cache {
    capacity: usize,
    /// Least recently returned first.
    entries: Vec<(FileKey, Object)>,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    capacity: 0,
    entries: Vec::new(),
});

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    // A panic while holding the lock leaves the list consistent: it is only pushed and removed.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps up to `capacity` parsed object files in memory between symbolizations in this process
/// (the least recently used are dropped first); 0, the default, keeps none. Each kept object
/// holds its symbols and debug sections, about the size of the file's `.debug_*` sections.
///
/// ```
/// oxprof_symbolize::keep_parsed_objects(4);
/// // Symbolizing the same binaries again now skips reading and parsing them.
/// oxprof_symbolize::keep_parsed_objects(0); // and forgets them
/// ```
pub fn keep_parsed_objects(capacity: usize) {
    let mut cache = cache();
    cache.capacity = capacity;
    let excess = cache.entries.len().saturating_sub(capacity);
    cache.entries.drain(..excess);
}

/// The cached object read from the file `key` names, taken out of the cache.
pub(crate) fn take(key: FileKey) -> Option<Object> {
    let mut cache = cache();
    let index = cache.entries.iter().position(|(k, _)| *k == key)?;
    Some(cache.entries.remove(index).1)
}

/// Puts an object back once its user is done with it; dropped when the cache is off.
pub(crate) fn put(key: FileKey, object: Object) {
    let mut cache = cache();
    if cache.capacity == 0 {
        return;
    }
    cache.entries.retain(|(k, _)| *k != key);
    if cache.entries.len() >= cache.capacity {
        cache.entries.remove(0);
    }
    cache.entries.push((key, object));
}

/// How many parsed objects [`keep_parsed_objects`] keeps now (objects in use are not counted).
///
/// ```
/// oxprof_symbolize::keep_parsed_objects(0);
/// assert_eq!(oxprof_symbolize::parsed_objects_kept(), 0);
/// ```
pub fn parsed_objects_kept() -> usize {
    cache().entries.len()
}
