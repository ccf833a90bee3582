//! Stated addresses to source frames through DWARF: function, file, line, column and the chain of
//! inlined calls, innermost first, as `Location.line` wants them.

use gimli::UnitOffset;

/// The reader the debug sections are held in: shared buffers, so the file's bytes can go.
pub(crate) type Reader = gimli::EndianArcSlice<gimli::RunTimeEndian>;

/// One source frame at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Linkage name (mangled) when DWARF has one, else the plain name; empty when unknown.
    pub(crate) function: String,
    /// Source file, empty when unknown.
    pub(crate) file: String,
    /// Line, 0 when unknown.
    pub(crate) line: u32,
    /// Column, 0 when unknown.
    pub(crate) column: u32,
    /// Line where the function is declared (`DW_AT_decl_line`), 0 when unknown.
    pub(crate) start_line: u32,
}

/// The DWARF of one object, indexed for address lookups.
pub(crate) struct DebugInfo {
    context: addr2line::Context<Reader>,
}

/// Hops allowed along `DW_AT_abstract_origin`/`DW_AT_specification` when looking for a
/// declaration line; real chains are one or two long, the bound guards against cycles.
const MAX_ORIGIN_HOPS: usize = 8;

impl DebugInfo {
    /// Indexes `dwarf`; `None` when its units cannot be read at all.
    pub(crate) fn new(dwarf: gimli::Dwarf<Reader>) -> Option<DebugInfo> {
        addr2line::Context::from_dwarf(dwarf)
            .ok()
            .map(|context| DebugInfo { context })
    }

    /// The frames at `svma`, innermost inlined callee first; empty when DWARF does not cover it.
    pub(crate) fn frames(&self, svma: u64) -> Result<Vec<Frame>, gimli::Error> {
        // Split DWARF (.dwo) is not loaded: its frames would need files the profile does not name.
        let mut iter = self.context.find_frames(svma).skip_all_loads()?;
        let unit = self.context.find_dwarf_and_unit(svma).skip_all_loads();
        let mut frames = Vec::new();
        while let Some(frame) = iter.next()? {
            let function = match &frame.function {
                Some(name) => name.raw_name()?.into_owned(),
                None => String::new(),
            };
            let (file, line, column) = match &frame.location {
                Some(loc) => (
                    loc.file.unwrap_or_default().to_owned(),
                    loc.line.unwrap_or(0),
                    loc.column.unwrap_or(0),
                ),
                None => (String::new(), 0, 0),
            };
            let start_line = match (unit, frame.dw_die_offset) {
                (Some(unit), Some(offset)) => decl_line(unit, offset),
                _ => 0,
            };
            frames.push(Frame {
                function,
                file,
                line,
                column,
                start_line,
            });
        }
        Ok(frames)
    }
}

/// `DW_AT_decl_line` of the entry at `offset`, following the entries it was instantiated from
/// (an inlined or out-of-line instance carries its declaration on its abstract origin).
fn decl_line(unit: gimli::UnitRef<'_, Reader>, mut offset: UnitOffset) -> u32 {
    for _ in 0..MAX_ORIGIN_HOPS {
        let Ok(entry) = unit.entry(offset) else {
            return 0;
        };
        if let Ok(Some(line)) = entry.attr_value(gimli::DW_AT_decl_line) {
            return line
                .udata_value()
                .map_or(0, |l| u32::try_from(l).unwrap_or(0));
        }
        let origin = [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification]
            .into_iter()
            .find_map(|at| match entry.attr_value(at) {
                Ok(Some(gimli::AttributeValue::UnitRef(next))) => Some(next),
                _ => None,
            });
        match origin {
            Some(next) => offset = next,
            None => return 0,
        }
    }
    0
}
