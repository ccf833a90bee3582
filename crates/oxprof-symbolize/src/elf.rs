//! What symbolization needs from one ELF object, parsed out of its bytes: build id, loadable
//! segments, the symbol tables and the DWARF debug information.
//!
//! Everything is copied out of the file's bytes so that the bytes can be dropped as soon as the
//! object is parsed: debug sections into shared buffers, symbols into a sorted table.

use std::borrow::Cow;
use std::sync::Arc;

use object::{Object as _, ObjectSection as _, ObjectSegment as _, ReadRef};

use crate::address::Segment;
use crate::dwarf::{DebugInfo, Reader};
use crate::symtab::SymbolTable;

/// A parsed ELF object.
pub(crate) struct Object {
    /// GNU build id as lowercase hex.
    pub(crate) build_id: Option<String>,
    /// `ET_EXEC`: addresses in the file are absolute.
    pub(crate) is_fixed_address: bool,
    /// The `PT_LOAD` segments.
    pub(crate) segments: Vec<Segment>,
    /// Function symbols from `.symtab` and `.dynsym`.
    pub(crate) symbols: SymbolTable,
    /// DWARF, when the object carries `.debug_info`.
    pub(crate) debug_info: Option<DebugInfo>,
}

impl Object {
    /// Parses `data`; the error is the parser's reason, for the caller to attach a path to.
    pub(crate) fn parse(data: &[u8]) -> Result<Object, String> {
        let file = object::File::parse(data).map_err(|e| e.to_string())?;
        let segments = load_segments(&file);
        let symbols = SymbolTable::new(file.symbols().chain(file.dynamic_symbols()));
        Ok(Object {
            build_id: build_id_of(&file),
            is_fixed_address: file.kind() == object::ObjectKind::Executable,
            segments,
            symbols,
            debug_info: load_dwarf(&file),
        })
    }
}

/// The `PT_LOAD` segments. A debug file (`objcopy --only-keep-debug`) keeps the program headers
/// but empties the file ranges of the segments whose contents it dropped (code above all); its
/// segments are then given the layout `ld` produces, file offsets equal to addresses relative to
/// the first segment, so mappings of the original file still translate.
fn load_segments(file: &object::File<'_>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = file
        .segments()
        .map(|s| {
            let (offset, file_size) = s.file_range();
            let executable = matches!(s.flags(), object::SegmentFlags::Elf { p_flags }
                if p_flags & object::elf::PF_X != 0);
            Segment {
                vaddr: s.address(),
                offset,
                file_size,
                executable,
            }
        })
        .collect();
    let sizes: Vec<u64> = file.segments().map(|s| s.size()).collect();
    let code_dropped = segments
        .iter()
        .zip(&sizes)
        .any(|(s, &size)| s.executable && s.file_size == 0 && size > 0);
    if code_dropped {
        let base = segments.iter().map(|s| s.vaddr).min().unwrap_or(0);
        for (segment, size) in segments.iter_mut().zip(sizes) {
            segment.offset = segment.vaddr - base;
            segment.file_size = size;
        }
    }
    segments
}

/// The build id of an object read through any [`ReadRef`] (whole bytes or a lazily read file).
pub(crate) fn build_id<'a, R: ReadRef<'a>>(data: R) -> Option<String> {
    object::File::parse(data)
        .ok()
        .and_then(|file| build_id_of(&file))
}

fn build_id_of<'a, R: ReadRef<'a>>(file: &object::File<'a, R>) -> Option<String> {
    let id = file.build_id().ok().flatten()?;
    Some(hex(id))
}

/// Lowercase hex, the form build ids take in profiles and in `.build-id` paths.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn load_dwarf(file: &object::File<'_>) -> Option<DebugInfo> {
    let has_info = file
        .section_by_name(".debug_info")
        .is_some_and(|s| s.size() > 0);
    if !has_info {
        return None;
    }
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
        let data: Arc<[u8]> = match file.section_by_name(id.name()) {
            // A section that fails to decompress reads as absent; the rest of the DWARF may
            // still describe the address.
            Some(section) => match section.uncompressed_data() {
                Ok(Cow::Borrowed(bytes)) => Arc::from(bytes),
                Ok(Cow::Owned(bytes)) => Arc::from(bytes),
                Err(_) => Arc::from(&[][..]),
            },
            None => Arc::from(&[][..]),
        };
        Ok(gimli::EndianArcSlice::new(data, endian))
    };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    DebugInfo::new(dwarf)
}
