//! The store from the outside: what is inserted survives reopening, queries select by type,
//! labels and time, merges add up, timelines total, retention deletes, bad pushes store nothing.

use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use oxprof_store::ingest::{from_push, Limits};
use oxprof_store::{query::Selector, Error, Store};

const S: i64 = 1_000_000_000;
const NOW: i64 = 1_700_000_000 * S;

/// A profile of one function `f` with `value` in each of `types`, dated `t`.
fn profile(types: &[(&str, &str)], period: (&str, &str), f: &str, value: i64, t: i64) -> Profile {
    Profile {
        sample_type: types.iter().map(|(t, u)| ValueType::new(*t, *u)).collect(),
        period_type: Some(ValueType::new(period.0, period.1)),
        period: 1,
        sample: vec![Sample {
            location_id: vec![1],
            value: vec![value; types.len()],
            label: vec![],
        }],
        location: vec![Location {
            id: 1,
            address: 0x1000,
            line: vec![Line {
                function_id: 1,
                line: 1,
                ..Default::default()
            }],
            ..Default::default()
        }],
        function: vec![Function {
            id: 1,
            name: f.into(),
            ..Default::default()
        }],
        time_nanos: t,
        duration_nanos: 10 * S,
        ..Default::default()
    }
}

fn cpu(f: &str, value: i64, t: i64) -> Profile {
    profile(
        &[("samples", "count"), ("cpu", "nanoseconds")],
        ("cpu", "nanoseconds"),
        f,
        value,
        t,
    )
}

fn push(labels: &[(&str, &str)], profiles: &[Profile]) -> PushRequest {
    PushRequest {
        series: vec![RawProfileSeries {
            labels: labels.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect(),
            samples: profiles
                .iter()
                .map(|p| RawSample {
                    raw_profile: p.encode_gzip(),
                    id: String::new(),
                })
                .collect(),
        }],
    }
}

fn insert(store: &Store, request: PushRequest) -> Result<(), Error> {
    store.insert(&from_push(request, NOW, &Limits::default())?)
}

fn total(p: &Profile, i: usize) -> i64 {
    p.sample.iter().map(|s| s.value[i]).sum()
}

const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

