//! Stated addresses to source frames through DWARF: function, file, line, column and the chain of
//! inlined calls, innermost first, as `Location.line` wants them.

use std::sync::Arc;

use crate::demangle::Demangle;
use crate::naming::{Namer, Naming};
use crate::origin::Origin;
use crate::units::Units;

/// The reader the debug sections are held in: shared buffers, so the file's bytes can go.
pub(crate) type Reader = gimli::EndianArcSlice<gimli::RunTimeEndian>;

/// One source frame at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Linkage name (mangled) when DWARF has one, else the plain name; empty when unknown.
    pub(crate) function: String,
    /// What `function` is, and the qualified name when it is a plain name.
    pub(crate) naming: Naming,
    /// Source file, empty when unknown.
    pub(crate) file: String,
    /// Line, 0 when unknown.
    pub(crate) line: u32,
    /// Column, 0 when unknown.
    pub(crate) column: u32,
    /// Line where the function is declared (`DW_AT_decl_line`), 0 when unknown.
    pub(crate) start_line: u32,
}

impl Frame {
    /// The name profiles show: the qualified name for plain names, else `function` demangled.
    /// [`Demangle::None`] keeps the name as the object has it.
    pub(crate) fn display_name(&self, demangle: Demangle) -> String {
        match &self.naming {
            Naming::Scoped(name) | Naming::Unscoped(Some(name)) if demangle != Demangle::None => {
                name.clone()
            }
            _ => demangle.apply(&self.function),
        }
    }
}

/// The DWARF of one object, indexed for address lookups.
pub(crate) struct DebugInfo {
    context: addr2line::Context<Reader>,
    units: Units,
    namer: Namer,
}

impl DebugInfo {
    /// Indexes `dwarf`; `None` when its units cannot be read at all.
    pub(crate) fn new(dwarf: gimli::Dwarf<Reader>) -> Option<DebugInfo> {
        let dwarf = Arc::new(dwarf);
        addr2line::Context::from_arc_dwarf(dwarf.clone())
            .ok()
            .map(|context| DebugInfo {
                context,
                units: Units::new(dwarf),
                namer: Namer::default(),
            })
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
            let origin = unit
                .zip(frame.dw_die_offset)
                .and_then(|(unit, offset)| offset.to_debug_info_offset(&unit.header))
                .map_or_else(Origin::default, |offset| Origin::of(&self.units, offset));
            let naming = match origin.plain_name {
                Some(entry) if !function.is_empty() => {
                    self.namer.name(&self.units, entry, &function, &file, line)
                }
                _ => Naming::Mangled,
            };
            frames.push(Frame {
                function,
                naming,
                file,
                line,
                column,
                start_line: origin.decl_line,
            });
        }
        Ok(frames)
    }
}
