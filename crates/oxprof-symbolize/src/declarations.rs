//! Where the functions declared in scopes are declared, read once per object from the units
//! that have namespaces, to qualify the plain names of functions whose own entries have no scope.
//!
//! rustc's `debuginfo = "line-tables-only"` describes a crate's functions by a flat list of
//! `DW_TAG_subprogram`s holding just `DW_AT_name` (`copy<u64>`, `lt`), no scope, no linkage name,
//! no declaration line. Generic std functions inlined into such a crate are often also declared,
//! with scopes, declaration lines and linkage names, in the units of the precompiled standard
//! library linked into the same object. The function declared nearest above the frame's line in
//! the frame's file, when it has the frame's name but for generic arguments, is taken to be the
//! same function. Functions that no unit with namespaces declares keep their plain names.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gimli::UnitRef;

use crate::demangle::demangle;
use crate::dwarf::Reader;
use crate::scope_path::{base_name, is_closure, qualify};
use crate::scope_walk::{has_namespaces, lossy, walk, Subprogram, Text};

/// Where the functions declared in scopes in one object's DWARF are declared.
pub(crate) struct Declarations {
    /// Indexes into `lists` by file path, rendered as frames render it.
    files: HashMap<Arc<str>, usize>,
    lists: Vec<FileDeclarations>,
    /// Where names are read when a lookup compares them.
    debug_str: gimli::DebugStr<Reader>,
}

/// The functions declared in one file, each list sorted by line. Closures and functions nested
/// in other functions are kept apart: they are declared inside the function they are written
/// in, so they would hide its declaration from a line further down its body.
#[derive(Default)]
struct FileDeclarations {
    functions: Vec<Declaration>,
    nested: Vec<Declaration>,
    closures: Vec<Declaration>,
}

impl FileDeclarations {
    /// Sorts the lists, drops the copies every unit that uses a generic function declares, and
    /// moves the functions whose scope is a function of this file to `nested`.
    fn finish(&mut self, debug_str: &gimli::DebugStr<Reader>) {
        for list in [&mut self.functions, &mut self.closures] {
            list.sort_unstable();
            list.dedup();
        }
        let mut by_scope: HashMap<&str, Vec<&Declaration>> = HashMap::new();
        for d in &self.functions {
            by_scope.entry(&d.scope).or_default().push(d);
        }
        // `alloc::fmt::format` is a function's scope when `format` is declared in `alloc::fmt`.
        let function_scopes: HashSet<Arc<str>> = by_scope
            .keys()
            .filter(|scope| {
                let Some((parent, base)) = scope.rsplit_once("::") else {
                    return false;
                };
                by_scope.get(parent).is_some_and(|declarations| {
                    declarations.iter().any(|d| d.name.is_base(debug_str, base))
                })
            })
            .map(|scope| Arc::from(*scope))
            .collect();
        let (nested, functions) = std::mem::take(&mut self.functions)
            .into_iter()
            .partition(|d| function_scopes.contains(&d.scope));
        (self.nested, self.functions) = (nested, functions);
    }
}

/// One function's entry: where it is declared, its plain name, linkage name and scope.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Declaration {
    line: u32,
    name: Text,
    linkage_name: Option<Text>,
    scope: Arc<str>,
    /// See [`Subprogram::in_impl_block`].
    in_impl_block: bool,
}

impl Declarations {
    /// Reads the units of `dwarf` that have namespaces. A malformed unit contributes what was
    /// read before the fault.
    pub(crate) fn build(dwarf: &gimli::Dwarf<Reader>) -> Declarations {
        let mut declarations = Declarations {
            files: HashMap::new(),
            lists: Vec::new(),
            debug_str: dwarf.debug_str.clone(),
        };
        let mut headers = dwarf.units();
        while let Ok(Some(header)) = headers.next() {
            // Most units of a line-tables-only build have no namespace; their abbreviations say
            // so without parsing the unit's line program or walking it.
            if !has_namespaces(&dwarf.debug_abbrev, header.debug_abbrev_offset()) {
                continue;
            }
            if let Ok(unit) = dwarf.unit(header) {
                let unit = UnitRef::new(dwarf, &unit);
                // The unit's file indexes, mapped to lists on first use.
                let mut files: Vec<Option<Option<usize>>> = Vec::new();
                let _ = walk(unit, |_, entry, scope| {
                    declarations.add(unit, &mut files, entry, scope);
                });
            }
        }
        for list in &mut declarations.lists {
            list.finish(&declarations.debug_str);
        }
        declarations
    }

