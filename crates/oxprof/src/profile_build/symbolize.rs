//! Symbolization of a freshly built profile of this process: the vdso from memory, everything
//! else through `oxprof_symbolize` from the mapped files, the main binary through
//! `/proc/self/exe` so that it works even when the file on disk was replaced or deleted.
//!
//! Nothing here fails the profile: what cannot be symbolized keeps its address and a comment
//! says why.

use std::panic::{catch_unwind, AssertUnwindSafe};

use oxprof_profile::Profile;
use oxprof_symbolize::Symbolizer;

use super::vdso;

/// The kernel's handle on the running executable, readable even after the file is deleted.
const SELF_EXE: &str = "/proc/self/exe";

/// Fills in functions, files, lines and inline chains where the objects allow, and returns one
/// comment per problem met.
///
/// `main_is_executable` says that mapping 1 is code of this process's executable, so the object
/// behind `/proc/self/exe` may stand for it.
pub(super) fn symbolize(profile: &mut Profile, main_is_executable: bool) -> Vec<String> {
    keep_parsed_objects();
    vdso::symbolize(profile);
    let uses_main = main_is_executable && profile.location.iter().any(|l| l.mapping_id == 1);
    let mut attempts = Vec::new();
    if uses_main {
        attempts.push(Symbolizer::new().with_binary(SELF_EXE));
    }
    attempts.push(Symbolizer::new());
    let mut comments = Vec::new();
    for symbolizer in attempts {
        match symbolize_with(&symbolizer, profile) {
            Ok(warnings) => {
                comments.extend(warnings);
                break;
            }
            Err(problem) => comments.push(problem),
        }
    }
    comments
        .into_iter()
        .map(|c| format!("symbolization: {c}"))
        .collect()
}

/// How many parsed objects to keep between profiles: the executable and the few libraries with
/// debug information a profile usually touches.
const KEPT_OBJECTS: usize = 4;

/// A program that writes profiles writes them again (a server's `/debug/pprof/heap`, a
/// continuous agent): reading and parsing the executable's debug information is most of a
/// symbolization's cost, so the parsed objects are kept, from the first profile on, unless the
/// program has chosen otherwise with `oxprof_symbolize::keep_parsed_objects` since.
fn keep_parsed_objects() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| oxprof_symbolize::keep_parsed_objects(KEPT_OBJECTS));
}

/// Symbolizes the profile's locations with `symbolizer`, committing the result only when it
/// neither fails nor panics.
fn symbolize_with(symbolizer: &Symbolizer, profile: &mut Profile) -> Result<Vec<String>, String> {
    // Only the tables symbolization touches are copied; samples can be many.
    let mut tables = Profile {
        mapping: profile.mapping.clone(),
        location: profile.location.clone(),
        function: profile.function.clone(),
        ..Profile::default()
    };
    // The symbolizer's allocations, and the parsed objects it keeps, are oxprof's, not the
    // program's: sampled at a high rate they filled the heap profiler's block table and showed
    // in the program's heap profile.
    let outcome = crate::heap::hooks::untracked(|| {
        catch_unwind(AssertUnwindSafe(|| symbolizer.symbolize(&mut tables)))
    });
    match outcome {
        Ok(Ok(report)) => {
            profile.mapping = tables.mapping;
            profile.location = tables.location;
            profile.function = tables.function;
            Ok(report.warnings)
        }
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("the symbolizer panicked; addresses are left unsymbolized".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use oxprof_profile::{Location, Mapping};

    use super::super::mappings::ProcessMappings;
    use super::*;

    #[inline(never)]
    fn known_function() -> u64 {
        std::hint::black_box(11)
    }

    /// An unsymbolized profile of this process with one location: [`known_function`].
    fn profile_of_known_function() -> Profile {
        let known = known_function as fn() -> u64 as usize as u64;
        let process = ProcessMappings::read();
        Profile {
            location: vec![Location {
                id: 1,
                mapping_id: process.id_for(known),
                address: known,
                ..Location::default()
            }],
            mapping: process.into_mappings(),
            ..Profile::default()
        }
    }

    #[test]
    fn a_missing_object_leaves_addresses_and_a_comment_while_others_are_symbolized() {
        let known = known_function as fn() -> u64 as usize as u64;
        let process = ProcessMappings::read();
        let known_mapping = process.id_for(known);
        let mut mapping = process.into_mappings();
        let missing_id = mapping.len() as u64 + 1;
        mapping.push(Mapping {
            id: missing_id,
            memory_start: 0x1000,
            memory_limit: 0x2000,
            filename: "/nonexistent/libgone.so".into(),
            ..Mapping::default()
        });
        let mut profile = Profile {
            mapping,
            location: vec![
                Location {
                    id: 1,
                    mapping_id: missing_id,
                    address: 0x1100,
                    ..Location::default()
                },
                Location {
                    id: 2,
                    mapping_id: known_mapping,
                    address: known,
                    ..Location::default()
                },
            ],
            ..Profile::default()
        };
        let comments = symbolize(&mut profile, true);
        assert!(
            comments
                .iter()
                .any(|c| c.starts_with("symbolization: ") && c.contains("/nonexistent/libgone.so")),
            "{comments:?}"
        );
        assert!(profile.location[0].line.is_empty());
        assert_eq!(profile.location[0].address, 0x1100);
        assert!(!profile.location[1].line.is_empty());
        assert!(!profile.mapping.last().unwrap().has_functions);
        profile.validate().unwrap();
    }

    /// Run with `--nocapture` to see the two times (about 440 ms and 60 µs for this test binary).
    #[test]
    fn the_parsed_executable_is_kept_and_gives_the_same_names_again() {
        let build = || {
            let mut profile = profile_of_known_function();
            let start = std::time::Instant::now();
            symbolize(&mut profile, true);
            (start.elapsed(), profile)
        };
        let (first, a) = build();
        let (second, b) = build();
        println!("symbolized in {first:?}, then in {second:?}");
        assert!(oxprof_symbolize::parsed_objects_kept() >= 1);
        assert!(!a.function.is_empty());
        assert_eq!(a.function, b.function);
    }

    #[test]
    fn a_failed_attempt_changes_nothing_and_the_next_can_succeed() {
        let mut profile = profile_of_known_function();
        let broken = Symbolizer::new().with_binary("/nonexistent/app");
        let problem = symbolize_with(&broken, &mut profile).unwrap_err();
        assert!(problem.contains("/nonexistent/app"), "{problem}");
        assert!(
            profile.location[0].line.is_empty(),
            "a failed attempt changes nothing"
        );
        assert!(symbolize_with(&Symbolizer::new(), &mut profile).is_ok());
        assert!(!profile.location[0].line.is_empty());
    }
}
