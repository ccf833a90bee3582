//! The profile's mappings for this process: its executable regions with their build ids, the
//! main binary first, and the lookup from an address to the mapping holding it.

use oxprof_profile::Mapping;

use super::loaded_objects::{loaded_objects, LoadedObject};
use super::maps::{executable_entries, without_deleted_marker, MapsEntry};

/// The mappings of this process, numbered 1..n in profile order.
pub(super) struct ProcessMappings {
    mappings: Vec<Mapping>,
    /// `(memory_start, memory_limit, id)` sorted by start, for lookups.
    ranges: Vec<(u64, u64, u64)>,
    /// The only mapping is Go's stand-in, used when the address space could not be read: every
    /// location belongs to it.
    fake: bool,
    main_is_executable: bool,
}

impl ProcessMappings {
    /// The mappings as `/proc/self/maps` and the loader describe them now.
    pub(super) fn read() -> Self {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let exe = std::fs::read_link("/proc/self/exe")
            .ok()
            .and_then(|p| p.to_str().map(|p| without_deleted_marker(p).to_owned()));
        Self::new(executable_entries(&maps), exe.as_deref(), &loaded_objects())
    }

    /// Mappings for `entries`: those of the file at `exe` first, each with the build id of the
    /// loaded object it lies in. Without entries, one fake mapping as Go writes it, since pprof
    /// expects at least one.
    pub(super) fn new(
        entries: Vec<MapsEntry>,
        exe: Option<&str>,
        objects: &[LoadedObject],
    ) -> Self {
        let mut entries = entries;
        // A stable sort keeps the address order among the rest.
        entries.sort_by_key(|e| Some(e.path.as_str()) != exe);
        let main_is_executable = entries
            .first()
            .is_some_and(|e| Some(e.path.as_str()) == exe);
        let mut mappings: Vec<Mapping> = entries
            .into_iter()
            .zip(1..)
            .map(|(entry, id)| Mapping {
                id,
                memory_start: entry.start,
                memory_limit: entry.limit,
                file_offset: entry.file_offset,
                build_id: build_id_at(entry.start, objects).to_owned(),
                filename: entry.path,
                ..Mapping::default()
            })
            .collect();
        let fake = mappings.is_empty();
        if fake {
            mappings.push(Mapping {
                id: 1,
                ..Mapping::default()
            });
        }
        let mut ranges: Vec<(u64, u64, u64)> = mappings
            .iter()
            .map(|m| (m.memory_start, m.memory_limit, m.id))
            .collect();
        ranges.sort_unstable();
        ProcessMappings {
            mappings,
            ranges,
            fake,
            main_is_executable,
        }
    }

    /// The id of the mapping holding `address`; 0 when none does.
    pub(super) fn id_for(&self, address: u64) -> u64 {
        if self.fake {
            return 1;
        }
        let after = self
            .ranges
            .partition_point(|&(start, _, _)| start <= address);
        match after.checked_sub(1).map(|i| self.ranges[i]) {
            Some((_, limit, id)) if address < limit => id,
            _ => 0,
        }
    }

    /// Whether mapping 1 is code of this process's executable (`/proc/self/exe`).
    pub(super) fn main_is_executable(&self) -> bool {
        self.main_is_executable
    }

    pub(super) fn into_mappings(self) -> Vec<Mapping> {
        self.mappings
    }
}

/// The build id of the loaded object whose span contains `address`, or "".
fn build_id_at(address: u64, objects: &[LoadedObject]) -> &str {
    objects
        .iter()
        .find(|o| (o.start..o.limit).contains(&address))
        .map_or("", |o| o.build_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(start: u64, limit: u64, path: &str) -> MapsEntry {
        MapsEntry {
            start,
            limit,
            file_offset: 0x1000,
            path: path.into(),
        }
    }

    fn object(start: u64, limit: u64, build_id: &str) -> LoadedObject {
        LoadedObject {
            start,
            limit,
            build_id: build_id.into(),
        }
    }

    #[test]
    fn executable_first_with_build_ids_and_lookups() {
        let entries = vec![
            entry(0x1000, 0x2000, "[vdso]"),
            entry(0x5000, 0x6000, "/app"),
            entry(0x9000, 0xa000, "/lib.so"),
        ];
        let objects = [
            object(0x4000, 0x8000, "aa11"),
            object(0x8000, 0xb000, "bb22"),
            object(0x1000, 0x2000, "cc33"),
        ];
        let process = ProcessMappings::new(entries, Some("/app"), &objects);
        assert!(process.main_is_executable());
        assert_eq!(process.id_for(0x5800), 1);
        assert_eq!(process.id_for(0x1000), 2);
        assert_eq!(process.id_for(0x9fff), 3);
        assert_eq!(process.id_for(0x2000), 0);
        assert_eq!(process.id_for(0x0fff), 0);
        assert_eq!(process.id_for(u64::MAX), 0);
        let got: Vec<(u64, &str, &str)> = process
            .mappings
            .iter()
            .map(|m| (m.id, m.filename.as_str(), m.build_id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "/app", "aa11"),
                (2, "[vdso]", "cc33"),
                (3, "/lib.so", "bb22")
            ]
        );
        assert_eq!(process.mappings[0].file_offset, 0x1000);
    }

    #[test]
    fn unknown_executable_keeps_address_order() {
        let entries = vec![entry(0x1000, 0x2000, "/a"), entry(0x3000, 0x4000, "/b")];
        let process = ProcessMappings::new(entries, None, &[]);
        assert!(!process.main_is_executable());
        assert_eq!(process.mappings[0].filename, "/a");
        assert_eq!(process.mappings[0].build_id, "");
    }

    #[test]
    fn no_entries_give_one_fake_mapping_holding_everything() {
        let process = ProcessMappings::new(Vec::new(), Some("/app"), &[]);
        assert_eq!(process.id_for(0x1234), 1);
        assert!(!process.main_is_executable());
        assert_eq!(
            process.into_mappings(),
            [Mapping {
                id: 1,
                ..Mapping::default()
            }]
        );
    }
}
