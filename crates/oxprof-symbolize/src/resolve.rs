//! One object's answer for one stated address: DWARF frames where debug information covers it,
//! completed or replaced by the symbol tables where it does not.

use crate::demangle::demangle;
use crate::dwarf::Frame;
use crate::elf::Object;
use crate::naming::Naming;
use crate::scope_path::same_function;

/// An object plus, when it carries no DWARF, its separate debug file.
pub(crate) struct Sources<'a> {
    pub(crate) object: &'a Object,
    pub(crate) debug_file: Option<&'a Object>,
}

impl Sources<'_> {
    /// Whether any DWARF is available, so inline chains are expanded.
    pub(crate) fn has_debug_info(&self) -> bool {
        self.object.debug_info.is_some() || self.debug_file.is_some_and(|d| d.debug_info.is_some())
    }

    /// Frames at `svma`, innermost first; empty when nothing names it. A malformed DWARF entry
    /// counts in `dwarf_errors` and leaves the symbol tables to answer.
    pub(crate) fn frames(&self, svma: u64, dwarf_errors: &mut usize) -> Vec<Frame> {
        let debug_info = self
            .object
            .debug_info
            .as_ref()
            .or_else(|| self.debug_file?.debug_info.as_ref());
        let mut frames = match debug_info.map(|d| d.frames(svma)) {
            Some(Ok(frames)) => frames,
            Some(Err(_)) => {
                *dwarf_errors += 1;
                Vec::new()
            }
            None => Vec::new(),
        };
        frames.retain(|f| !f.function.is_empty() || !f.file.is_empty());
        let symbol = || {
            self.object
                .symbols
                .lookup(svma)
                .or_else(|| self.debug_file?.symbols.lookup(svma))
        };
        match frames.last_mut() {
            // Assembly assembled with -g has line tables but no function entries, and objects
            // built without -g have neither: the symbol tables name the outermost function then.
            None => frames.extend(symbol().map(|name| Frame {
                function: name.to_owned(),
                naming: Naming::Mangled,
                file: String::new(),
                line: 0,
                column: 0,
                start_line: 0,
            })),
            Some(outer) if outer.function.is_empty() => {
                if let Some(name) = symbol() {
                    outer.function = name.to_owned();
                }
            }
            // An entry that gives neither a linkage name nor a scope (line-tables-only debug
            // info) is named as precisely as the symbol at the address, the function's own
            // linkage name, when that symbol is the same function.
            Some(outer) if matches!(outer.naming, Naming::Unscoped(_)) => {
                if let Some(name) =
                    symbol().filter(|s| same_function(&demangle(s), &outer.function))
                {
                    outer.function = name.to_owned();
                    outer.naming = Naming::Mangled;
                }
            }
            Some(_) => {}
        }
        frames
    }
}
