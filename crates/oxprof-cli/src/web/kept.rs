//! The analyzers a server keeps for the profiles its pages opened last (`oxprof serve`'s ranges,
//! `oxprof trace`'s blocking and region profiles): building one means merging or deriving its
//! profile, and a page asks for its description, view and menus at once.

use std::sync::{Arc, Mutex};

use super::app::App;

/// At most `capacity` analyzers by key, the least recently used dropped first.
pub(crate) struct KeptAnalyzers {
    capacity: usize,
    kept: Mutex<Vec<(String, Arc<App>)>>,
}

impl KeptAnalyzers {
    pub(crate) fn new(capacity: usize) -> KeptAnalyzers {
        KeptAnalyzers {
            capacity,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// The analyzer for `key`: the kept one, or one `build` makes now. The lock is held while
    /// building, so the requests a page sends at once build it once.
    pub(crate) fn get_or_build<E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<App, E>,
    ) -> Result<Arc<App>, E> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = kept.iter().position(|(k, _)| k == key) {
            let entry = kept.remove(i);
            let app = entry.1.clone();
            kept.push(entry);
            return Ok(app);
        }
        let app = Arc::new(build()?);
        if kept.len() == self.capacity {
            kept.remove(0);
        }
        kept.push((key.to_owned(), app.clone()));
        Ok(app)
    }
}