    /// A qualified name for the function DWARF calls `plain`, whose code at `line` of `file` is
    /// described by an entry without scopes, from the declaration of the same function elsewhere
    /// in the object: the declaration nearest above `line` in `file`, which must have the same
    /// name but for generic arguments. `None` when there is none or the candidates disagree.
    ///
    /// The declaration's scope qualifies `plain`; for a method of an `{impl#N}` block, whose scope
    /// path names neither self type nor trait, a declaration of this very instance (same generic
    /// arguments) with a linkage name gives the name the method has where it is not inlined. Methods that a macro generates for several types share a declaration line; when
    /// the object declares only some of them, the scope may name another of those types.
    pub(crate) fn qualified(&self, plain: &str, file: &str, line: u32) -> Option<String> {
        let list = &self.lists[*self.files.get(file)?];
        if is_closure(plain) {
            self.qualified_in(&list.closures, plain, line)
        } else {
            self.qualified_in(&list.functions, plain, line)
                .or_else(|| self.qualified_in(&list.nested, plain, line))
        }
    }

    /// [`qualified`](Self::qualified) among the declarations of `list`.
    fn qualified_in(&self, list: &[Declaration], plain: &str, line: u32) -> Option<String> {
        let nearest = if line == 0 {
            list
        } else {
            let end = list.partition_point(|d| d.line <= line);
            let at = list[..end].last()?.line;
            &list[list[..end].partition_point(|d| d.line < at)..end]
        };
        let base = base_name(plain);
        let candidates: Vec<(&Declaration, String)> = nearest
            .iter()
            .map(|d| (d, d.name.read(&self.debug_str)))
            .filter(|(_, name)| base_name(name) == base)
            .collect();
        let (first, _) = candidates.first()?;
        // The linkage name is needed only where the scope lost the impl's self type and trait.
        // And only generic arguments tell instances apart by name: the non-generic methods a
        // macro generates for many types (`<u32>::checked_add`, `<u64>::checked_add`) share a
        // name and a declaration line, and the one declared may not be the one that ran.
        let generic = plain.len() > base.len();
        let same_instance: Vec<Option<String>> = candidates
            .iter()
            .filter(|(d, name)| d.in_impl_block && generic && name == plain)
            .map(|(d, _)| {
                let linkage_name = d.linkage_name.as_ref()?;
                Some(demangle(&linkage_name.read(&self.debug_str)))
            })
            .collect();
        if let Some(Some(name)) = same_instance.first() {
            if same_instance.iter().all(|n| n.as_ref() == Some(name)) {
                return Some(name.clone());
            }
        }
        candidates
            .iter()
            .all(|(d, _)| d.scope == first.scope)
            .then(|| qualify(&first.scope, plain))
    }

