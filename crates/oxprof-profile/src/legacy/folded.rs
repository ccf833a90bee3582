//! Folded stacks, the text format of Brendan Gregg's flame graph tools: one `a;b;c 123` line
//! per stack, root first, frames separated by `;`, the count after the last run of whitespace.
//! A differential file (`difffolded.pl`) has two counts on every line, before and after; it reads as a
//! `-diff_base` comparison: the "after" counts as samples, the "before" counts negated and
//! labelled [`DIFF_BASE_LABEL`](crate::DIFF_BASE_LABEL), so every report sees it as pprof sees a
//! profile compared with its base.
//!
//! Folded stacks carry names only: each distinct frame becomes a function and a location without
//! an address, and the one sample type is `samples/count`.

use std::collections::HashMap;

use super::malformed;
use super::text::lines;
use crate::{
    Error, ErrorKind, Function, Label, Line, Location, Profile, Result, Sample, ValueType,
};

/// Folded stacks as a profile, or `None` when the data does not look like folded stacks: it must
/// be UTF-8 text whose first line that is neither blank nor a `#` comment has a frame separator
/// (`;`) or ends with a whitespace-separated count. Once the data is taken as folded stacks,
/// any bad line is an error naming it.
pub(super) fn parse(data: &[u8]) -> Result<Option<Profile>> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(None);
    };
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    let Some(first) = text.lines().map(str::trim).find(|l| !skipped(l)) else {
        return Ok(None);
    };
    if text.contains(control) || !(first.contains(';') || split_count(first).is_some()) {
        return Ok(None);
    }
    parse_folded(data).map(Some)
}

/// Reads folded stacks; see [`Profile::parse_folded`].
pub(super) fn parse_folded(data: &[u8]) -> Result<Profile> {
    if let Err(e) = std::str::from_utf8(data) {
        let valid = &data[..e.valid_up_to()];
        let number = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let offset = valid
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        return Err(malformed(offset, format!("line {number}: not valid UTF-8")));
    }
    let stack_lines = || {
        lines(data)
            .enumerate()
            .map(|(index, line)| (index + 1, line.offset, line.text))
            .filter(|(_, _, text)| !skipped(text.trim()))
    };
    // Differential only if every line has two counts: then anything oxprof writes reads back
    // the same, whatever its frame names end in.
    let mut any = false;
    let differential = stack_lines().all(|(_, _, text)| {
        any = true;
        split_last_word(text.trim())
            .is_some_and(|(head, last)| parse_count(last).is_ok() && split_count(head).is_some())
    });
    if !any {
        return Err(Error::new(ErrorKind::UnrecognizedFormat(
            "folded stacks without a single stack line".into(),
        )));
    }
    let mut builder = Builder::default();
    for (number, offset, text) in stack_lines() {
        let bad = |reason: String| malformed(offset, format!("line {number}: {reason}"));
        let (stack, counts) = split_line(text.trim(), differential).map_err(bad)?;
        builder.add(stack, &counts).map_err(bad)?;
    }
    Ok(builder.finish(differential))
}

/// Blank lines and `#` comments carry no stack.
fn skipped(line: &str) -> bool {
    line.is_empty() || line.starts_with('#')
}

/// The text before the last whitespace and the word after it, when there is whitespace.
fn split_last_word(text: &str) -> Option<(&str, &str)> {
    let at = text.rfind(char::is_whitespace)?;
    let (head, tail) = text.split_at(at);
    Some((head.trim_end(), tail.trim_start()))
}

/// The stack and the count of a line ending in a whole number, or `None`.
fn split_count(text: &str) -> Option<(&str, i64)> {
    let (stack, word) = split_last_word(text)?;
    Some((stack, parse_count(word).ok()?))
}

/// A count: an optionally negative decimal integer that fits in 64 bits.
fn parse_count(word: &str) -> std::result::Result<i64, String> {
    let digits = word.strip_prefix('-').unwrap_or(word);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "count {} is not a whole number",
            super::quote(word)
        ));
    }
    word.parse()
        .map_err(|_| format!("count {word} does not fit in 64 bits"))
}

/// Splits a line into its stack and its counts: two (before and after) in a differential file.
fn split_line(text: &str, differential: bool) -> std::result::Result<(&str, Vec<i64>), String> {
    let Some((stack, word)) = split_last_word(text) else {
        if parse_count(text).is_ok() {
            return Err(format!("no stack before the count {text}"));
        }
        return Err(format!(
            "no count after the stack in {} (want \"frame;frame;... count\")",
            super::quote(text)
        ));
    };
    let last = parse_count(word)?;
    let (stack, counts) = match split_count(stack).filter(|_| differential) {
        Some((stack, before)) => (stack, vec![before, last]),
        None => (stack, vec![last]),
    };
    if stack.split(';').any(|frame| frame.trim().is_empty()) {
        return Err(format!("empty frame name in {}", super::quote(stack)));
    }
    Ok((stack, counts))
}

