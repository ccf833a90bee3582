//! Source frames for the addresses of a generation's stacks, looked up once per address for the
//! whole life of the process (generations repeat their stacks), and the process's mappings.
//! Lookups happen on the collector thread, never where events are recorded.

use std::collections::HashMap;
use std::sync::Arc;

use oxprof_profile::ValueType;
use regex::Regex;

use crate::profile_build::{BuildOptions, Frame, StackProfile};

/// One source frame: function, file, line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceFrame {
    pub(super) function: Arc<str>,
    pub(super) file: Arc<str>,
    pub(super) line: u32,
}

/// A mapping as the trace records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MappingInfo {
    pub(super) start: u64,
    pub(super) limit: u64,
    pub(super) offset: u64,
    pub(super) file: String,
    pub(super) build_id: String,
}

/// Functions of oxprof's own recording path: the leaf frames of a recorded stack that are
/// these are the recorder's, not the program's, and are cut.
const OWN_FRAMES: &str = r"^(<?oxprof::(trace|trace_hooks|block|mutex|sync|contention|unwind)::.*|(core::ptr::)?drop_in_place<oxprof::sync::.*|(core::mem::)?drop<oxprof::sync::.*|core::mem::drop)$";

/// The source files of the recording path, which in builds with line tables only name their
/// inlined functions bare (`lock`, `record`).
const OWN_FILES: &str =
    r"(^|/)oxprof(-[^/]*)?/src/(trace|sync|contention|block|mutex|unwind)/[^/]+\.rs$";

/// Every address looked up so far, and the mappings last read.
pub(super) struct Symbols {
    frames: HashMap<u64, Arc<[SourceFrame]>>,
    mappings: Vec<MappingInfo>,
    own: Regex,
    own_files: Regex,
}

impl Symbols {
    pub(super) fn new() -> Self {
        Symbols {
            frames: HashMap::new(),
            mappings: Vec::new(),
            own: Regex::new(OWN_FRAMES).expect("a valid pattern"),
            own_files: Regex::new(OWN_FILES).expect("a valid pattern"),
        }
    }

    /// Looks up the addresses not seen before (re-reading the mappings when there are any).
    pub(super) fn resolve(&mut self, pcs: impl IntoIterator<Item = u64>) {
        let mut fresh: Vec<u64> = pcs
            .into_iter()
            .filter(|pc| !self.frames.contains_key(pc))
            .collect();
        fresh.sort_unstable();
        fresh.dedup();
        if fresh.is_empty() && !self.mappings.is_empty() {
            return;
        }
        let mut stacks = StackProfile::new(
            vec![ValueType::new("addresses", "count")],
            ValueType::new("addresses", "count"),
            1,
        );
        for &pc in &fresh {
            stacks.add(&[Frame::Address(pc)], &[1], Vec::new());
        }
        let profile = stacks.build(&BuildOptions {
            symbolize: !fresh.is_empty(),
            ..BuildOptions::default()
        });
        let functions: HashMap<u64, &oxprof_profile::Function> =
            profile.function.iter().map(|f| (f.id, f)).collect();
        for location in &profile.location {
            let frames: Vec<SourceFrame> = location
                .line
                .iter()
                .filter_map(|line| {
                    let f = functions.get(&line.function_id)?;
                    Some(SourceFrame {
                        function: f.name.as_str().into(),
                        file: f.filename.as_str().into(),
                        line: u32::try_from(line.line).unwrap_or(0),
                    })
                })
                .collect();
            // The recorder's functions inlined into the program's at a call into it are the
            // recorder's: dropped, as long as a frame of the program's stays.
            let own = frames.iter().take_while(|f| self.is_own(f)).count();
            let keep = if own < frames.len() { own } else { 0 };
            self.frames.insert(location.address, frames[keep..].into());
        }
        for &pc in &fresh {
            self.frames.entry(pc).or_insert_with(|| Arc::new([]));
        }
        self.mappings = profile
            .mapping
            .iter()
            .filter(|m| m.memory_limit > m.memory_start)
            .map(|m| MappingInfo {
                start: m.memory_start,
                limit: m.memory_limit,
                offset: m.file_offset,
                file: m.filename.clone(),
                build_id: m.build_id.clone(),
            })
            .collect();
    }

    fn is_own(&self, f: &SourceFrame) -> bool {
        self.own.is_match(&f.function) || self.own_files.is_match(&f.file)
    }

    /// The frames of `pc`, innermost first (empty when unknown or not yet resolved).
    pub(super) fn frames(&self, pc: u64) -> &[SourceFrame] {
        self.frames.get(&pc).map_or(&[], |f| f)
    }

    /// The mappings as last read.
    pub(super) fn mappings(&self) -> &[MappingInfo] {
        &self.mappings
    }

    /// `pcs` (leaf first) without the recorder's own frames at the leaf end.
    pub(super) fn trim<'a>(&self, pcs: &'a [u64]) -> &'a [u64] {
        let own = pcs
            .iter()
            .take_while(|&&pc| {
                self.frames(pc)
                    .last()
                    .is_some_and(|outer| self.is_own(outer))
            })
            .count();
        &pcs[own..]
    }
}
