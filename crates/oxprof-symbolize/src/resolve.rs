//! One object's answer for one stated address: DWARF frames where debug information covers it,
//! completed or replaced by the symbol tables where it does not.

use crate::dwarf::Frame;
use crate::elf::Object;

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
        // Assembly assembled with -g has line tables but no function entries, and objects built
        // without -g have neither: the symbol tables name the outermost function then.
        if frames.last().map_or(true, |f| f.function.is_empty()) {
            let symbol = self
                .object
                .symbols
                .lookup(svma)
                .or_else(|| self.debug_file?.symbols.lookup(svma));
            if let Some(name) = symbol {
                match frames.last_mut() {
                    Some(frame) => frame.function = name.to_owned(),
                    None => frames.push(Frame {
                        function: name.to_owned(),
                        file: String::new(),
                        line: 0,
                        column: 0,
                        start_line: 0,
                    }),
                }
            }
        }
        frames
    }
}
