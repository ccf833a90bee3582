//! Symbolizing profiles of programs compiled at test time (gcc, g++, rustc), with the programs
//! placed in memory as the loader would: PIE at a base, non-PIE at its link address, text-only
//! mappings with a non-zero file offset, objects found by build id, and stripped objects.

// Shared with `rust_names.rs`; each test binary uses some of its helpers.
#[allow(dead_code)]
mod fixture;

use fixture::*;
use oxprof_profile::Mapping;
use oxprof_symbolize::{ErrorKind, Symbolizer};

#[test]
fn pie_inline_chain_is_innermost_first() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let marker = prog.symbol("leaf_marker");
    let outer = prog.symbol("outer");
    let mapping = whole_file_mapping(&prog.path, PIE_BASE, &prog.build_id());
    let mut profile = profile(mapping, &[PIE_BASE + marker, PIE_BASE + outer]);

    let report = Symbolizer::new().symbolize(&mut profile).unwrap();

    assert_eq!(report.symbolized, 2, "{report:?}");
    assert_eq!(report.objects, vec![(1, prog.path.clone())]);
    let source = prog.source.to_string_lossy().into_owned();
    let chain = frames(&profile, 0);
    assert_eq!(
        chain,
        vec![
            ("leaf".into(), "leaf".into(), source.clone(), LEAF_ASM_LINE),
            (
                "outer".into(),
                "outer".into(),
                source.clone(),
                OUTER_CALL_LINE
            ),
        ]
    );
    let leaf = function(&profile, profile.location[0].line[0].function_id);
    assert_eq!(leaf.start_line, LEAF_DECL_LINE);
    let entry = &profile.location[1].line;
    assert_eq!(entry.len(), 1);
    let outer = function(&profile, entry[0].function_id);
    assert_eq!(
        (outer.name.as_str(), outer.start_line),
        ("outer", OUTER_DECL_LINE)
    );
    let m = &profile.mapping[0];
    assert!(m.has_functions && m.has_filenames && m.has_line_numbers && m.has_inline_frames);
    // Both locations share the one `outer` function.
    assert_eq!(profile.function.len(), 2);
    assert!(
        profile.location[0].line[0].column > 0,
        "gcc records columns"
    );
}

#[test]
fn compressed_debug_sections_are_read() {
    let prog = Program::c(&["-fPIE", "-pie", "-gz=zlib"]);
    let sections = std::process::Command::new("readelf")
        .arg("-SW")
        .arg(&prog.path)
        .output()
        .unwrap();
    let sections = String::from_utf8_lossy(&sections.stdout).into_owned();
    assert!(
        sections
            .lines()
            .any(|l| l.contains(".debug_info") && l.contains(" C ")),
        "{sections}"
    );
    let mapping = whole_file_mapping(&prog.path, PIE_BASE, &prog.build_id());
    let mut profile = profile(mapping, &[PIE_BASE + prog.symbol("leaf_marker")]);

    Symbolizer::new().symbolize(&mut profile).unwrap();

    let lines: Vec<(String, i64)> = frames(&profile, 0)
        .into_iter()
        .map(|f| (f.0, f.3))
        .collect();
    assert_eq!(
        lines,
        [
            ("leaf".into(), LEAF_ASM_LINE),
            ("outer".into(), OUTER_CALL_LINE)
        ]
    );
}

#[test]
fn text_only_mapping_with_file_offset() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let marker = prog.symbol("leaf_marker");
    let (offset, vaddr, size) = prog.text_segment();
    assert_ne!(offset, 0, "ld places text after the headers' segment");
    let start = PIE_BASE + (vaddr & !0xfff);
    let mapping = Mapping {
        id: 1,
        memory_start: start,
        memory_limit: start + size.next_multiple_of(0x1000),
        file_offset: offset & !0xfff,
        filename: prog.path.to_string_lossy().into_owned(),
        build_id: prog.build_id(),
        ..Default::default()
    };
    let mut profile = profile(mapping, &[PIE_BASE + marker]);

    Symbolizer::new().symbolize(&mut profile).unwrap();

    let names: Vec<String> = frames(&profile, 0).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["leaf", "outer"]);
}

#[test]
fn non_pie_addresses_are_used_as_linked() {
    let prog = Program::c(&["-fno-pie", "-no-pie"]);
    let outer = prog.symbol("outer");
    assert!(outer >= 0x40_0000, "non-PIE links at 0x400000: {outer:#x}");
    let mapping = whole_file_mapping(&prog.path, 0x40_0000, "");
    let mut profile = profile(mapping, &[outer + 1]);

    Symbolizer::new().symbolize(&mut profile).unwrap();

    assert_eq!(frames(&profile, 0)[0].0, "outer");
}