/// Functions, locations and samples as lines arrive: one function and one location per distinct
/// frame name, one sample per distinct stack.
#[derive(Default)]
struct Builder {
    frame_ids: HashMap<String, u64>,
    names: Vec<String>,
    /// Per distinct stack (location ids, leaf first): its counts, in the order of the columns.
    stacks: HashMap<Vec<u64>, Vec<i64>>,
    order: Vec<Vec<u64>>,
    /// Sum of the absolute counts per column, kept below overflow so no report's totals wrap.
    totals: Vec<i64>,
}

impl Builder {
    fn add(&mut self, stack: &str, counts: &[i64]) -> std::result::Result<(), String> {
        let overflow = || "the counts add up to more than 64 bits hold".to_string();
        self.totals.resize(counts.len(), 0);
        for (total, count) in self.totals.iter_mut().zip(counts) {
            *total = total
                .checked_add(count.checked_abs().ok_or_else(overflow)?)
                .ok_or_else(overflow)?;
        }
        // Named root first, so callers get the lower ids; samples list the leaf first. A carriage
        // return inside a name becomes a space, as `oxprof -folded` writes it.
        let mut ids: Vec<u64> = stack
            .split(';')
            .map(|f| self.frame_id(&f.trim().replace('\r', " ")))
            .collect();
        ids.reverse();
        match self.stacks.get_mut(&ids) {
            Some(sums) => {
                for (sum, count) in sums.iter_mut().zip(counts) {
                    *sum = sum.checked_add(*count).ok_or_else(overflow)?;
                }
            }
            None => {
                self.order.push(ids.clone());
                self.stacks.insert(ids, counts.to_vec());
            }
        }
        Ok(())
    }

    fn frame_id(&mut self, name: &str) -> u64 {
        if let Some(&id) = self.frame_ids.get(name) {
            return id;
        }
        self.names.push(name.to_string());
        let id = self.names.len() as u64;
        self.frame_ids.insert(name.to_string(), id);
        id
    }

    fn finish(mut self, differential: bool) -> Profile {
        let mut sample = Vec::with_capacity(self.order.len());
        for ids in self.order {
            let counts = self.stacks.remove(&ids).unwrap_or_default();
            let one = |value: i64, label: Vec<Label>| Sample {
                location_id: ids.clone(),
                value: vec![value],
                label,
            };
            if differential {
                let base = Label::str(crate::DIFF_BASE_LABEL, "true");
                let (before, after) = (counts[0], counts[1]);
                sample.extend((after != 0).then(|| one(after, Vec::new())));
                sample.extend((before != 0).then(|| one(before.wrapping_neg(), vec![base])));
            } else {
                sample.push(one(counts[0], Vec::new()));
            }
        }
        let kind = ValueType::new("samples", "count");
        Profile {
            sample_type: vec![kind.clone()],
            period_type: Some(kind),
            period: 1,
            sample,
            location: (1..=self.names.len() as u64)
                .map(|id| Location {
                    id,
                    line: vec![Line {
                        function_id: id,
                        ..Line::default()
                    }],
                    ..Location::default()
                })
                .collect(),
            function: self
                .names
                .into_iter()
                .zip(1..)
                .map(|(name, id)| Function {
                    id,
                    system_name: name.clone(),
                    name,
                    ..Function::default()
                })
                .collect(),
            ..Profile::default()
        }
    }
}