    /// Records a function declared in `scope`; `files` maps the unit's file indexes to lists.
    fn add(
        &mut self,
        unit: UnitRef<'_, Reader>,
        files: &mut Vec<Option<Option<usize>>>,
        entry: Subprogram,
        scope: &Arc<str>,
    ) {
        let (Some(name), Some(file), Some(line)) = (entry.name, entry.decl_file, entry.decl_line)
        else {
            return;
        };
        let Ok(slot) = usize::try_from(file) else {
            return;
        };
        if files.len() <= slot {
            files.resize(slot + 1, None);
        }
        let list = *files[slot].get_or_insert_with(|| {
            let path = render_file(unit, file)?;
            let next = self.lists.len();
            let index = *self.files.entry(Arc::from(path)).or_insert(next);
            if index == next {
                self.lists.push(FileDeclarations::default());
            }
            Some(index)
        });
        let Some(list) = list else {
            return;
        };
        let closure = name.starts_with(&self.debug_str, "{closure#");
        let list = &mut self.lists[list];
        let list = if closure {
            &mut list.closures
        } else {
            &mut list.functions
        };
        list.push(Declaration {
            line,
            name,
            linkage_name: entry.linkage_name,
            scope: scope.clone(),
            in_impl_block: entry.in_impl_block,
        });
    }
}

/// The path of file `index` of `unit`'s line program as `addr2line` renders the files of frames,
/// so declarations and frames name a file alike: the unit's directory, the file's directory and
/// its name, each replacing what precedes it when absolute.
fn render_file(unit: UnitRef<'_, Reader>, index: u64) -> Option<String> {
    let header = unit.line_program.as_ref()?.header();
    let file = header.file(index)?;
    let mut path = unit.comp_dir.as_ref().map(lossy).unwrap_or_default();
    // Directory 0 is the unit's own directory.
    if file.directory_index() != 0 {
        if let Some(directory) = file.directory(header) {
            push_path(&mut path, &lossy(&unit.attr_string(directory).ok()?));
        }
    }
    push_path(&mut path, &lossy(&unit.attr_string(file.path_name()).ok()?));
    Some(path)
}