#[test]
fn symbol_table_names_functions_without_debug_info() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let outer = prog.symbol("outer");
    let stripped = prog.stripped("--strip-debug", "nodebug");
    let mut profile = profile(
        whole_file_mapping(&stripped, PIE_BASE, ""),
        &[PIE_BASE + outer + 2],
    );

    Symbolizer::new().symbolize(&mut profile).unwrap();

    assert_eq!(
        frames(&profile, 0),
        vec![("outer".into(), "outer".into(), String::new(), 0)]
    );
    let m = &profile.mapping[0];
    assert!(m.has_functions && !m.has_filenames && !m.has_line_numbers && !m.has_inline_frames);
}

#[test]
fn build_id_directory_layout_finds_a_debug_file() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let marker = prog.symbol("leaf_marker");
    let id = prog.build_id();
    let debug_dir = tempfile::tempdir().unwrap();
    let debug_file = prog.debug_file_in(debug_dir.path());
    // The profile names a path that does not exist here: only the build id can find the file.
    let mut mapping = whole_file_mapping(&prog.path, PIE_BASE, &id);
    mapping.filename = "/opt/elsewhere/prog".into();
    let mut profile = profile(mapping, &[PIE_BASE + marker]);

    let report = Symbolizer::new()
        .with_search_path(debug_dir.path())
        .symbolize(&mut profile)
        .unwrap();

    assert_eq!(report.objects, vec![(1, debug_file)]);
    let names: Vec<String> = frames(&profile, 0).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["leaf", "outer"]);
}

#[test]
fn stripped_binary_uses_separate_debug_file_by_build_id() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let marker = prog.symbol("leaf_marker");
    let debug_dir = tempfile::tempdir().unwrap();
    prog.debug_file_in(debug_dir.path());
    let stripped = prog.stripped("--strip-all", "stripped");
    let mut profile = profile(
        whole_file_mapping(&stripped, PIE_BASE, ""),
        &[PIE_BASE + marker],
    );
    // Without the debug directory, a fully stripped PIE names nothing.
    let mut bare = profile.clone();
    let report = Symbolizer::new().symbolize(&mut bare).unwrap();
    assert_eq!(report.unsymbolized, 1, "{report:?}");
    assert!(
        report.warnings[0].contains("matched no symbol"),
        "{report:?}"
    );

    let report = Symbolizer::new()
        .with_search_path(debug_dir.path())
        .symbolize(&mut profile)
        .unwrap();

    assert_eq!(report.objects[0].1, stripped);
    let names: Vec<String> = frames(&profile, 0).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["leaf", "outer"]);
}

#[test]
fn plain_file_in_search_path_is_found_by_build_id() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let outer = prog.symbol("outer");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&prog.path, dir.path().join("renamed-binary")).unwrap();
    let mut mapping = whole_file_mapping(&prog.path, PIE_BASE, &prog.build_id().to_uppercase());
    mapping.filename = "/gone/app".into();
    let mut profile = profile(mapping, &[PIE_BASE + outer]);

    let report = Symbolizer::new()
        .with_search_path(dir.path())
        .symbolize(&mut profile)
        .unwrap();

    assert_eq!(report.objects, vec![(1, dir.path().join("renamed-binary"))]);
    assert_eq!(frames(&profile, 0)[0].0, "outer");
}

#[test]
fn given_binary_with_another_build_id_is_an_error() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let other = Program::build(
        "gcc",
        "other.c",
        "int main(void) { return 1; }\n",
        &["-Wl,--build-id=sha1"],
    );
    let (want, got) = (prog.build_id(), other.build_id());
    let mapping = whole_file_mapping(&prog.path, PIE_BASE, &want);
    let mut profile = profile(mapping, &[PIE_BASE + prog.symbol("outer")]);

    let err = Symbolizer::new()
        .with_binary(&other.path)
        .symbolize(&mut profile)
        .unwrap_err();

    assert!(matches!(err.kind(), ErrorKind::BuildIdMismatch { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&want) && message.contains(&got),
        "{message}"
    );
    assert!(profile.location[0].line.is_empty() && profile.function.is_empty());
}

