//! Names for the functions DWARF gives only a plain name (`DW_AT_name` without a linkage name):
//! the entry's own scopes when it is nested in any, else a declaration of the same function
//! elsewhere in the object.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use gimli::{DebugInfoOffset, UnitOffset, UnitRef};

use crate::declarations::Declarations;
use crate::scope_path::qualify;
use crate::scope_walk::walk;
use crate::units::{FoundUnit, Units};

/// What a frame's `function` string is. DWARF names a function by its linkage name when it has
/// one, otherwise only by its plain name (`copy<u64>`), and the path has to come from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Naming {
    /// A linkage name or symbol, shown demangled.
    Mangled,
    /// The plain name of an entry nested in namespaces or types, and the name they qualify.
    Scoped(String),
    /// The plain name of an entry outside any scope (rustc's `line-tables-only` debug info),
    /// and the qualified name a declaration of the same function elsewhere gives, if any.
    Unscoped(Option<String>),
}

/// Scope paths of a unit's functions that are nested in a scope and have no linkage name.
type PlainScopes = HashMap<UnitOffset, Arc<str>>;

/// Reads what plain names need, each piece on first use and once per object.
#[derive(Default)]
pub(crate) struct Namer {
    /// The plain scopes of each unit walked, by unit index.
    unit_scopes: RefCell<HashMap<usize, Arc<PlainScopes>>>,
    /// Declarations across all units, read for the first function without scope.
    declarations: OnceCell<Declarations>,
}

impl Namer {
    /// How to name the function whose plain name `plain` is held by the entry at `entry`, its
    /// code at `line` of `file`.
    pub(crate) fn name(
        &self,
        units: &Units,
        entry: DebugInfoOffset,
        plain: &str,
        file: &str,
        line: u32,
    ) -> Naming {
        let Some((unit, in_unit)) = units.entry(entry) else {
            return Naming::Unscoped(None);
        };
        if unit.info.has_namespaces {
            let scopes = self
                .unit_scopes
                .borrow_mut()
                .entry(unit.index)
                .or_insert_with(|| Arc::new(plain_scopes(units, &unit)))
                .clone();
            if let Some(scope) = scopes.get(&in_unit) {
                return Naming::Scoped(qualify(scope, plain));
            }
        }
        // Only rustc leaves functions without scope in units that have them elsewhere;
        // C functions have none to find, and reading a large C++ program's declarations for
        // them would cost more than the whole symbolization.
        if unit.info.language != Some(gimli::DW_LANG_Rust) {
            return Naming::Unscoped(None);
        }
        let declarations = self
            .declarations
            .get_or_init(|| Declarations::build(units.dwarf()));
        Naming::Unscoped(declarations.qualified(plain, file, line))
    }
}

/// The scope paths of the functions of `unit` that are nested in a scope and have no linkage
/// name.
fn plain_scopes(units: &Units, unit: &FoundUnit<'_>) -> PlainScopes {
    let mut scopes = HashMap::new();
    if let Some(parsed) = units.parse(unit) {
        let _ = walk(
            UnitRef::new(units.dwarf(), &parsed),
            |offset, entry, scope| {
                if entry.name.is_some() && entry.linkage_name.is_none() {
                    scopes.insert(offset, scope.clone());
                }
            },
        );
    }
    scopes
}
