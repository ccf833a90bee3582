//! The ELF objects the dynamic loader has mapped (main program, shared libraries, vdso), with
//! the address span each occupies and its GNU build id read from its notes in memory.
//!
//! Reading the notes from memory rather than from the files gives the build id of the code that
//! actually runs, even when the file has since been replaced or deleted, and costs no I/O.

use std::ffi::{c_int, c_void};

/// An object as loaded in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LoadedObject {
    /// Lowest address of its `PT_LOAD` segments.
    pub(super) start: u64,
    /// One past the highest address of its `PT_LOAD` segments.
    pub(super) limit: u64,
    /// GNU build id as lowercase hex; empty when it has none.
    pub(super) build_id: String,
}

/// Every object `dl_iterate_phdr` reports.
pub(super) fn loaded_objects() -> Vec<LoadedObject> {
    let mut objects: Vec<LoadedObject> = Vec::new();
    // SAFETY: the callback only runs during this call and receives `objects` as `data`, which
    // outlives it; the loader holds its lock, so no object is unmapped while it is read.
    unsafe {
        libc::dl_iterate_phdr(
            Some(collect),
            (&mut objects as *mut Vec<LoadedObject>).cast(),
        );
    }
    objects
}

/// `dl_iterate_phdr` callback: records one object into the `Vec<LoadedObject>` behind `data`.
///
/// # Safety
/// `info` points to a valid `dl_phdr_info` and `data` to a `Vec<LoadedObject>`, as
/// `dl_iterate_phdr` called from [`loaded_objects`] guarantees.
unsafe extern "C" fn collect(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: per this function's contract.
    let (info, objects) = unsafe { (&*info, &mut *data.cast::<Vec<LoadedObject>>()) };
    let headers: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: the loader describes `dlpi_phnum` program headers at `dlpi_phdr`.
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    };
    let bias = info.dlpi_addr;
    let loads = headers.iter().filter(|h| h.p_type == libc::PT_LOAD);
    let start = loads.clone().map(|h| bias.wrapping_add(h.p_vaddr)).min();
    let limit = loads
        .map(|h| bias.wrapping_add(h.p_vaddr).wrapping_add(h.p_memsz))
        .max();
    let (Some(start), Some(limit)) = (start, limit) else {
        return 0;
    };
    let build_id = headers
        .iter()
        .filter(|h| h.p_type == libc::PT_NOTE && h.p_filesz > 0)
        .find_map(|h| {
            let address = bias.wrapping_add(h.p_vaddr);
            // SAFETY: a PT_NOTE segment lies inside the object's first loaded segment, which
            // stays mapped and readable while the loader lock is held.
            let notes = unsafe {
                std::slice::from_raw_parts(address as usize as *const u8, h.p_filesz as usize)
            };
            gnu_build_id(notes, h.p_align).map(hex)
        })
        .unwrap_or_default();
    objects.push(LoadedObject {
        start,
        limit,
        build_id,
    });
    0
}

const NT_GNU_BUILD_ID: u32 = 3;

/// The descriptor of the `NT_GNU_BUILD_ID` note owned by "GNU" in a note segment with alignment
/// `align` (4 on most objects, 8 for segments holding 8-aligned notes).
fn gnu_build_id(mut notes: &[u8], align: u64) -> Option<&[u8]> {
    let align: usize = if align == 8 { 8 } else { 4 };
    let word = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    // The descriptor and the next note start at the next multiple of `align` from the note's start.
    let aligned = |n: usize| n.checked_add(align - 1).map(|n| n & !(align - 1));
    while notes.len() >= 12 {
        let name_size = word(notes, 0)? as usize;
        let desc_size = word(notes, 4)? as usize;
        let kind = word(notes, 8)?;
        let name_end = 12usize.checked_add(name_size)?;
        let desc_at = aligned(name_end)?;
        let desc_end = desc_at.checked_add(desc_size)?;
        let name = notes.get(12..name_end)?;
        let desc = notes.get(desc_at..desc_end)?;
        if kind == NT_GNU_BUILD_ID && name == b"GNU\0" {
            return Some(desc);
        }
        notes = notes.get(aligned(desc_end)?..).unwrap_or(&[]);
    }
    None
}

/// Lowercase hex, the form pprof and Go give build ids.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &[u8], kind: u32, desc: &[u8], align: usize) -> Vec<u8> {
        let pad = |v: &mut Vec<u8>| v.resize(v.len().next_multiple_of(align), 0);
        let mut out = Vec::new();
        out.extend((name.len() as u32).to_ne_bytes());
        out.extend((desc.len() as u32).to_ne_bytes());
        out.extend(kind.to_ne_bytes());
        out.extend(name);
        pad(&mut out);
        out.extend(desc);
        pad(&mut out);
        out
    }

    #[test]
    fn finds_the_build_id_after_other_notes() {
        let mut notes = note(
            b"GNU\0",
            1,
            &[0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
            4,
        );
        notes.extend(note(b"GNU\0", NT_GNU_BUILD_ID, &[0xab, 0xcd, 0x01], 4));
        assert_eq!(gnu_build_id(&notes, 4), Some(&[0xab, 0xcd, 0x01][..]));
        assert_eq!(hex(gnu_build_id(&notes, 4).unwrap()), "abcd01");
    }

    #[test]
    fn eight_byte_aligned_notes() {
        let mut notes = note(b"GNU\0", 5, &[1; 12], 8);
        notes.extend(note(b"GNU\0", NT_GNU_BUILD_ID, &[7; 20], 8));
        assert_eq!(gnu_build_id(&notes, 8), Some(&[7; 20][..]));
    }

    #[test]
    fn other_owners_and_truncated_notes_give_none() {
        let other = note(b"Go\0\0", NT_GNU_BUILD_ID, &[1, 2, 3, 4], 4);
        assert_eq!(gnu_build_id(&other, 4), None);
        let full = note(b"GNU\0", NT_GNU_BUILD_ID, &[1; 20], 4);
        assert_eq!(gnu_build_id(&full[..full.len() - 4], 4), None);
        assert_eq!(gnu_build_id(&[], 4), None);
    }

    #[test]
    fn this_process_has_objects_with_build_ids() {
        let objects = loaded_objects();
        let here = loaded_objects as *const () as usize as u64;
        let main = objects
            .iter()
            .find(|o| (o.start..o.limit).contains(&here))
            .expect("an object contains this function");
        assert!(!main.build_id.is_empty(), "{objects:#?}");
        assert!(main
            .build_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
}
