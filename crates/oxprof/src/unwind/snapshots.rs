//! The two process-wide snapshots the signal handler unwinds with: loaded modules and stack
//! mappings. Each is replaced as a whole by whoever refreshes it, and freed only after the
//! handlers reading it are done (see `publish`).

use std::io;

use super::memory_map::MemoryMap;
use super::modules::{loader_counts, ModuleSet};
use super::publish::Published;

pub(super) static MODULES: Published<ModuleSet> = Published::new();
pub(super) static MEMORY: Published<MemoryMap> = Published::new();

/// Rebuilds the module set if the loader loaded or unloaded anything since it was built (or if
/// there is none yet).
pub(super) fn refresh_modules() {
    MODULES.update(|current| {
        if current.is_some_and(|set| set.counts() == loader_counts()) {
            return None;
        }
        Some(ModuleSet::build(current))
    });
}

/// Re-reads the stack mappings. On error the previous snapshot stays.
pub(super) fn refresh_memory() -> io::Result<()> {
    let mut result = Ok(());
    // Read under the writer lock, so concurrent refreshes publish in the order they read.
    MEMORY.update(|_| match MemoryMap::read_current() {
        Ok(map) => Some(map),
        Err(error) => {
            result = Err(error);
            None
        }
    });
    result
}
