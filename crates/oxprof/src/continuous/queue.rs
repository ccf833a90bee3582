//! The pushes waiting to be sent, oldest first, bounded: in memory, or, with a spool directory,
//! as files there (written whole before they count, so a crash leaves no half push), which a
//! restarted program finds and sends. When full, the oldest push is dropped.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use super::collect::{totals_of, Batch};

/// A waiting push.
pub(super) struct Entry {
    body: Option<Arc<Vec<u8>>>,
    path: Option<PathBuf>,
    size: u64,
    pub profiles: u32,
    pub totals: Vec<(String, i64)>,
}

pub(super) struct Queue {
    items: VecDeque<Entry>,
    dir: Option<PathBuf>,
    max_items: usize,
    max_bytes: u64,
    bytes: u64,
    sequence: u64,
}

/// Spooled files: `<nanoseconds>-<sequence>.push`, so names sort in the order written.
const SUFFIX: &str = ".push";

impl Queue {
    /// A queue of at most `max_items` pushes and `max_bytes`, spooled in `dir` when given, with
    /// the pushes a previous run left there.
    pub(super) fn open(
        dir: Option<PathBuf>,
        max_items: usize,
        max_bytes: u64,
    ) -> io::Result<Queue> {
        let mut queue = Queue {
            items: VecDeque::new(),
            dir,
            max_items,
            max_bytes,
            bytes: 0,
            sequence: 0,
        };
        let Some(dir) = &queue.dir else {
            return Ok(queue);
        };
        fs::create_dir_all(dir)?;
        let mut names: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for path in names {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".tmp") {
                // A push being written when the program stopped: never acknowledged as queued.
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(SUFFIX) {
                continue;
            }
            let Ok(body) = fs::read(&path) else { continue };
            let Some((profiles, totals)) = totals_of(&body) else {
                let _ = fs::remove_file(&path);
                continue;
            };
            queue.bytes += body.len() as u64;
            queue.items.push_back(Entry {
                body: None,
                path: Some(path),
                size: body.len() as u64,
                profiles,
                totals,
            });
        }
        Ok(queue)
    }

    /// Queues a push; returns how many older ones were dropped to make room.
    pub(super) fn push(&mut self, batch: Batch, now_nanos: i64) -> io::Result<usize> {
        let size = batch.body.len() as u64;
        let entry = match &self.dir {
            Some(dir) => {
                self.sequence += 1;
                let path = dir.join(format!("{now_nanos:020}-{:06}{SUFFIX}", self.sequence));
                let tmp = path.with_extension("tmp");
                let mut file = fs::File::create(&tmp)?;
                file.write_all(&batch.body)?;
                file.sync_data()?;
                fs::rename(&tmp, &path)?;
                Entry {
                    body: None,
                    path: Some(path),
                    size,
                    profiles: batch.profiles,
                    totals: batch.totals,
                }
            }
            None => Entry {
                body: Some(Arc::new(batch.body)),
                path: None,
                size,
                profiles: batch.profiles,
                totals: batch.totals,
            },
        };
        self.bytes += size;
        self.items.push_back(entry);
        let mut dropped = 0;
        while self.items.len() > 1
            && (self.items.len() > self.max_items || self.bytes > self.max_bytes)
        {
            self.pop();
            dropped += 1;
        }
        Ok(dropped)
    }

    /// The oldest push's body, read from its file when spooled (one that cannot be read is
    /// dropped and the next one tried).
    pub(super) fn front(&mut self) -> Option<Arc<Vec<u8>>> {
        loop {
            let entry = self.items.front()?;
            if let Some(body) = &entry.body {
                return Some(body.clone());
            }
            match entry.path.as_ref().map(fs::read) {
                Some(Ok(body)) => return Some(Arc::new(body)),
                _ => {
                    self.pop();
                }
            }
        }
    }

    /// Removes the oldest push.
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let entry = self.items.pop_front()?;
        self.bytes -= entry.size;
        if let Some(path) = &entry.path {
            let _ = fs::remove_file(path);
        }
        Some(entry)
    }

    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(super) fn spooled(&self) -> bool {
        self.dir.is_some()
    }

    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }
}
