//! Questions tests ask of a profile's samples.

use oxprof_profile::{Profile, Sample};

/// The names of the functions in `sample`'s stack, leaf first, inlined frames included.
///
/// ```
/// let p = oxprof_profile::Profile::parse_folded(b"main;work 3\n").unwrap();
/// let names = oxprof_testutil::profiles::function_names(&p, &p.sample[0]);
/// assert_eq!(names, ["work", "main"]);
/// ```
pub fn function_names<'a>(profile: &'a Profile, sample: &Sample) -> Vec<&'a str> {
    let mut out = Vec::new();
    for id in &sample.location_id {
        let Some(location) = profile.location.iter().find(|l| l.id == *id) else {
            continue;
        };
        for line in &location.line {
            if let Some(f) = profile.function.iter().find(|f| f.id == line.function_id) {
                out.push(f.name.as_str());
            }
        }
    }
    out
}

/// Whether `sample`'s stack has a function whose name contains `part`.
///
/// ```
/// let p = oxprof_profile::Profile::parse_folded(b"main;work 3\n").unwrap();
/// assert!(oxprof_testutil::profiles::has_function(&p, &p.sample[0], "wor"));
/// assert!(!oxprof_testutil::profiles::has_function(&p, &p.sample[0], "idle"));
/// ```
pub fn has_function(profile: &Profile, sample: &Sample, part: &str) -> bool {
    function_names(profile, sample)
        .iter()
        .any(|name| name.contains(part))
}