fn push_path(path: &mut String, component: &str) {
    let windows_root = |p: &str| p.starts_with('\\') || p.get(1..3) == Some(":\\");
    if component.starts_with('/') || windows_root(component) {
        *path = component.to_owned();
        return;
    }
    let separator = if windows_root(path) { '\\' } else { '/' };
    if !path.is_empty() && !path.ends_with(separator) {
        path.push(separator);
    }
    path.push_str(component);
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "/rustc/0/library/core/src/cmp.rs";

    fn text(s: &str) -> Text {
        Text::Inline(Arc::from(s))
    }

    /// `(line, name, linkage name, scope)` declared in [`FILE`]; the scope as DWARF nests it,
    /// `{impl#N}` components included.
    fn declarations(entries: &[(u32, &str, Option<&str>, &str)]) -> Declarations {
        let empty = Reader::new(Arc::from(&[][..]), gimli::RunTimeEndian::Little);
        let mut list = FileDeclarations::default();
        for &(line, name, linkage_name, scope) in entries {
            let components: Vec<&str> = scope.split("::").collect();
            let declaration = Declaration {
                line,
                name: text(name),
                linkage_name: linkage_name.map(text),
                scope: Arc::from(components.iter().fold(String::new(), |path, c| {
                    crate::scope_path::child_scope(&path, c)
                })),
                in_impl_block: components
                    .last()
                    .is_some_and(|c| crate::scope_path::is_impl_block(c)),
            };
            if is_closure(name) {
                list.closures.push(declaration);
            } else {
                list.functions.push(declaration);
            }
        }
        let debug_str = gimli::DebugStr::from(empty);
        list.finish(&debug_str);
        Declarations {
            files: HashMap::from([(Arc::from(FILE), 0)]),
            lists: vec![list],
            debug_str,
        }
    }

    #[test]
    fn the_nearest_declaration_above_the_line_qualifies_the_name() {
        let d = declarations(&[
            (10, "max_by<u8>", None, "core::cmp"),
            (40, "max_by<u16>", None, "core::cmp"),
            (90, "max_by<u32>", None, "core::cmp::other"),
        ]);
        assert_eq!(
            d.qualified("max_by<u64>", FILE, 45).as_deref(),
            Some("core::cmp::max_by<u64>")
        );
        assert_eq!(
            d.qualified("max_by<u64>", FILE, 95).as_deref(),
            Some("core::cmp::other::max_by<u64>")
        );
        assert_eq!(d.qualified("max_by<u64>", FILE, 5), None, "nothing above");
        assert_eq!(d.qualified("max_by<u64>", "/elsewhere.rs", 45), None);
    }

    #[test]
    fn another_function_declared_in_between_means_the_function_is_unknown() {
        let d = declarations(&[
            (10, "min", None, "core::cmp"),
            (20, "max", None, "core::cmp"),
        ]);
        assert_eq!(d.qualified("min", FILE, 25), None);
        assert_eq!(
            d.qualified("min", FILE, 15).as_deref(),
            Some("core::cmp::min")
        );
    }

    #[test]
    fn closures_do_not_hide_the_function_they_are_declared_in() {
        let d = declarations(&[
            (10, "sort_by<u8>", None, "core::slice"),
            (12, "{closure#0}<u8>", None, "core::slice::sort_by"),
        ]);
        assert_eq!(
            d.qualified("sort_by<u64>", FILE, 14).as_deref(),
            Some("core::slice::sort_by<u64>")
        );
        assert_eq!(
            d.qualified("{closure#0}<u64>", FILE, 13).as_deref(),
            Some("core::slice::sort_by::{closure#0}<u64>")
        );
        assert_eq!(d.qualified("{closure#1}<u64>", FILE, 13), None);
    }

    #[test]
    fn functions_nested_in_functions_do_not_hide_them() {
        let d = declarations(&[
            (649, "format", None, "alloc::fmt"),
            (650, "format_inner", None, "alloc::fmt::format"),
        ]);
        assert_eq!(
            d.qualified("format", FILE, 659).as_deref(),
            Some("alloc::fmt::format")
        );
        assert_eq!(
            d.qualified("format_inner", FILE, 655).as_deref(),
            Some("alloc::fmt::format::format_inner")
        );
    }

    #[test]
    fn candidates_in_different_scopes_give_no_name() {
        let d = declarations(&[
            (10, "lt", None, "core::cmp::impls::{impl#57}"),
            (10, "lt", None, "core::cmp::other::{impl#2}"),
        ]);
        assert_eq!(d.qualified("lt", FILE, 11), None);
    }

    #[test]
    fn impl_methods_of_the_same_instance_are_named_as_their_linkage_name_reads() {
        let d = declarations(&[
            (
                10,
                "eq<u8, u8>",
                Some("_RNvXs4_NtCs1_4core5sliceShNtNtB7_3cmp9PartialEq2eq"),
                "core::slice::{impl#4}",
            ),
            (10, "eq<u16, u16>", None, "core::slice::{impl#4}"),
        ]);
        assert_eq!(
            d.qualified("eq<u8, u8>", FILE, 12).as_deref(),
            Some("<[u8] as core::cmp::PartialEq>::eq")
        );
        assert_eq!(
            d.qualified("eq<u32, u32>", FILE, 12).as_deref(),
            Some("core::slice::eq<u32, u32>")
        );
    }

    #[test]
    fn functions_outside_impl_blocks_keep_their_scope_path() {
        // The scope already says all the linkage name would; the plain name keeps the DWARF
        // spelling of the generic arguments, as for entries with scopes of their own.
        let d = declarations(&[(
            10,
            "read<u8>",
            Some("_RINvNtCs1_4core3ptr4readhE"),
            "core::ptr",
        )]);
        assert_eq!(
            d.qualified("read<u8>", FILE, 11).as_deref(),
            Some("core::ptr::read<u8>")
        );
    }

    #[test]
    fn non_generic_names_do_not_take_a_linkage_name() {
        // A macro generates `checked_add` for every integer type at one line; the declared one
        // (u32) need not be the one that ran.
        let d = declarations(&[(
            10,
            "checked_add",
            Some("_RNvMs_NtCs1_4core3numm11checked_add"),
            "core::num::{impl#8}",
        )]);
        assert_eq!(
            d.qualified("checked_add", FILE, 11).as_deref(),
            Some("core::num::checked_add")
        );
    }
}