#[test]
fn given_binary_replaces_a_missing_mapping_path() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let mut mapping = whole_file_mapping(&prog.path, PIE_BASE, &prog.build_id());
    mapping.filename = "/build/host/prog".into();
    let mut profile = profile(mapping, &[PIE_BASE + prog.symbol("outer")]);

    let report = Symbolizer::new()
        .with_binary(&prog.path)
        .symbolize(&mut profile)
        .unwrap();

    assert_eq!(report.objects, vec![(1, prog.path.clone())]);
    assert_eq!(frames(&profile, 0)[0].0, "outer");
}

#[test]
fn mapping_path_with_another_build_id_is_skipped_with_a_warning() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let mapping = whole_file_mapping(&prog.path, PIE_BASE, "00112233445566778899");
    let mut profile = profile(mapping, &[PIE_BASE + prog.symbol("outer")]);

    let report = Symbolizer::new().symbolize(&mut profile).unwrap();

    assert!(profile.location[0].line.is_empty());
    assert!(!profile.mapping[0].has_functions);
    assert_eq!(report.unsymbolized, 1);
    let warnings = report.warnings.join("\n");
    assert!(
        warnings.contains("00112233445566778899") && warnings.contains(&prog.build_id()),
        "{warnings}"
    );
}

#[test]
fn symbolized_mappings_are_left_alone_unless_forced() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let mut mapping = whole_file_mapping(&prog.path, PIE_BASE, "");
    mapping.has_functions = true;
    let mut profile = profile(mapping, &[PIE_BASE + prog.symbol("outer")]);

    Symbolizer::new().symbolize(&mut profile).unwrap();
    assert!(profile.location[0].line.is_empty());

    Symbolizer::new()
        .with_force(true)
        .symbolize(&mut profile)
        .unwrap();
    assert_eq!(frames(&profile, 0)[0].0, "outer");
}

#[test]
fn profile_without_mappings_uses_the_given_binary_as_linked() {
    let prog = Program::c(&["-fno-pie", "-no-pie"]);
    let outer = prog.symbol("outer");
    let mut profile = profile(Mapping::default(), &[outer]);
    profile.mapping.clear();

    Symbolizer::new()
        .with_binary(&prog.path)
        .symbolize(&mut profile)
        .unwrap();

    assert_eq!(profile.mapping.len(), 1);
    assert_eq!(profile.location[0].mapping_id, 1);
    assert_eq!(frames(&profile, 0)[0].0, "outer");
}

#[test]
fn cpp_names_are_demangled_and_the_mangled_name_kept() {
    let source =
        "namespace ns {\n__attribute__((noinline)) int scale(int x) { return x * 7; }\n}\n\
                  int main(int argc, char**) { return ns::scale(argc); }\n";
    let prog = Program::build("g++", "prog.cc", source, &["-g", "-O1", "-fPIE", "-pie"]);
    let scale = prog.symbol("_ZN2ns5scaleEi");
    let mut profile = profile(
        whole_file_mapping(&prog.path, PIE_BASE, ""),
        &[PIE_BASE + scale],
    );

    Symbolizer::new().symbolize(&mut profile).unwrap();

    let frame = &frames(&profile, 0)[0];
    assert_eq!(
        (frame.0.as_str(), frame.1.as_str(), frame.3),
        ("ns::scale", "_ZN2ns5scaleEi", 2)
    );
}

#[test]
fn rust_generic_function_is_named_without_hash() {
    let source = "#[inline(never)]\nfn fill(v: &mut Vec<u32>) { for i in 0..10 { v.push(i) } }\n\
                  fn main() { let mut v = Vec::new(); fill(&mut v); println!(\"{}\", v.len()); }\n";
    let prog = Program::build(
        "rustc",
        "prog.rs",
        source,
        &["-g", "-Copt-level=0", "-Crelocation-model=pie"],
    );
    let (mangled, push) = prog
        .symbols()
        .into_iter()
        .find(|(name, _)| name.starts_with("_ZN5alloc3vec16Vec$LT$T$C$A$GT$4push17h"))
        .expect("a monomorphized Vec::push");
    let mut profile = profile(
        whole_file_mapping(&prog.path, PIE_BASE, ""),
        &[PIE_BASE + push],
    );

    Symbolizer::new().symbolize(&mut profile).unwrap();

    let (name, system_name, file, line) = frames(&profile, 0).pop().unwrap();
    assert_eq!(name, "alloc::vec::Vec<T,A>::push");
    assert_eq!(system_name, mangled);
    assert!(file.ends_with("vec/mod.rs"), "{file}");
    assert!(line > 0);
}
