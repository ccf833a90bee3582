//! The bound on `oxprof::labels`' table, end to end. A test binary of its own, since it fills the
//! process-wide table.

use oxprof::labels::{self, WithLabels};

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn sets_past_max_sets_become_the_overflow_set() {
    for n in 0..labels::MAX_SETS {
        labels::scope(&[("n", &n.to_string())], || {});
    }
    assert_eq!(labels::overflow_count(), 0);

    let overflow = set(&[("oxprof_labels", "overflow")]);
    assert_eq!(
        labels::scope(&[("n", "one too many")], labels::current),
        overflow
    );
    assert_eq!(labels::overflow_count(), 1);
    let future = std::future::ready(()).with_labels(&[("n", "another")]);
    assert_eq!(labels::overflow_count(), 2);
    drop(future);

    // Sets interned before the table filled up are still themselves.
    assert_eq!(
        labels::scope(&[("n", "0")], labels::current),
        set(&[("n", "0")])
    );
    assert_eq!(labels::overflow_count(), 2);
}