impl Profile {
    /// Reads folded stacks (`a;b;c 123` per line, root first, as Brendan Gregg's
    /// `stackcollapse` tools and `oxprof -folded` write them). Blank lines and `#` comments are
    /// skipped; identical stacks add up. A file whose every stack line has two counts is
    /// differential (before and after, as `difffolded.pl` writes): it reads as a comparison with
    /// a `-diff_base`. Otherwise the last word is the count and the rest the stack, so frame
    /// names may contain spaces and end in numbers. [`Profile::parse`] recognizes folded stacks by their content; this reads
    /// nothing else, so its errors say what is wrong with the file as folded stacks, naming the
    /// line.
    ///
    /// ```
    /// let p = oxprof_profile::Profile::parse_folded(b"main;work;hash 30\nmain;idle 5\n")?;
    /// assert_eq!(p.sample_type[0].ty, "samples");
    /// assert_eq!(p.sample[0].value, [30]);
    /// let leaf = p.sample[0].location_id[0]; // leaf first, as in every profile
    /// assert_eq!(p.function[leaf as usize - 1].name, "hash");
    ///
    /// let err = oxprof_profile::Profile::parse_folded(b"main;work 30\nmain;idle 5x\n").unwrap_err();
    /// assert_eq!(err.to_string(), "malformed profile: line 2: count \"5x\" is not a whole number at offset 13");
    /// # Ok::<(), oxprof_profile::Error>(())
    /// ```
    pub fn parse_folded(data: &[u8]) -> Result<Profile> {
        let data = if data.starts_with(&[0x1f, 0x8b]) {
            std::borrow::Cow::Owned(crate::decode::inflate(data, crate::decode::MAX_INFLATED)?)
        } else {
            std::borrow::Cow::Borrowed(data)
        };
        parse_folded(&data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(data: &str) -> String {
        Profile::parse_folded(data.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            err("a;b 1\na;c\n"),
            "malformed profile: line 2: no count after the stack in \"a;c\" (want \"frame;frame;... count\") at offset 6"
        );
        assert_eq!(
            err("a;b 1\n\n# note\na;c 1.5\n"),
            "malformed profile: line 4: count \"1.5\" is not a whole number at offset 14"
        );
        assert_eq!(
            err("a 99999999999999999999\n"),
            "malformed profile: line 1: count 99999999999999999999 does not fit in 64 bits at offset 0"
        );
        assert_eq!(
            err("a 9223372036854775807\nb 1\n"),
            "malformed profile: line 2: the counts add up to more than 64 bits hold at offset 22"
        );
        assert_eq!(
            err("a -9223372036854775808\n"),
            "malformed profile: line 1: the counts add up to more than 64 bits hold at offset 0"
        );
        assert_eq!(
            err("a;;b 3\n"),
            "malformed profile: line 1: empty frame name in \"a;;b\" at offset 0"
        );
        assert_eq!(
            err(" 3\n"),
            "malformed profile: line 1: no stack before the count 3 at offset 0"
        );
        assert_eq!(
            err("\n# nothing\n"),
            "unrecognized profile format: folded stacks without a single stack line"
        );
        assert_eq!(
            Profile::parse_folded(b"a 1\nb\xff 2\n")
                .unwrap_err()
                .to_string(),
            "malformed profile: line 2: not valid UTF-8 at offset 4"
        );
    }

    #[test]
    fn detection_leaves_other_text_alone() {
        assert!(parse(b"hello world").unwrap().is_none());
        assert!(parse(b"\x00\x01 5").unwrap().is_none());
        assert!(parse(b"a;b 5\x07\n").unwrap().is_none());
        assert!(parse(b"# c\n\nmain;x 5").unwrap().is_some());
        assert!(
            parse(b"a;b 5x").is_err(),
            "a frame separator makes it folded"
        );
    }

    #[test]
    fn stacks_merge_and_frames_are_shared() {
        let p = Profile::parse_folded(b"main;a 2\nmain;b 3\r\nmain;a 4\n").unwrap();
        assert_eq!(p.function.len(), 3);
        assert_eq!(p.location.len(), 3);
        let values: Vec<(Vec<u64>, Vec<i64>)> = p
            .sample
            .iter()
            .map(|s| (s.location_id.clone(), s.value.clone()))
            .collect();
        assert_eq!(values, [(vec![2, 1], vec![6]), (vec![3, 1], vec![3])]);
        p.validate().unwrap();
    }

    #[test]
    fn two_counts_read_as_a_diff_base() {
        let p = Profile::parse_folded(b"main;grew 1 5\nmain;shrank 4 2\nmain;gone 3 0\n").unwrap();
        let by_leaf = |name: &str| -> Vec<(i64, bool)> {
            let id = p.function.iter().find(|f| f.name == name).unwrap().id;
            p.sample
                .iter()
                .filter(|s| s.location_id[0] == id)
                .map(|s| (s.value[0], s.is_diff_base()))
                .collect()
        };
        assert_eq!(by_leaf("grew"), [(5, false), (-1, true)]);
        assert_eq!(by_leaf("shrank"), [(2, false), (-4, true)]);
        assert_eq!(by_leaf("gone"), [(-3, true)]);
    }

    #[test]
    fn names_keep_spaces_and_may_end_in_digits() {
        let p = Profile::parse_folded(b"main;<[u8 32] as Debug>::fmt 7\nmain;f 1\n").unwrap();
        assert_eq!(p.function[1].name, "<[u8 32] as Debug>::fmt");
        let p = Profile::parse_folded(b"main;x 2 7\n").unwrap();
        assert_eq!(
            p.function[1].name, "x",
            "a second count makes the file differential"
        );
    }
}
