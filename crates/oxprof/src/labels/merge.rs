//! How a label set combines with new labels when scopes or labelled futures nest.

/// `base` with `labels` laid over it: keys in `labels` replace the same keys in `base`, the other
/// keys of `base` are kept. Within `labels` the last value given for a key wins, as in Go's
/// `pprof.Labels`. `base` must be sorted by key with unique keys; so is the result.
pub(super) fn merge<'a>(
    base: &'a [(String, String)],
    labels: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut overrides = labels.to_vec();
    // Stable, so duplicates stay in call order and the dedup below keeps the last one.
    overrides.sort_by_key(|&(key, _)| key);
    overrides.dedup_by(|later, kept| {
        let same_key = later.0 == kept.0;
        if same_key {
            *kept = *later;
        }
        same_key
    });

    let mut res = Vec::with_capacity(base.len() + overrides.len());
    let mut base = base
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .peekable();
    for (key, value) in overrides {
        while let Some(kept) = base.next_if(|&(base_key, _)| base_key < key) {
            res.push(kept);
        }
        base.next_if(|&(base_key, _)| base_key == key);
        res.push((key, value));
    }
    res.extend(base);
    res
}

#[cfg(test)]
mod tests {
    use super::merge;

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(key, value)| (key.to_owned(), value.to_owned()))
            .collect()
    }

    #[test]
    fn overrides_keys_and_keeps_the_rest_sorted() {
        let base = owned(&[("a", "1"), ("c", "3"), ("e", "5")]);
        let res = merge(&base, &[("d", "new"), ("c", "over"), ("b", "new")]);
        assert_eq!(
            res,
            [
                ("a", "1"),
                ("b", "new"),
                ("c", "over"),
                ("d", "new"),
                ("e", "5")
            ]
        );
    }

    #[test]
    fn keys_past_the_end_of_base_are_appended() {
        let base = owned(&[("a", "1")]);
        assert_eq!(merge(&base, &[("z", "26")]), [("a", "1"), ("z", "26")]);
    }

    #[test]
    fn last_duplicate_in_one_call_wins() {
        let base = owned(&[("k", "base")]);
        let res = merge(&base, &[("k", "first"), ("j", "x"), ("k", "second")]);
        assert_eq!(res, [("j", "x"), ("k", "second")]);
    }

    #[test]
    fn no_labels_gives_base_back() {
        let base = owned(&[("a", "1"), ("b", "2")]);
        assert_eq!(merge(&base, &[]), [("a", "1"), ("b", "2")]);
    }

    #[test]
    fn empty_keys_and_values_are_labels_like_any_other() {
        let base = owned(&[("", "empty key")]);
        assert_eq!(
            merge(&base, &[("", "replaced"), ("v", "")]),
            [("", "replaced"), ("v", "")]
        );
    }
}
