//! An object's DWARF units found by `.debug_info` offset, read on first use.
//!
//! An inlined call often refers to the abstract entry of its function in another unit
//! (`DW_FORM_ref_addr`): after link-time optimization, and with rustc whenever a function from
//! another codegen unit is inlined. Following such references needs the unit holding an offset.
//! Reading an entry's attributes needs only the unit's header and abbreviations, not the line
//! program a full [`gimli::Unit`] parses, so that is what is kept.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use gimli::{DebugInfoOffset, UnitHeader, UnitOffset};

use crate::dwarf::Reader;
use crate::scope_walk::has_namespaces;

/// The units of one object's `.debug_info`.
pub(crate) struct Units {
    dwarf: Arc<gimli::Dwarf<Reader>>,
    /// Unit headers sorted by offset, read on first use.
    headers: OnceCell<Vec<(DebugInfoOffset, UnitHeader<Reader>)>>,
    /// What is known of each unit read so far, by index into `headers`; `None` for a unit whose
    /// abbreviations could not be read.
    read: RefCell<HashMap<usize, Option<Arc<UnitInfo>>>>,
}

/// A unit's abbreviations and what they and its root entry say about it.
pub(crate) struct UnitInfo {
    pub(crate) abbreviations: Arc<gimli::Abbreviations>,
    /// Whether the unit has namespaces, so functions in it may be nested in scopes.
    pub(crate) has_namespaces: bool,
    /// `DW_AT_language` of the unit.
    pub(crate) language: Option<gimli::DwLang>,
}

/// A unit found for an offset.
pub(crate) struct FoundUnit<'a> {
    /// Index of the unit among the object's units, for caches keyed by unit.
    pub(crate) index: usize,
    pub(crate) header: &'a UnitHeader<Reader>,
    pub(crate) info: Arc<UnitInfo>,
}

impl Units {
    pub(crate) fn new(dwarf: Arc<gimli::Dwarf<Reader>>) -> Units {
        Units {
            dwarf,
            headers: OnceCell::new(),
            read: RefCell::new(HashMap::new()),
        }
    }

    pub(crate) fn dwarf(&self) -> &gimli::Dwarf<Reader> {
        &self.dwarf
    }

    /// The unit holding the entry at `offset`, and the entry's offset inside it.
    pub(crate) fn entry(&self, offset: DebugInfoOffset) -> Option<(FoundUnit<'_>, UnitOffset)> {
        let headers = self.headers.get_or_init(|| read_headers(&self.dwarf));
        let index = headers
            .partition_point(|(start, _)| *start <= offset)
            .checked_sub(1)?;
        let header = &headers[index].1;
        let in_unit = offset.to_unit_offset(header)?;
        let info = self
            .read
            .borrow_mut()
            .entry(index)
            .or_insert_with(|| self.read_unit(header).map(Arc::new))
            .clone()?;
        let unit = FoundUnit {
            index,
            header,
            info,
        };
        Some((unit, in_unit))
    }

    /// The whole unit `found`, with its line program and string bases, for reading names.
    pub(crate) fn parse(&self, found: &FoundUnit<'_>) -> Option<gimli::Unit<Reader>> {
        let abbreviations = found.info.abbreviations.clone();
        gimli::Unit::new_with_abbreviations(&self.dwarf, found.header.clone(), abbreviations).ok()
    }

    fn read_unit(&self, header: &UnitHeader<Reader>) -> Option<UnitInfo> {
        let abbreviations = self.dwarf.abbreviations(header).ok()?;
        let has_namespaces = has_namespaces(&self.dwarf.debug_abbrev, header.debug_abbrev_offset());
        let mut entries = header.entries(&abbreviations);
        let language = match entries.next_dfs() {
            Ok(Some((_, root))) => match root.attr_value(gimli::DW_AT_language) {
                Ok(Some(gimli::AttributeValue::Language(language))) => Some(language),
                _ => None,
            },
            _ => None,
        };
        Some(UnitInfo {
            abbreviations,
            has_namespaces,
            language,
        })
    }
}

/// The headers of all units, in section order; a malformed header ends the list.
fn read_headers(dwarf: &gimli::Dwarf<Reader>) -> Vec<(DebugInfoOffset, UnitHeader<Reader>)> {
    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    while let Ok(Some(header)) = iter.next() {
        if let Some(offset) = header.offset().as_debug_info_offset() {
            headers.push((offset, header));
        }
    }
    headers
}
