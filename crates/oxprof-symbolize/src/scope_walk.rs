//! A walk over one unit's entries that yields each function declared in a scope (namespace or
//! type) together with that scope's path.

use std::sync::Arc;

use gimli::{AttributeValue, Reader as _, Section as _, UnitOffset, UnitRef};

use crate::dwarf::Reader;
use crate::scope_path::{child_scope, is_impl_block};

/// The attributes of a `DW_TAG_subprogram` that name and place it.
#[derive(Default)]
pub(crate) struct Subprogram {
    pub(crate) name: Option<Text>,
    pub(crate) linkage_name: Option<Text>,
    pub(crate) decl_file: Option<u64>,
    pub(crate) decl_line: Option<u32>,
    /// Whether the function is declared directly in an `{impl#N}` namespace, the scope rustc
    /// gives trait impl methods and methods on types that are not ADTs: its scope path then
    /// names neither the self type nor the trait.
    pub(crate) in_impl_block: bool,
}

/// A string attribute. Kept as its `.debug_str` offset when it has one and read only when
/// needed: finding the end of every name a walk meets costs about as much as the walk itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Text {
    DebugStr(usize),
    Inline(Arc<str>),
}

impl Text {
    /// The string, read from `debug_str` when it is kept there.
    pub(crate) fn read(&self, debug_str: &gimli::DebugStr<Reader>) -> String {
        match self {
            Text::DebugStr(offset) => debug_str
                .get_str(gimli::DebugStrOffset(*offset))
                .map(|r| lossy(&r))
                .unwrap_or_default(),
            Text::Inline(text) => text.to_string(),
        }
    }

    /// Whether the string starts with `prefix`, without looking for its end.
    pub(crate) fn starts_with(&self, debug_str: &gimli::DebugStr<Reader>, prefix: &str) -> bool {
        self.bytes(debug_str)
            .is_some_and(|rest| rest.starts_with(prefix.as_bytes()))
    }

    /// Whether `base` is the string without its generic arguments (see
    /// [`base_name`](crate::scope_path::base_name)), without reading the rest of the string.
    pub(crate) fn is_base(&self, debug_str: &gimli::DebugStr<Reader>, base: &str) -> bool {
        self.bytes(debug_str).is_some_and(|rest| {
            rest.strip_prefix(base.as_bytes())
                .is_some_and(|after| matches!(after.first(), None | Some(b'\0' | b'<')))
        })
    }

    /// The string's bytes and, for one in `.debug_str`, whatever follows it there.
    fn bytes<'a>(&'a self, debug_str: &'a gimli::DebugStr<Reader>) -> Option<&'a [u8]> {
        match self {
            Text::DebugStr(offset) => {
                let section: &[u8] = debug_str.reader();
                section.get(*offset..)
            }
            Text::Inline(text) => Some(text.as_bytes()),
        }
    }
}

/// An open namespace or type: its path, and whether it is an `{impl#N}` block.
#[derive(Clone)]
struct Scope {
    path: Arc<str>,
    impl_block: bool,
}

/// Calls `visit` with the offset, attributes and scope path of every `DW_TAG_subprogram` of
/// `unit` nested in a namespace or type. Entries below anything but the unit, a namespace or a
/// type (function bodies, lexical blocks) are in no scope and are skipped.
pub(crate) fn walk(
    unit: UnitRef<'_, Reader>,
    mut visit: impl FnMut(UnitOffset, Subprogram, &Arc<str>),
) -> gimli::Result<()> {
    // Depth and scope of the open entries; `None` for those that are no scope.
    let mut open: Vec<(isize, Option<Scope>)> = Vec::new();
    let root = Scope {
        path: Arc::from(""),
        impl_block: false,
    };
    let mut entries = unit.entries_raw(None)?;
    while !entries.is_empty() {
        let depth = entries.next_depth();
        let offset = entries.next_offset();
        let Some(abbrev) = entries.read_abbreviation()? else {
            continue;
        };
        while open.last().is_some_and(|(d, _)| *d >= depth) {
            open.pop();
        }
        let parent = match open.last() {
            None => Some(&root),
            Some((_, scope)) => scope.as_ref(),
        };
        let nested = match (abbrev.tag(), parent) {
            (gimli::DW_TAG_compile_unit | gimli::DW_TAG_partial_unit, Some(root)) => {
                entries.skip_attributes(abbrev.attributes())?;
                Some(root.clone())
            }
            (tag, Some(parent)) if is_scope(tag) => {
                let mut name = String::new();
                for spec in abbrev.attributes() {
                    if spec.name() == gimli::DW_AT_name {
                        let attr = entries.read_attribute(*spec)?;
                        name = unit.attr_string(attr.value()).map_or(name, |n| lossy(&n));
                    } else {
                        entries.skip_attributes(std::slice::from_ref(spec))?;
                    }
                }
                Some(Scope {
                    path: Arc::from(child_scope(&parent.path, &name)),
                    impl_block: is_impl_block(&name),
                })
            }
            // A function at the top of a unit has no scope to give.
            (gimli::DW_TAG_subprogram, Some(scope)) if !scope.path.is_empty() => {
                let mut entry = Subprogram {
                    in_impl_block: scope.impl_block,
                    ..Subprogram::default()
                };
                for spec in abbrev.attributes() {
                    if WANTED.contains(&spec.name()) {
                        let attr = entries.read_attribute(*spec)?;
                        read_subprogram_attribute(unit, &mut entry, attr);
                    } else {
                        entries.skip_attributes(std::slice::from_ref(spec))?;
                    }
                }
                visit(offset, entry, &scope.path);
                None
            }
            _ => {
                entries.skip_attributes(abbrev.attributes())?;
                None
            }
        };
        if abbrev.has_children() {
            open.push((depth, nested));
        }
    }
    Ok(())
}