#[test]
fn what_is_stored_survives_reopening_and_queries_add_it_up() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for (i, env) in ["prod", "dev"].iter().enumerate() {
            let profiles: Vec<Profile> = (0..10)
                .map(|k| {
                    cpu(
                        "work",
                        100 + k + i as i64 * 1000,
                        NOW - 100 * S + k * 10 * S,
                    )
                })
                .collect();
            let labels = [
                ("__name__", "process_cpu"),
                ("service_name", "checkout"),
                ("env", *env),
            ];
            insert(&store, push(&labels, &profiles)).unwrap();
        }
        let heap = profile(
            &[("inuse_space", "bytes")],
            ("space", "bytes"),
            "alloc",
            4096,
            NOW - 5 * S,
        );
        let labels = [("__name__", "memory"), ("service_name", "cart")];
        insert(&store, push(&labels, &[heap])).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.stats().unwrap().profiles, 21);
    assert_eq!(store.services(), ["cart", "checkout"]);
    let checkout = Selector::parse(r#"{service_name="checkout"}"#).unwrap();
    assert_eq!(
        store.profile_types(&checkout),
        [CPU, "process_cpu:samples:count:cpu:nanoseconds"]
    );
    assert_eq!(
        store.label_names(&checkout),
        ["__name__", "env", "service_name"]
    );
    assert_eq!(
        store.label_values("env", &Selector::default()),
        ["dev", "prod"]
    );

    let all = format!(r#"{CPU}{{service_name="checkout"}}"#)
        .parse()
        .unwrap();
    let merged = store.merge(&all, NOW - S * 3600, NOW).unwrap().unwrap();
    assert_eq!(merged.count, 20);
    let expected: i64 = (0..10).map(|k| 100 + k + 1100 + k).sum();
    assert_eq!(total(&merged.profile, 1), expected);
    assert_eq!(merged.profile.default_sample_type, "cpu");
    assert_eq!(merged.profile.time_nanos, NOW - 100 * S);
    assert_eq!(merged.profile.duration_nanos, 100 * S);

    let prod = format!(r#"{CPU}{{service_name="checkout", env=~"pr.*"}}"#)
        .parse()
        .unwrap();
    let merged = store
        .merge(&prod, NOW - 100 * S, NOW - 50 * S)
        .unwrap()
        .unwrap();
    assert_eq!(merged.count, 5, "profiles starting in [from, until)");
    assert_eq!(
        total(&merged.profile, 1),
        (0..5).map(|k| 100 + k).sum::<i64>()
    );

    let points = store.timeline(&prod, NOW - 100 * S, NOW, 50 * S).unwrap();
    let totals: Vec<(i64, u64)> = points.iter().map(|p| (p.total, p.profiles)).collect();
    assert_eq!(totals, [(510, 5), (535, 5)]);

    let none = format!(r#"{CPU}{{service_name="nobody"}}"#)
        .parse()
        .unwrap();
    assert!(store.merge(&none, 0, NOW).unwrap().is_none());
}

#[test]
fn profiles_of_other_sample_types_are_cut_to_the_type_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let labels = [("__name__", "process_cpu"), ("service_name", "api")];
    let cpu_only = profile(
        &[("cpu", "nanoseconds")],
        ("cpu", "nanoseconds"),
        "work",
        7,
        NOW - 20 * S,
    );
    insert(
        &store,
        push(&labels, &[cpu("work", 5, NOW - 30 * S), cpu_only]),
    )
    .unwrap();
    let typed = format!("{CPU}{{}}").parse().unwrap();
    let merged = store.merge(&typed, 0, NOW).unwrap().unwrap();
    assert_eq!(
        merged.profile.sample_type,
        [ValueType::new("cpu", "nanoseconds")]
    );
    assert_eq!(total(&merged.profile, 0), 12);
    let err = store
        .merge(&"process_cpu{}".parse().unwrap(), 0, NOW)
        .unwrap_err();
    assert!(
        err.to_string().contains("give a full profile type"),
        "{err}"
    );
}

#[test]
fn retention_deletes_what_ended_before_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let labels = [("__name__", "process_cpu"), ("service_name", "api")];
    let old: Vec<Profile> = (0..5)
        .map(|k| cpu("old", 1, NOW - 1000 * S + k * S))
        .collect();
    insert(&store, push(&labels, &old)).unwrap();
    insert(&store, push(&labels, &[cpu("new", 1, NOW - 10 * S)])).unwrap();
    assert_eq!(store.delete_before(NOW - 100 * S).unwrap(), 5);
    let merged = store
        .merge(&format!("{CPU}{{}}").parse().unwrap(), 0, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(merged.count, 1);
    assert_eq!(merged.profile.function[0].name, "new");
}

#[test]
fn a_bad_profile_anywhere_in_a_push_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let labels = [("__name__", "process_cpu"), ("service_name", "api")];
    let mut request = push(
        &labels,
        &[cpu("a", 1, NOW - S), cpu("b", 1, NOW + 3600 * S)],
    );
    let err = insert(&store, request.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "series {__name__=\"process_cpu\", service_name=\"api\"}, profile 2: the profile is \
         dated 3600 s in the future; at most 600 s ahead is accepted"
    );
    request.series[0].samples[1].raw_profile = vec![0x1f, 0x8b, 1, 2, 3];
    assert!(matches!(
        insert(&store, request.clone()),
        Err(Error::BadInput(_))
    ));
    request.series[0]
        .labels
        .push(LabelPair::new("bad-name", "x"));
    assert!(insert(&store, request)
        .unwrap_err()
        .to_string()
        .ends_with("\"bad-name\" is not a valid label name"));
    assert_eq!(store.stats().unwrap().profiles, 0);
}

#[test]
fn a_push_retried_after_its_answer_was_lost_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let labels = [("__name__", "process_cpu"), ("service_name", "api")];
    let mut request = push(&labels, &[cpu("a", 1, NOW - S), cpu("b", 2, NOW - S)]);
    request.series[0].samples[0].id = "0f1e2d3c".into();
    insert(&store, request.clone()).unwrap();
    insert(&store, request).unwrap();
    assert_eq!(
        store.stats().unwrap().profiles,
        3,
        "the profile with an id once, the other twice"
    );
}
