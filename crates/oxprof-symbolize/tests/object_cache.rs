//! The cache of parsed objects (`keep_parsed_objects`): symbolizing again reuses the parsed
//! object and gives the same result, and a file changed on disk is read again. Its own test
//! binary, as the cache is process-wide.

#[allow(dead_code)]
mod fixture;

use fixture::*;
use oxprof_symbolize::{keep_parsed_objects, parsed_objects_kept, Symbolizer};

#[test]
fn a_kept_object_gives_the_same_frames_and_a_changed_file_is_read_again() {
    let prog = Program::c(&["-fPIE", "-pie"]);
    let outer = prog.symbol("outer");
    let marker = prog.symbol("leaf_marker");
    // A copy the test can replace: mappings without a build id, so the replacement is used.
    let path = prog.path.with_file_name("replaceable");
    std::fs::copy(&prog.path, &path).unwrap();
    let symbolize = || {
        let mut profile = profile(
            whole_file_mapping(&path, PIE_BASE, ""),
            &[PIE_BASE + marker, PIE_BASE + outer + 2],
        );
        Symbolizer::new().symbolize(&mut profile).unwrap();
        profile
    };

    keep_parsed_objects(4);
    let first = symbolize();
    assert_eq!(parsed_objects_kept(), 1, "the object is kept after use");
    let again = symbolize();
    assert_eq!(
        parsed_objects_kept(),
        1,
        "and reused, not parsed a second time"
    );
    assert_eq!(again.location, first.location);
    assert_eq!(again.function, first.function);
    assert_eq!(frames(&again, 0)[0].3, LEAF_ASM_LINE, "lines from DWARF");

    // The same path, now without debug information: only the symbol table names functions.
    let stripped = prog.stripped("--strip-debug", "nodebug");
    std::fs::copy(&stripped, &path).unwrap();
    let changed = symbolize();
    assert_eq!(
        frames(&changed, 1),
        vec![("outer".into(), "outer".into(), String::new(), 0)],
        "a kept object of the old file must not be used"
    );
    assert_eq!(
        parsed_objects_kept(),
        2,
        "both versions kept, as both files existed"
    );

    keep_parsed_objects(1);
    assert_eq!(
        parsed_objects_kept(),
        1,
        "the least recently used one is dropped"
    );
    keep_parsed_objects(0);
    assert_eq!(parsed_objects_kept(), 0);
    symbolize();
    assert_eq!(
        parsed_objects_kept(),
        0,
        "nothing is kept when the cache is off"
    );
}