/// The attributes [`Subprogram`] holds.
const WANTED: [gimli::DwAt; 5] = [
    gimli::DW_AT_name,
    gimli::DW_AT_linkage_name,
    gimli::DW_AT_MIPS_linkage_name,
    gimli::DW_AT_decl_file,
    gimli::DW_AT_decl_line,
];

fn read_subprogram_attribute(
    unit: UnitRef<'_, Reader>,
    entry: &mut Subprogram,
    attr: gimli::Attribute<Reader>,
) {
    match attr.name() {
        gimli::DW_AT_name => entry.name = text(unit, attr.value()),
        gimli::DW_AT_linkage_name | gimli::DW_AT_MIPS_linkage_name => {
            entry.linkage_name = text(unit, attr.value());
        }
        gimli::DW_AT_decl_file => {
            if let AttributeValue::FileIndex(index) = attr.value() {
                entry.decl_file = Some(index);
            }
        }
        gimli::DW_AT_decl_line => {
            entry.decl_line = attr.udata_value().and_then(|l| u32::try_from(l).ok());
        }
        _ => {}
    }
}

/// Entries whose name is a component of the path of what they contain.
fn is_scope(tag: gimli::DwTag) -> bool {
    matches!(
        tag,
        gimli::DW_TAG_namespace
            | gimli::DW_TAG_structure_type
            | gimli::DW_TAG_class_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_enumeration_type
            | gimli::DW_TAG_interface_type
    )
}

/// Whether the abbreviation table at `offset` has `DW_TAG_namespace`, that is, whether its unit
/// can hold functions nested in a scope. Types alone do not count: C units have structures, and
/// no functions in them. Reads only the table's tags, without building it.
pub(crate) fn has_namespaces(
    debug_abbrev: &gimli::DebugAbbrev<Reader>,
    offset: gimli::DebugAbbrevOffset,
) -> bool {
    let scan = |input: &mut Reader| -> gimli::Result<bool> {
        input.skip(offset.0)?;
        // Each abbreviation: code, tag, children flag, then (attribute, form) pairs ending in
        // (0, 0), with a constant after DW_FORM_implicit_const; a code of 0 ends the table.
        while input.read_uleb128()? != 0 {
            if gimli::DwTag(input.read_uleb128_u16()?) == gimli::DW_TAG_namespace {
                return Ok(true);
            }
            input.read_u8()?;
            loop {
                let (name, form) = (input.read_uleb128()?, input.read_uleb128()?);
                if name == 0 && form == 0 {
                    break;
                }
                if form == u64::from(gimli::DW_FORM_implicit_const.0) {
                    input.read_sleb128()?;
                }
            }
        }
        Ok(false)
    };
    // A table that cannot be read is walked, and fails there like any other malformed unit.
    scan(&mut debug_abbrev.reader().clone()).unwrap_or(true)
}

/// A string attribute's value, kept as its `.debug_str` offset when it has one.
fn text(unit: UnitRef<'_, Reader>, value: AttributeValue<Reader>) -> Option<Text> {
    match value {
        AttributeValue::DebugStrRef(offset) => Some(Text::DebugStr(offset.0)),
        AttributeValue::DebugStrOffsetsIndex(index) => {
            unit.string_offset(index).ok().map(|o| Text::DebugStr(o.0))
        }
        other => {
            let text = unit.attr_string(other).ok()?;
            Some(Text::Inline(Arc::from(lossy(&text))))
        }
    }
}

/// A DWARF string as UTF-8, invalid sequences replaced.
pub(crate) fn lossy(r: &Reader) -> String {
    r.to_string_lossy()
        .map(|s| s.into_owned())
        .unwrap_or_default()
}
