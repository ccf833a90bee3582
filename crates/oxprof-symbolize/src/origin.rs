//! What a frame's DWARF entry, and the entries it was instantiated from, say about its function.

use gimli::{AttributeValue, DebugInfoOffset};

use crate::units::Units;

/// Hops allowed along `DW_AT_abstract_origin`/`DW_AT_specification`; real chains are one or two
/// long, the bound guards against cycles.
const MAX_ORIGIN_HOPS: usize = 8;

/// A function's name and declaration line as its entries give them.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    /// The entry naming the function, when it names it with a plain `DW_AT_name` rather than a
    /// linkage name.
    pub(crate) plain_name: Option<DebugInfoOffset>,
    /// `DW_AT_decl_line`, 0 when unknown.
    pub(crate) decl_line: u32,
}

impl Origin {
    /// Reads the entry at `offset` and follows `DW_AT_abstract_origin`/`DW_AT_specification`,
    /// within its unit or into others. The name is taken from the first entry that has one,
    /// as `addr2line` does, so `plain_name` describes the name the frame shows.
    pub(crate) fn of(units: &Units, mut offset: DebugInfoOffset) -> Origin {
        let mut origin = Origin::default();
        let (mut named, mut dated) = (false, false);
        for _ in 0..MAX_ORIGIN_HOPS {
            let Some((unit, in_unit)) = units.entry(offset) else {
                break;
            };
            let Ok(entry) = unit.header.entry(&unit.info.abbreviations, in_unit) else {
                break;
            };
            let has = |at| matches!(entry.attr_value(at), Ok(Some(_)));
            if !named {
                if has(gimli::DW_AT_linkage_name) || has(gimli::DW_AT_MIPS_linkage_name) {
                    named = true;
                } else if has(gimli::DW_AT_name) {
                    named = true;
                    origin.plain_name = Some(offset);
                }
            }
            if !dated {
                if let Ok(Some(line)) = entry.attr_value(gimli::DW_AT_decl_line) {
                    dated = true;
                    origin.decl_line = line
                        .udata_value()
                        .map_or(0, |l| u32::try_from(l).unwrap_or(0));
                }
            }
            if named && dated {
                break;
            }
            let next = [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification]
                .into_iter()
                .find_map(|at| match entry.attr_value(at) {
                    Ok(Some(AttributeValue::UnitRef(next))) => {
                        next.to_debug_info_offset(unit.header)
                    }
                    Ok(Some(AttributeValue::DebugInfoRef(next))) => Some(next),
                    _ => None,
                });
            match next {
                Some(next) => offset = next,
                None => break,
            }
        }
        origin
    }
}
