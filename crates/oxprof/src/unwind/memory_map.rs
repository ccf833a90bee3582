//! Which memory the signal handler may read while unwinding: the private, readable and writable
//! anonymous mapping that holds the interrupted stack pointer, from a snapshot of
//! `/proc/self/maps` taken outside the handler.
//!
//! A bounds check against that snapshot costs a fraction of a nanosecond per read, where
//! validating each read with a syscall costs hundreds. Reads then go through `guarded_read`,
//! which survives the rare stale snapshot. The snapshot must be fresh enough to know
//! every thread's stack: the handler asks for a refresh when a stack pointer falls outside it,
//! and the profiler refreshes it when it sees new threads.

use std::io;
use std::ops::Range;

use super::guarded_read;

/// How far below the stack pointer the unwinder may read: the x86_64 System V red zone, which a
/// leaf function uses without moving the stack pointer.
const RED_ZONE: u64 = 128;

/// Mappings a stack can live in, sorted by address.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct MemoryMap {
    regions: Vec<Range<u64>>,
}

impl MemoryMap {
    /// Reads this process's current mappings.
    pub(super) fn read_current() -> io::Result<MemoryMap> {
        Ok(MemoryMap::parse(&std::fs::read_to_string(
            "/proc/self/maps",
        )?))
    }

    /// Keeps the mappings a stack can be in: private, readable and writable, and anonymous
    /// (thread stacks, `[stack]`, `[heap]`, named anonymous memory). File and device mappings are
    /// left out even when writable, so a garbage stack pointer never leads to reading them.
    pub(super) fn parse(maps: &str) -> MemoryMap {
        let mut regions: Vec<Range<u64>> = maps.lines().filter_map(stack_candidate).collect();
        regions.sort_by_key(|region| region.start);
        MemoryMap { regions }
    }

    /// The readable stack around `sp`, or `None` when `sp` is in no known stack mapping.
    /// Async-signal-safe.
    pub(super) fn stack_containing(&self, sp: u64) -> Option<StackBounds> {
        let after = self.regions.partition_point(|region| region.start <= sp);
        let region = &self.regions[after.checked_sub(1)?];
        if sp >= region.end {
            return None;
        }
        let start = region.start.max(sp.saturating_sub(RED_ZONE));
        // SAFETY: the range lies in a mapping that /proc/self/maps listed as readable. If that
        // listing is stale (a merged neighbour unmapped since), reads there fail rather than
        // fault: sessions install `guarded_read` before any snapshot is taken.
        Some(unsafe { StackBounds::new(start..region.end) })
    }

    #[cfg(test)]
    pub(super) fn regions(&self) -> &[Range<u64>] {
        &self.regions
    }
}

/// Parses one `/proc/self/maps` line (`start-end perms offset dev inode [path]`) into its
/// address range if it can hold a stack.
fn stack_candidate(line: &str) -> Option<Range<u64>> {
    let mut fields = line.split_ascii_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?.as_bytes();
    let path = fields.nth(3).unwrap_or("");
    let private_read_write =
        perms.len() == 4 && perms[0] == b'r' && perms[1] == b'w' && perms[3] == b'p';
    let anonymous = path.is_empty() || path.starts_with('[');
    if !(private_read_write && anonymous) {
        return None;
    }
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    (start < end).then_some(start..end)
}

/// A readable range of stack memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StackBounds {
    range: Range<u64>,
}

impl StackBounds {
    /// # Safety
    /// Every byte of `range` must stay mapped and readable while this value is used, or
    /// [`guarded_read::install`] must have run (reads of unmapped memory then fail).
    pub(super) unsafe fn new(range: Range<u64>) -> StackBounds {
        StackBounds { range }
    }

    /// Reads the aligned 8-byte word at `address`, or fails if any byte of it is out of bounds.
    /// Async-signal-safe.
    pub(super) fn read(&self, address: u64) -> Result<u64, ()> {
        let in_bounds = address.is_multiple_of(8)
            && address >= self.range.start
            && address
                .checked_add(8)
                .is_some_and(|end| end <= self.range.end);
        if !in_bounds {
            return Err(());
        }
        guarded_read::read_word(address).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55e548f1e000-55e548f20000 r--p 00000000 fe:00 247030                     /usr/bin/cat
55e548f29000-55e548f2a000 rw-p 0000a000 fe:00 247030                     /usr/bin/cat
55e54a000000-55e54a021000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000001000 ---p 00000000 00:00 0
7f0000001000-7f0000801000 rw-p 00000000 00:00 0
7f0000900000-7f0000901000 rw-s 00000000 00:01 1234                       /dev/zero (deleted)
7f0000a00000-7f0000a01000 rw-s 00000000 00:01 99                         /memfd:x (deleted)
7ffd10000000-7ffd10021000 rw-p 00000000 00:00 0                          [stack]
7ffd10100000-7ffd10102000 r--p 00000000 00:00 0                          [vvar]
";

    #[test]
    fn keeps_private_anonymous_read_write_mappings_only() {
        let map = MemoryMap::parse(MAPS);
        assert_eq!(
            map.regions(),
            [
                0x55e54a000000..0x55e54a021000,
                0x7f0000001000..0x7f0000801000,
                0x7ffd10000000..0x7ffd10021000,
            ]
        );
    }

    #[test]
    fn stack_bounds_start_a_red_zone_below_sp_and_end_at_the_mapping() {
        let map = MemoryMap::parse(MAPS);
        let bounds = map.stack_containing(0x7f0000400000).unwrap();
        assert_eq!(bounds.range, 0x7f0000400000 - 128..0x7f0000801000);
        // Near the bottom of the mapping the red zone is clipped to the mapping.
        let bounds = map.stack_containing(0x7f0000001010).unwrap();
        assert_eq!(bounds.range, 0x7f0000001000..0x7f0000801000);
    }

    #[test]
    fn no_bounds_outside_stack_mappings() {
        let map = MemoryMap::parse(MAPS);
        for sp in [
            0,
            0x1000,
            0x55e548f29000,
            0x7f0000000800,
            0x7f0000801000,
            0x7f0000900010,
            u64::MAX,
        ] {
            assert_eq!(map.stack_containing(sp), None, "{sp:#x}");
        }
        assert_eq!(MemoryMap::default().stack_containing(0x7f0000400000), None);
    }

    #[test]
    fn reads_are_aligned_and_within_bounds() {
        let words = [11u64, 22, 33, 44];
        let base = words.as_ptr() as u64;
        // SAFETY: `words` lives until the end of the test.
        let bounds = unsafe { StackBounds::new(base + 8..base + 32) };
        assert_eq!(bounds.read(base + 8), Ok(22));
        assert_eq!(bounds.read(base + 24), Ok(44));
        assert_eq!(bounds.read(base), Err(()));
        assert_eq!(bounds.read(base + 12), Err(()));
        assert_eq!(bounds.read(base + 32), Err(()));
        assert_eq!(bounds.read(u64::MAX - 7), Err(()));
    }

    #[test]
    fn this_threads_stack_is_in_the_current_map() {
        let local = 0u64;
        let sp = &local as *const u64 as u64;
        let map = MemoryMap::read_current().unwrap();
        let bounds = map.stack_containing(sp).expect("own stack not found");
        assert_eq!(bounds.read(sp), Ok(0));
    }
}
