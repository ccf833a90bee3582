//! Shared by the traces, tags and raw tests: loading test data, preparing a profile the way
//! `go tool pprof` does before it reports, and comparing text with a readable failure.
#![allow(dead_code)] // each test binary uses its own subset

use oxprof_profile::{FilterOptions, NumLabelUnits, Profile};
use oxprof_report::{Options, Report};

/// Bytes of a file under `crates/oxprof-report/testdata/`.
pub fn testdata(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Text of a file under `crates/oxprof-report/testdata/`.
pub fn golden(name: &str) -> String {
    String::from_utf8(testdata(name)).unwrap()
}

/// Bytes of a file under the workspace's shared `testdata/go/`.
pub fn go_testdata(name: &str) -> Vec<u8> {
    let path = format!("{}/../../testdata/go/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A profile as `go tool pprof` holds it when a report starts, with the report bound to it.
pub struct Prepared {
    /// The profile, merged, pruned and filtered.
    pub profile: Profile,
    /// The report options bound to it, the total taken before filtering.
    pub report: Report,
    /// Units of the numeric labels, inferred before filtering.
    pub units: NumLabelUnits,
}

/// Prepares `data` for `command` as `go tool pprof` does: decoded, merged with itself (zero
/// samples and unreferenced entries gone, ids in order of first use), pruned by its own
/// drop_frames, numeric label units inferred, the report total taken, and then filtered.
/// `sample_index` is a sample type name or number, empty for the default.
pub fn prepare(
    data: &[u8],
    command: &str,
    sample_index: &str,
    options: Options,
    filters: &FilterOptions,
) -> Prepared {
    let p = Profile::decode(data).unwrap();
    let mut profile = Profile::merge(vec![p]).unwrap();
    profile.remove_uninteresting_frames().unwrap();
    let units = profile.num_label_units();
    let mut options = Options {
        sample_index: profile.sample_index(sample_index).unwrap(),
        ..options
    };
    options.total = Some(Report::new(&profile, &options, command).unwrap().total);
    profile.apply_filters(filters, &units).unwrap();
    let report = Report::new(&profile, &options, command).unwrap();
    Prepared {
        profile,
        report,
        units,
    }
}

/// [`prepare`] with pprof's default options and no filters.
pub fn prepare_default(data: &[u8], command: &str) -> Prepared {
    prepare(
        data,
        command,
        "",
        Options::default(),
        &FilterOptions::default(),
    )
}

/// pprof's `Profile.Aggregate` with inline frames and function names kept: file names,
/// line numbers and addresses dropped as asked, and, as in pprof, samples left unmerged.
pub fn aggregate_keeping_samples(p: &mut Profile, filename: bool, linenumber: bool) {
    for f in &mut p.function {
        if !filename {
            f.filename.clear();
        }
    }
    for loc in &mut p.location {
        for line in &mut loc.line {
            if !linenumber {
                line.line = 0;
            }
            line.column = 0;
        }
        loc.address = 0;
    }
}

/// Asserts equal text, naming the first differing line.
pub fn assert_text_eq(got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split('\n').collect(), want.split('\n').collect());
    let i = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    panic!(
        "output differs at line {}:\n  got:  {:?}\n  want: {:?}\n({} lines vs {} wanted)",
        i + 1,
        g.get(i),
        w.get(i),
        g.len(),
        w.len()
    );
}
