//! Readable qualified names from the plain names DWARF gives functions that have no linkage
//! name, and the plain names' parts the symbolizer compares.
//!
//! rustc names a function's DWARF entry with its bare name and generic arguments (`copy<u64>`)
//! and states its path through the enclosing entries: namespaces for modules and types, and a
//! `{impl#N}` namespace for the methods of a trait impl or of an impl on a type that is not an
//! ADT (`*mut T`, `u32`). Those `{impl#N}` namespaces carry nothing but their name, so neither the
//! self type nor the trait can be recovered from them; they are left out, which names such a
//! method by its module (`core::cmp::impls::lt`) instead of by a number nobody can look up.

/// The path of a scope entry named `component` inside the scope whose path is `parent` (empty at
/// the top of a unit). `{impl#N}` adds nothing, see the module documentation.
pub(crate) fn child_scope(parent: &str, component: &str) -> String {
    if is_impl_block(component) || component.is_empty() {
        parent.to_owned()
    } else if parent.is_empty() {
        component.to_owned()
    } else {
        format!("{parent}::{component}")
    }
}

/// `plain` (a function's DWARF name, generic arguments included) qualified with `scope`.
pub(crate) fn qualify(scope: &str, plain: &str) -> String {
    if scope.is_empty() {
        plain.to_owned()
    } else {
        format!("{scope}::{plain}")
    }
}

/// rustc's name for the namespace of an `impl` block: `{impl#N}`.
pub(crate) fn is_impl_block(component: &str) -> bool {
    component
        .strip_prefix("{impl#")
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The name without its generic arguments: `copy` for `copy<u64>`, `{closure#0}` for
/// `{closure#0}<u8>`. All instances of one generic function share it.
pub(crate) fn base_name(plain: &str) -> &str {
    match plain.find('<') {
        Some(0) | None => plain,
        Some(end) => &plain[..end],
    }
}

/// Whether `plain` names a closure (`{closure#0}`), which rustc declares inside the function it
/// is written in.
pub(crate) fn is_closure(plain: &str) -> bool {
    plain.starts_with("{closure#")
}

/// The last component of a demangled path without generic arguments: `push` for
/// `alloc::vec::Vec<T,A>::push`, `copy` for `core::ptr::copy::<u64>`, `write_str` for
/// `<alloc::string::String as core::fmt::Write>::write_str`.
pub(crate) fn last_component(path: &str) -> &str {
    let path = strip_trailing_generics(path);
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => start = i + 2,
            _ => {}
        }
    }
    base_name(&path[start.min(path.len())..])
}

/// `path` without a final `::<…>` (v0 demangling of a generic instance).
fn strip_trailing_generics(path: &str) -> &str {
    if !path.ends_with('>') {
        return path;
    }
    let mut depth = 0usize;
    for (i, b) in path.bytes().enumerate().rev() {
        match b {
            b'>' => depth += 1,
            b'<' => {
                depth -= 1;
                if depth == 0 {
                    return path[..i].strip_suffix("::").unwrap_or(path);
                }
            }
            _ => {}
        }
    }
    path
}

/// Whether a symbol whose demangled name is `demangled` can be the function DWARF calls `plain`:
/// same last component, closures matched across legacy (`{{closure}}`) and v0 (`{closure#0}`)
/// spellings.
pub(crate) fn same_function(demangled: &str, plain: &str) -> bool {
    let last = last_component(demangled);
    let plain = base_name(plain);
    last == plain || (is_closure(plain) && (last == "{{closure}}" || is_closure(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_blocks_are_left_out_of_paths() {
        assert_eq!(child_scope("", "core"), "core");
        assert_eq!(child_scope("core", "ptr"), "core::ptr");
        assert_eq!(
            child_scope("core::cmp::impls", "{impl#57}"),
            "core::cmp::impls"
        );
        assert_eq!(child_scope("", "{impl#0}"), "");
        // Only rustc's exact spelling is an impl block.
        assert_eq!(child_scope("m", "{impl#}"), "m::{impl#}");
        assert_eq!(child_scope("m", "{impl#1a}"), "m::{impl#1a}");
        assert_eq!(child_scope("m", "{closure#0}"), "m::{closure#0}");
        assert_eq!(child_scope("alloc::vec", "Vec"), "alloc::vec::Vec");
    }

    #[test]
    fn qualified_names_keep_generic_arguments() {
        assert_eq!(qualify("core::ptr", "copy<u64>"), "core::ptr::copy<u64>");
        assert_eq!(
            qualify("core::cmp::impls", "lt"),
            "core::cmp::impls::lt",
            "the {{impl#N}} between module and method is already gone from the scope"
        );
        assert_eq!(qualify("", "main"), "main");
        let scope = ["core", "hash", "sip", "{impl#5}"]
            .iter()
            .fold(String::new(), |p, c| child_scope(&p, c));
        assert_eq!(
            qualify(&scope, "finish<core::hash::sip::Sip13Rounds>"),
            "core::hash::sip::finish<core::hash::sip::Sip13Rounds>"
        );
    }

    #[test]
    fn base_names_drop_generic_arguments() {
        assert_eq!(base_name("copy<u64>"), "copy");
        assert_eq!(base_name("eq<u8, u8>"), "eq");
        assert_eq!(base_name("lt"), "lt");
        assert_eq!(base_name("{closure#0}<u8>"), "{closure#0}");
        assert_eq!(base_name("<weird>"), "<weird>");
    }

    #[test]
    fn last_components_of_demangled_paths() {
        assert_eq!(last_component("alloc::vec::Vec<T,A>::push"), "push");
        assert_eq!(last_component("core::ptr::copy::<u64>"), "copy");
        assert_eq!(
            last_component("<alloc::string::String as core::fmt::Write>::write_str"),
            "write_str"
        );
        assert_eq!(
            last_component("<core::ptr::non_null::NonNull<u8> as core::cmp::PartialEq>::eq"),
            "eq"
        );
        assert_eq!(last_component("<*mut u8>::add"), "add");
        assert_eq!(last_component("main"), "main");
        assert_eq!(last_component("prog::main::{{closure}}"), "{{closure}}");
    }

    #[test]
    fn symbols_match_plain_names_by_last_component() {
        assert!(same_function(
            "core::slice::sort::shared::smallsort::small_sort_network",
            "small_sort_network<u64, fn(&u64, &u64) -> bool>"
        ));
        assert!(same_function("prog::fill", "fill"));
        assert!(same_function("prog::main::{{closure}}", "{closure#0}"));
        assert!(same_function("prog::main::{closure#1}", "{closure#1}<u8>"));
        assert!(!same_function("prog::fill", "fill_more"));
        assert!(!same_function("prog::fill::{{closure}}", "fill"));
    }
}
