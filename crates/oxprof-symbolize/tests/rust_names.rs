//! Names of Rust functions whose DWARF entries carry no linkage name: inlined std functions and
//! the crate's own functions under `debuginfo = "line-tables-only"`, and `#[no_mangle]`
//! functions nested in modules and impls.

// Shared with `symbolize.rs`; each test binary uses some of its helpers.
#[allow(dead_code)]
mod fixture;

use fixture::*;
use oxprof_symbolize::{Demangle, Symbolizer};

/// Fills a vector through `Vec::push`, which `-O` inlines into `fill`.
const VEC_SOURCE: &str = "\
#[inline(never)]
fn fill(n: u64) -> Vec<u64> {
    let mut v = Vec::with_capacity(4);
    for i in 0..n {
        v.push(i.wrapping_mul(2_654_435_761));
    }
    v
}

fn main() {
    let v = fill(std::hint::black_box(1000));
    println!(\"{}\", v[v.len() / 2]);
}
";

fn line_tables_only_program() -> Program {
    Program::build(
        "rustc",
        "prog.rs",
        VEC_SOURCE,
        &[
            "-O",
            "-Cdebuginfo=line-tables-only",
            "-Crelocation-model=pie",
        ],
    )
}

/// Every byte of `fill`, symbolized with `demangle`; the frames of all its addresses.
fn frames_of_fill(prog: &Program, demangle: Demangle) -> Vec<Vec<(String, String, String, i64)>> {
    let range = prog.function_range("_ZN4prog4fill");
    let addresses: Vec<u64> = range.map(|a| PIE_BASE + a).collect();
    let mut profile = profile(whole_file_mapping(&prog.path, PIE_BASE, ""), &addresses);
    let report = Symbolizer::new()
        .with_demangle(demangle)
        .symbolize(&mut profile)
        .unwrap();
    assert_eq!(report.unsymbolized, 0, "{report:?}");
    (0..addresses.len()).map(|i| frames(&profile, i)).collect()
}

#[test]
fn inlined_std_function_without_linkage_name_is_qualified() {
    let prog = line_tables_only_program();

    let chains = frames_of_fill(&prog, Demangle::Simplified);

    let all: Vec<_> = chains.iter().flatten().collect();
    // With line-tables-only debug info, the entry of the inlined `Vec::push` is only
    // `DW_AT_name("push<u64, alloc::alloc::Global>")`; its scope comes from the standard
    // library's own declaration of `Vec::push`.
    let (name, system_name, file, _) = all
        .iter()
        .find(|(_, system_name, file, _)| {
            system_name.starts_with("push<") && file.ends_with("vec/mod.rs")
        })
        .unwrap_or_else(|| panic!("no inlined Vec::push frame: {all:#?}"));
    assert!(
        name.contains("alloc::vec::Vec") && name.contains("push"),
        "{name} ({system_name}, {file})"
    );
    assert!(all.iter().all(|f| !f.0.contains("{impl#")), "{all:#?}");
    // Qualified names are for display; the object's own name stays the system name, and is what
    // `Demangle::None` shows.
    let plain = frames_of_fill(&prog, Demangle::None);
    assert!(plain
        .iter()
        .flatten()
        .any(|(name, _, file, _)| name.starts_with("push<") && file.ends_with("vec/mod.rs")));
}

#[test]
fn outer_function_without_linkage_name_is_named_by_its_symbol() {
    let prog = line_tables_only_program();

    let chains = frames_of_fill(&prog, Demangle::Simplified);

    for chain in &chains {
        let (name, system_name, _, _) = chain.last().unwrap();
        assert_eq!(name, "prog::fill", "{chain:#?}");
        assert!(system_name.starts_with("_ZN4prog4fill17h"), "{system_name}");
    }
}

#[test]
fn no_mangle_functions_are_qualified_by_their_modules_without_impl_blocks() {
    let source = "\
mod units {
    pub struct Meters(pub u64);
    impl std::ops::Add for Meters {
        type Output = Meters;
        #[no_mangle]
        #[inline(never)]
        fn add(self, other: Meters) -> Meters {
            Meters(self.0.wrapping_mul(3) ^ other.0)
        }
    }
    pub mod inner {
        #[no_mangle]
        #[inline(never)]
        pub extern \"C\" fn exported_leaf(x: u64) -> u64 {
            x.rotate_left(7) ^ 0x55
        }
    }
}

fn main() {
    let a = units::Meters(std::hint::black_box(5)) + units::Meters(7);
    println!(\"{} {}\", a.0, units::inner::exported_leaf(std::hint::black_box(9)));
}
";
    let prog = Program::build(
        "rustc",
        "prog.rs",
        source,
        &["-g", "-O", "-Crelocation-model=pie"],
    );
    let addresses = [
        PIE_BASE + prog.symbol("add"),
        PIE_BASE + prog.symbol("exported_leaf"),
    ];
    let mut profile = profile(whole_file_mapping(&prog.path, PIE_BASE, ""), &addresses);

    Symbolizer::new().symbolize(&mut profile).unwrap();

    // The trait impl's methods sit in a `{impl#0}` namespace, which names nothing readable.
    let add = frames(&profile, 0).pop().unwrap();
    assert_eq!(
        (add.0.as_str(), add.1.as_str()),
        ("prog::units::add", "add")
    );
    let leaf = frames(&profile, 1).pop().unwrap();
    assert_eq!(
        (leaf.0.as_str(), leaf.1.as_str()),
        ("prog::units::inner::exported_leaf", "exported_leaf")
    );
}
