//! Custom profiles end to end: entries added from known functions come out counted by those
//! functions, in the proto (read by `go tool pprof -traces`) and in the text (read back by
//! oxprof's parser and by Go's); `skip` moves the stack's start outward, frame by frame, and
//! past the whole stack gives Go's lost-event frame; names and keys are unique.

use std::hint::black_box;
use std::process::Command;

use oxprof::custom::{Error, Profile};

const ALPHA: &str = "custom_profile::open_from_alpha";
const BETA: &str = "custom_profile::open_from_beta";

#[inline(never)]
fn open_from_alpha(profile: &Profile, key: u64) -> u64 {
    profile.add(key, 0).unwrap();
    black_box(key ^ 0xa1fa)
}

#[inline(never)]
fn open_from_beta(profile: &Profile, key: u64) -> u64 {
    profile.add(key, 0).unwrap();
    black_box(key ^ 0xbe7a)
}

/// A helper that opens on its caller's behalf: `skip = 1` charges its caller.
#[inline(never)]
fn open_for_caller(profile: &Profile, key: &'static str) -> usize {
    profile.add(key, 1).unwrap();
    black_box(key.len() + 3)
}

#[inline(never)]
fn caller_of_the_helper(profile: &Profile) -> usize {
    let n = open_for_caller(profile, "via-helper");
    black_box(n * 7)
}

/// The function names of each sample, leaf first (inlined functions included), with its count.
fn stacks(profile: &oxprof::Profile) -> Vec<(i64, Vec<String>)> {
    profile
        .sample
        .iter()
        .map(|s| {
            let mut names = Vec::new();
            for id in &s.location_id {
                let location = profile.location.iter().find(|l| l.id == *id).unwrap();
                for line in &location.line {
                    let f = profile
                        .function
                        .iter()
                        .find(|f| f.id == line.function_id)
                        .unwrap();
                    names.push(f.name.clone());
                }
            }
            (s.value[0], names)
        })
        .collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn live_entries_are_counted_by_the_function_that_added_them_through_go_tool_pprof() {
    let profile = Profile::new("custom_profile.open_things").unwrap();
    for key in 0..5 {
        open_from_alpha(&profile, key);
    }
    for key in 100..102 {
        open_from_beta(&profile, key);
    }
    assert!(profile.remove(&0_u64));
    assert!(profile.remove(&1_u64));
    assert_eq!(profile.count(), 5);

    let built = profile.profile();
    assert_eq!(built.sample_type[0].ty, "custom_profile.open_things");
    assert_eq!(built.sample_type[0].unit, "count");
    let mut got: Vec<(i64, String)> = stacks(&built)
        .into_iter()
        .map(|(count, names)| (count, names[0].clone()))
        .collect();
    got.sort();
    assert_eq!(got, [(2, BETA.to_owned()), (3, ALPHA.to_owned())]);

    let path = std::env::temp_dir().join(format!("oxprof-{}-custom.pprof", std::process::id()));
    let mut file = std::fs::File::create(&path).unwrap();
    profile.write_to(&mut file, 0).unwrap();
    drop(file);
    let Some(mut pprof) = oxprof_testutil::go_pprof() else {
        return;
    };
    let traces = run(pprof.arg("-traces").arg(&path));
    let _ = std::fs::remove_file(&path);
    assert!(
        traces.contains("Type: custom_profile.open_things"),
        "{traces}"
    );
    let mut found: Vec<(String, String)> = traces
        .split("-----------+-------------------------------------------------------")
        .skip(1)
        .filter_map(|trace| {
            let mut lines = trace.trim().lines();
            let first = lines.next()?;
            let (count, leaf) = first.trim().split_once(char::is_whitespace)?;
            Some((count.to_owned(), leaf.trim().to_owned()))
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("2".to_owned(), BETA.to_owned()),
            ("3".to_owned(), ALPHA.to_owned())
        ],
        "{traces}"
    );
}

#[test]
fn the_counted_text_parses_back_through_oxprof_and_go() {
    let profile = Profile::new("custom_profile.text").unwrap();
    for key in 0..3 {
        open_from_alpha(&profile, key);
    }
    open_from_beta(&profile, 9);
    let mut text = Vec::new();
    profile.write_to(&mut text, 1).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("custom_profile.text profile: total 4\n3 @ 0x"),
        "{text}"
    );
    assert!(text.contains(&format!("\t{ALPHA}\t")), "{text}");

    let parsed = oxprof::Profile::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed.sample_type[0].ty, "custom_profile.text");
    let mut counts: Vec<i64> = parsed.sample.iter().map(|s| s.value[0]).collect();
    counts.sort();
    assert_eq!(counts, [1, 3]);

    let path = std::env::temp_dir().join(format!("oxprof-{}-custom.txt", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let Some(mut pprof) = oxprof_testutil::go_pprof() else {
        return;
    };
    let raw = run(pprof.arg("-raw").arg(&path));
    let _ = std::fs::remove_file(&path);
    assert!(raw.contains("custom_profile.text/count"), "{raw}");
}

#[test]
fn skip_starts_the_stack_further_out_and_too_far_gives_the_lost_event_frame() {
    let profile = Profile::new("custom_profile.skips").unwrap();
    caller_of_the_helper(&profile);
    profile.add("everything skipped", 10_000).unwrap();
    let stacks = stacks(&profile.profile());
    let helped = stacks
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.contains("caller_of_the_helper")))
        .unwrap_or_else(|| panic!("{stacks:?}"));
    assert_eq!(
        helped.1[0], "custom_profile::caller_of_the_helper",
        "{stacks:?}"
    );
    let lost = stacks
        .iter()
        .find(|(_, names)| names.len() == 1)
        .unwrap_or_else(|| panic!("{stacks:?}"));
    assert_eq!(lost.1[0], "oxprof::custom::report::lost_profile_event");
}

#[test]
fn names_and_keys_are_unique() {
    let profile = Profile::new("custom_profile.unique").unwrap();
    assert_eq!(
        Profile::new("custom_profile.unique").unwrap_err(),
        Error::NameInUse("custom_profile.unique".into())
    );
    for builtin in ["heap", "goroutine", "threads", "threadcreate", "profile"] {
        assert_eq!(
            Profile::new(builtin).unwrap_err().to_string(),
            format!("profile name already in use: {builtin}")
        );
    }
    for bad in ["", "two words", "tab\there", "line\n"] {
        assert!(
            matches!(Profile::new(bad), Err(Error::InvalidName(_))),
            "{bad:?}"
        );
    }

    profile.add(7_u64, 0).unwrap();
    assert_eq!(
        profile.add(7_u64, 0).unwrap_err().to_string(),
        "duplicate key added to profile custom_profile.unique"
    );
    // The same value as another type is another key.
    profile.add(7_i32, 0).unwrap();
    profile.add(String::from("seven"), 0).unwrap();
    assert_eq!(profile.count(), 3);
    assert!(profile.remove(&String::from("seven")));
    assert!(!profile.remove(&8_u64));
    assert_eq!(profile.count(), 2);

    let found = oxprof::custom::lookup("custom_profile.unique").unwrap();
    assert_eq!(found.count(), 2);
    assert!(oxprof::custom::all()
        .iter()
        .any(|p| p.name() == "custom_profile.unique"));
}
