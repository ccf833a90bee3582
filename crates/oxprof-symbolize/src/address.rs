//! Runtime addresses (AVMA, where the loader put the code) to the addresses the object file states
//! (SVMA, what its symbols and DWARF use).
//!
//! A mapping says that memory at `memory_start` holds the file's bytes from `file_offset` on, so an
//! address is first turned into a file offset. The `PT_LOAD` segment holding that offset then says
//! at which stated address those bytes were linked. This handles non-PIE executables (the bias is
//! zero), PIE executables and shared libraries at any base, and mappings of a single segment with a
//! non-zero `file_offset` (a `r-xp` text mapping starting mid-file).

use oxprof_profile::Mapping;

/// One `PT_LOAD` program header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// `p_vaddr`.
    pub(crate) vaddr: u64,
    /// `p_offset`.
    pub(crate) offset: u64,
    /// `p_filesz`.
    pub(crate) file_size: u64,
    /// `p_flags` has `PF_X`.
    pub(crate) executable: bool,
}

/// Page size assumed for mapping offsets: the loader maps segments from page-aligned offsets, so a
/// mapping's `file_offset` can lie up to a page before its segment's `p_offset`.
const PAGE: u64 = 4096;

/// Translates `avma` in `mapping` to the object's stated address.
///
/// `is_fixed_address` is true for `ET_EXEC` objects, whose stated addresses are where they run.
pub(crate) fn to_svma(
    avma: u64,
    mapping: &Mapping,
    segments: &[Segment],
    is_fixed_address: bool,
) -> u64 {
    // A mapping without a range is pprof's stand-in for "the main binary, addresses as linked"
    // (Go profiles of non-PIE programs carry no mappings).
    if mapping.memory_start == 0 && mapping.memory_limit == 0 {
        return avma;
    }
    let file_offset = avma
        .wrapping_sub(mapping.memory_start)
        .wrapping_add(mapping.file_offset);
    match segment_for(mapping.file_offset, segments) {
        Some(s) => file_offset.wrapping_sub(s.offset).wrapping_add(s.vaddr),
        None if is_fixed_address => avma,
        // No program header covers the mapping (a profile from another build of the file, or a
        // hand-made mapping): assume the common layout where stated addresses equal file offsets.
        None => file_offset,
    }
}

/// The segment a mapping starting at `file_offset` maps; executable segments win ties, as
/// profiled addresses are code.
fn segment_for(file_offset: u64, segments: &[Segment]) -> Option<&Segment> {
    let covers = |s: &&Segment| {
        s.offset & !(PAGE - 1) <= file_offset && file_offset < s.offset + s.file_size.max(1)
    };
    segments
        .iter()
        .filter(covers)
        .max_by_key(|s| (s.executable, std::cmp::Reverse(s.offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(start: u64, limit: u64, offset: u64) -> Mapping {
        Mapping {
            id: 1,
            memory_start: start,
            memory_limit: limit,
            file_offset: offset,
            ..Default::default()
        }
    }

    /// Program headers as `ld` writes them for a small PIE: headers, text, rodata, data.
    fn pie() -> Vec<Segment> {
        vec![
            Segment {
                vaddr: 0,
                offset: 0,
                file_size: 0x628,
                executable: false,
            },
            Segment {
                vaddr: 0x1000,
                offset: 0x1000,
                file_size: 0x1b5,
                executable: true,
            },
            Segment {
                vaddr: 0x2000,
                offset: 0x2000,
                file_size: 0x104,
                executable: false,
            },
            Segment {
                vaddr: 0x3de8,
                offset: 0x2de8,
                file_size: 0x248,
                executable: false,
            },
        ]
    }

    #[test]
    fn pie_mapped_whole_from_offset_zero() {
        let m = mapping(0x5555_5555_4000, 0x5555_5555_9000, 0);
        assert_eq!(to_svma(0x5555_5555_5139, &m, &pie(), false), 0x1139);
    }

    #[test]
    fn pie_text_mapping_with_nonzero_offset() {
        let m = mapping(0x5555_5555_5000, 0x5555_5555_6000, 0x1000);
        assert_eq!(to_svma(0x5555_5555_5139, &m, &pie(), false), 0x1139);
    }

    #[test]
    fn data_segment_whose_vaddr_differs_from_its_offset() {
        // The data segment is mapped from the page holding p_offset 0x2de8.
        let m = mapping(0x5555_5555_7000, 0x5555_5555_8000, 0x2000);
        assert_eq!(to_svma(0x5555_5555_7df0, &m, &pie()[3..], false), 0x3df0);
    }

    #[test]
    fn non_pie_executable_keeps_addresses() {
        let segments = [
            Segment {
                vaddr: 0x40_0000,
                offset: 0,
                file_size: 0x500,
                executable: false,
            },
            Segment {
                vaddr: 0x40_1000,
                offset: 0x1000,
                file_size: 0x200,
                executable: true,
            },
        ];
        let whole = mapping(0x40_0000, 0x40_3000, 0);
        assert_eq!(to_svma(0x40_1126, &whole, &segments, true), 0x40_1126);
        let text = mapping(0x40_1000, 0x40_2000, 0x1000);
        assert_eq!(to_svma(0x40_1126, &text, &segments, true), 0x40_1126);
    }

    #[test]
    fn rangeless_mapping_means_stated_addresses() {
        assert_eq!(
            to_svma(0x40_1126, &mapping(0, 0, 0), &pie(), false),
            0x40_1126
        );
    }

    #[test]
    fn offset_outside_every_segment() {
        let m = mapping(0x7000_0000, 0x7000_1000, 0x9000);
        assert_eq!(to_svma(0x7000_0010, &m, &pie(), false), 0x9010);
        assert_eq!(to_svma(0x7000_0010, &m, &pie(), true), 0x7000_0010);
    }
}
