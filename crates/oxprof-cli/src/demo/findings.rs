//! What the demo's sentences say, measured on the profiles they are about.

use std::collections::HashMap;

use oxprof_profile::Profile;
use regex::Regex;

/// Hash-map code as Rust's std names it: hashbrown's tables, SipHash, `HashMap`, `HashSet`.
const HASH_MAP_CODE: &str =
    r"hashbrown::|HashMap|HashSet|hash::sip::|BuildHasher::hash_one|RandomState";

/// The havlak example's own functions.
const HAVLAK_CODE: &str = "havlak::";

/// Where hash-map code shows in a CPU profile.
#[derive(Debug, PartialEq)]
pub(crate) struct HashMapTime {
    /// Share of the CPU time in samples with a hash-map frame.
    pub share: f64,
    /// The havlak functions those samples were in, the busiest first.
    pub callers: Vec<String>,
}

/// How much of `profile`'s CPU time is spent inside hash-map code, and for which of the
/// program's functions.
pub(crate) fn hash_map_time(profile: &Profile) -> HashMapTime {
    let hash = Regex::new(HASH_MAP_CODE).expect("a valid regex");
    let value = value_index(profile, "cpu");
    let (mut total, mut in_hash) = (0i64, 0i64);
    let mut callers = HashMap::<&str, i64>::new();
    let frames = Frames::new(profile);
    for sample in &profile.sample {
        let v = sample.value.get(value).copied().unwrap_or(0);
        total += v;
        let names = frames.names(&sample.location_id);
        let Some(first_hash) = names.iter().position(|n| hash.is_match(n)) else {
            continue;
        };
        in_hash += v;
        let caller = names[first_hash..]
            .iter()
            .find(|n| n.starts_with(HAVLAK_CODE) && !hash.is_match(n));
        if let Some(caller) = caller {
            *callers.entry(caller).or_default() += v;
        }
    }
    HashMapTime {
        share: share(in_hash, total),
        callers: heaviest(callers),
    }
}

/// What the program's own functions allocated, per the heap profile's `alloc_space`.
#[derive(Debug, PartialEq)]
pub(crate) struct Allocations {
    /// Bytes allocated in all.
    pub total: i64,
    /// Each havlak function with the bytes charged to it (the innermost havlak frame of each
    /// sample), the most first.
    pub by_function: Vec<(String, i64)>,
}

/// Charges every allocation of `profile` to the innermost havlak function on its stack, as
/// `oxprof -show='havlak::'` does.
pub(crate) fn allocations(profile: &Profile) -> Allocations {
    let value = value_index(profile, "alloc_space");
    let mut total = 0;
    let mut by_function = HashMap::<&str, i64>::new();
    let frames = Frames::new(profile);
    for sample in &profile.sample {
        let v = sample.value.get(value).copied().unwrap_or(0);
        total += v;
        let names = frames.names(&sample.location_id);
        if let Some(name) = names.into_iter().find(|n| n.contains(HAVLAK_CODE)) {
            *by_function.entry(name).or_default() += v;
        }
    }
    let mut by_function: Vec<(String, i64)> = by_function
        .into_iter()
        .map(|(name, v)| (name.to_string(), v))
        .collect();
    by_function.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Allocations { total, by_function }
}

/// A percentage of `total`, 0 when there is nothing.
pub(crate) fn share(part: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * part as f64 / total as f64
    }
}

/// The index of sample type `ty`, else the last one (the profile's default).
fn value_index(profile: &Profile, ty: &str) -> usize {
    profile
        .sample_type
        .iter()
        .position(|t| t.ty == ty)
        .unwrap_or_else(|| profile.sample_type.len().saturating_sub(1))
}

/// Function names by location, to read stacks.
struct Frames<'p> {
    locations: HashMap<u64, &'p oxprof_profile::Location>,
    functions: HashMap<u64, &'p str>,
}

impl<'p> Frames<'p> {
    fn new(profile: &'p Profile) -> Frames<'p> {
        Frames {
            locations: profile.location.iter().map(|l| (l.id, l)).collect(),
            functions: profile
                .function
                .iter()
                .map(|f| (f.id, f.name.as_str()))
                .collect(),
        }
    }

    /// The function names of a stack, innermost first (inlined frames included).
    fn names(&self, location_ids: &[u64]) -> Vec<&'p str> {
        location_ids
            .iter()
            .filter_map(|id| self.locations.get(id))
            .flat_map(|l| &l.line)
            .filter_map(|line| self.functions.get(&line.function_id).copied())
            .collect()
    }
}

fn heaviest(by_name: HashMap<&str, i64>) -> Vec<String> {
    let mut sorted: Vec<(&str, i64)> = by_name.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    sorted
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxprof_profile::{Function, Line, Location, Sample, ValueType};

    /// A profile of three stacks (innermost first) with the given values of one sample type.
    fn profile(ty: &str, stacks: &[(&[&str], i64)]) -> Profile {
        let mut p = Profile {
            sample_type: vec![ValueType::new(ty, "x")],
            ..Default::default()
        };
        let mut id = 0;
        for (names, value) in stacks {
            let mut location_id = Vec::new();
            for name in *names {
                id += 1;
                p.function.push(Function {
                    id,
                    name: name.to_string(),
                    ..Default::default()
                });
                p.location.push(Location {
                    id,
                    line: vec![Line {
                        function_id: id,
                        ..Default::default()
                    }],
                    ..Default::default()
                });
                location_id.push(id);
            }
            p.sample.push(Sample {
                location_id,
                value: vec![*value],
                label: vec![],
            });
        }
        p
    }

    #[test]
    fn hash_map_time_counts_samples_under_hash_code_and_names_their_callers() {
        let p = profile(
            "cpu",
            &[
                (
                    &[
                        "core::hash::sip::Hasher::write",
                        "havlak::stages::v1::dfs",
                        "main",
                    ],
                    30,
                ),
                (
                    &[
                        "hashbrown::raw::RawTable::find",
                        "havlak::stages::v1::find_loops",
                    ],
                    20,
                ),
                (
                    &[
                        "core::hash::sip::Hasher::write",
                        "havlak::stages::v1::find_loops",
                    ],
                    20,
                ),
                (&["havlak::stages::v1::find_loops", "main"], 30),
            ],
        );
        let found = hash_map_time(&p);
        assert_eq!(found.share, 70.0);
        assert_eq!(
            found.callers,
            ["havlak::stages::v1::find_loops", "havlak::stages::v1::dfs"]
        );
    }

    #[test]
    fn allocations_go_to_the_innermost_havlak_frame() {
        let p = profile(
            "alloc_space",
            &[
                (
                    &[
                        "alloc::raw_vec::finish_grow",
                        "havlak::cfg::Cfg::add_edge",
                        "havlak::search",
                    ],
                    10,
                ),
                (
                    &[
                        "hashbrown::alloc",
                        "<HashSet as havlak::lsg::Members>::add",
                        "havlak::search",
                    ],
                    5,
                ),
                (&["std::rt::init"], 5),
            ],
        );
        let found = allocations(&p);
        assert_eq!(found.total, 20);
        assert_eq!(
            found.by_function,
            [
                ("havlak::cfg::Cfg::add_edge".to_string(), 10),
                ("<HashSet as havlak::lsg::Members>::add".to_string(), 5)
            ]
        );
        assert_eq!(share(5, 20), 25.0);
        assert_eq!(share(1, 0), 0.0);
    }
}
