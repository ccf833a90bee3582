//! Go's count profiles (`goroutine`, `threadcreate`, and programs' own from `pprof.NewProfile`):
//! how many of something exist now, by stack and labels. As `profile.proto`, sample type and
//! period type `<name>/count`, period 1; as `debug=1` text, Go's `printCountProfile` (the
//! frame lines' fields separated by tabs, aligned by Go's tabwriter):
//!
//! ```text
//! goroutine profile: total 9
//! 8 @ 0x55d0c1a2b3c4 0x55d0c1a2b5e6
//! # labels: {"job":"index"}
//! #   0x55d0c1a2b3c3  app::wait   src/app.rs:12
//! #   0x55d0c1a2b5e5  app::run    src/app.rs:40
//!
//! 1 @ ...
//! ```

use std::io::{self, Write};

use oxprof_profile::{Label, LabelValue, Profile, ValueType};

use crate::go_text::{align, StackPrinter};
use crate::profile_build::{BuildOptions, StackProfile};

/// An empty count profile named `name`, to add stacks to with a value of 1 each (or the count
/// of things sharing the stack).
pub(crate) fn stacks(name: &str) -> StackProfile {
    StackProfile::new(
        vec![ValueType::new(name, "count")],
        ValueType::new(name, "count"),
        1,
    )
}

/// The symbolized profile of `stacks`, taken now.
pub(crate) fn build(stacks: StackProfile, comments: Vec<String>) -> Profile {
    stacks.build(&BuildOptions::snapshot(comments))
}

/// Writes `profile` as Go's `debug=1` count text: `<name> profile: total <sum>`, then one
/// record per sample, the largest count first (ties in the order of their text, as Go sorts
/// them), each its count, ` @ ` and its return addresses, its labels, and its frames.
/// Locations without an address (oxprof's synthetic frames) are left out of the records: the
/// format has no way to say them.
pub(crate) fn write_text(profile: &Profile, mut w: impl Write) -> io::Result<()> {
    let name = profile
        .sample_type
        .first()
        .map_or("count", |t| t.ty.as_str());
    let printer = StackPrinter::new(profile);
    let addressed: std::collections::HashSet<u64> = profile
        .location
        .iter()
        .filter(|l| l.address != 0)
        .map(|l| l.id)
        .collect();
    let mut total = 0i64;
    let mut records: Vec<(i64, String, String)> = Vec::new();
    for sample in &profile.sample {
        let count = sample.value.first().copied().unwrap_or(0);
        total += count;
        let ids: Vec<u64> = sample
            .location_id
            .iter()
            .copied()
            .filter(|id| addressed.contains(id))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let mut record = String::new();
        printer.write_stack(&mut record, &ids);
        // Go's sort key: the ` @ …` line and the labels line under it.
        let line_end = record.find('\n').map_or(record.len(), |i| i + 1);
        let mut key = record[1..line_end].to_owned();
        if let Some(labels) = labels_text(&sample.label) {
            let labels_line = format!("# labels: {labels}\n");
            record.insert_str(line_end, &labels_line);
            key.push_str(&labels_line);
        }
        records.push((count, key, record));
    }
    records.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut text = format!("{name} profile: total {total}\n");
    for (count, _, record) in records {
        text.push_str(&count.to_string());
        text.push_str(&record);
    }
    w.write_all(align(&text).as_bytes())
}

/// A sample's string labels as Go prints a label set, `{"k":"v", "k2":"v2"}`, sorted; `None`
/// when it has none.
pub(crate) fn labels_text(labels: &[Label]) -> Option<String> {
    let mut pairs: Vec<String> = labels
        .iter()
        .filter_map(|label| match &label.value {
            LabelValue::Str(value) => Some(format!("{:?}:{value:?}", label.key)),
            LabelValue::Num { .. } => None,
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort();
    Some(format!("{{{}}}", pairs.join(", ")))
}

#[cfg(test)]
mod tests {
    use oxprof_profile::{Function, Line, Location, Sample};

    use super::*;

    fn sample(locations: &[u64], count: i64, labels: Vec<Label>) -> Sample {
        Sample {
            location_id: locations.to_vec(),
            value: vec![count],
            label: labels,
        }
    }

    #[test]
    fn records_go_by_count_then_text_with_labels_under_the_addresses() {
        let location = |id: u64, address: u64| Location {
            id,
            address,
            line: vec![Line {
                function_id: id,
                line: id as i64,
                column: 0,
            }],
            ..Location::default()
        };
        let function = |id: u64, name: &str| Function {
            id,
            name: name.into(),
            filename: "src/a.rs".into(),
            ..Function::default()
        };
        let profile = Profile {
            sample_type: vec![ValueType::new("goroutine", "count")],
            sample: vec![
                sample(&[2, 1], 1, vec![]),
                sample(&[1], 3, vec![Label::str("k", "v"), Label::num("n", 1, "")]),
                sample(&[1, 3], 1, vec![]),
            ],
            location: vec![location(1, 0x1000), location(2, 0x2000), location(3, 0)],
            function: vec![
                function(1, "a::run"),
                function(2, "a::wait"),
                function(3, "oxprof::truncated"),
            ],
            ..Profile::default()
        };
        let mut out = Vec::new();
        write_text(&profile, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = "goroutine profile: total 5\n\
                        3 @ 0x1001\n\
                        # labels: {\"k\":\"v\"}\n\
                        #\t0x1000\ta::run\tsrc/a.rs:1\n\
                        \n\
                        1 @ 0x1001\n\
                        #\t0x1000\ta::run\tsrc/a.rs:1\n\
                        \n\
                        1 @ 0x2001 0x1001\n\
                        #\t0x2000\ta::wait\tsrc/a.rs:2\n\
                        #\t0x1000\ta::run\tsrc/a.rs:1\n\
                        \n";
        assert_eq!(text, expected);
        let parsed = Profile::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.sample_type, [ValueType::new("goroutine", "count")]);
        let mut counts: Vec<i64> = parsed.sample.iter().map(|s| s.value[0]).collect();
        counts.sort();
        assert_eq!(counts, [1, 1, 3]);
    }

    #[test]
    fn label_sets_print_sorted_and_quoted() {
        let labels = [Label::str("z", "1"), Label::str("a", "say \"hi\"")];
        assert_eq!(
            labels_text(&labels).unwrap(),
            r#"{"a":"say \"hi\"", "z":"1"}"#
        );
        assert_eq!(labels_text(&[Label::num("n", 1, "")]), None);
    }
}
