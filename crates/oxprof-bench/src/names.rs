//! Benchmark names as `go test` shows them, and `-bench` matching as `go test` does it.

use std::collections::HashMap;

use regex::Regex;

/// Go's name for a benchmark function: `process_data` → `BenchmarkProcessData`. The last path
/// segment counts (`parsers::json` → `BenchmarkJson`); a leading `bench_` or `benchmark_` is
/// dropped rather than doubled (`bench_sort` → `BenchmarkSort`); names already spelled
/// `BenchmarkX` stay.
pub(crate) fn go_name(function: &str) -> String {
    let last = function.rsplit("::").next().unwrap_or(function).trim();
    if last.starts_with("Benchmark") {
        return last.to_string();
    }
    let lower = last.to_ascii_lowercase();
    let rest = ["benchmark_", "bench_"]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| &last[p.len()..]))
        .unwrap_or(last);
    let mut name = String::from("Benchmark");
    for word in rest.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// The full name with the parallelism suffix, Go's `benchmarkName`: `-P` unless P is 1.
pub(crate) fn with_procs(name: &str, procs: usize) -> String {
    if procs == 1 {
        name.to_string()
    } else {
        format!("{name}-{procs}")
    }
}

/// Go's `rewrite`: white space becomes `_`, unprintable characters their escapes, so a
/// sub-benchmark name is one field of a result line.
pub(crate) fn rewrite(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if is_go_space(c) {
            out.push('_');
        } else if c.is_control() {
            out.push_str(&go_escape(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// How Go's `strconv.QuoteRune` escapes an unprintable character.
fn go_escape(c: char) -> String {
    match c {
        '\u{7}' => "\\a".to_string(),
        '\u{8}' => "\\b".to_string(),
        _ if (c as u32) < 0x80 => format!("\\x{:02x}", c as u32),
        _ if (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
        _ => format!("\\U{:08x}", c as u32),
    }
}

/// Go's `isSpace` for test names (not Unicode's Z class).
fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// The `-bench` filter: one regular expression per name level (split at `/` outside brackets
/// and parentheses), alternatives at top-level `|`, as Go's `splitRegexp` reads it.
pub(crate) struct Filter {
    alternatives: Vec<Vec<Regex>>,
}

/// A `-bench` pattern that does not compile.
#[derive(Debug)]
pub(crate) struct BadPattern(pub(crate) String);

impl Filter {
    pub(crate) fn new(pattern: &str) -> Result<Filter, BadPattern> {
        let mut alternatives = Vec::new();
        for alternative in split_pattern(pattern) {
            let mut levels = Vec::new();
            for (i, part) in alternative.iter().enumerate() {
                let part = rewrite(part);
                let re = Regex::new(&part).map_err(|e| {
                    BadPattern(format!(
                        "invalid regexp for element {i} of -bench ({part:?}): {}",
                        one_line(&e.to_string())
                    ))
                })?;
                levels.push(re);
            }
            alternatives.push(levels);
        }
        Ok(Filter { alternatives })
    }

    /// Whether a name (levels joined by `/`) may run: `(ok, partial)`, where partial means the
    /// pattern has more levels than the name, so only its sub-benchmarks can match fully.
    pub(crate) fn matches(&self, name: &str) -> (bool, bool) {
        let elems: Vec<&str> = name.split('/').collect();
        for levels in &self.alternatives {
            let ok = elems.iter().zip(levels).all(|(elem, re)| re.is_match(elem));
            if ok {
                return (true, elems.len() < levels.len());
            }
        }
        (false, false)
    }
}

/// The regex crate's multi-line error (pattern, caret, message) as one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| message.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn split_pattern(s: &str) -> Vec<Vec<String>> {
    let mut alternatives = Vec::new();
    let mut levels = Vec::new();
    let (mut brackets, mut parens) = (0i32, 0i32);
    let mut current = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '[' => brackets += 1,
            // An unmatched `]` is legal.
            ']' => brackets = (brackets - 1).max(0),
            '(' if brackets == 0 => parens += 1,
            ')' if brackets == 0 => parens -= 1,
            '\\' => {
                current.push(c);
                if let Some(escaped) = chars.next() {
                    current.push(escaped);
                }
                continue;
            }
            '/' | '|' if brackets == 0 && parens == 0 => {
                levels.push(std::mem::take(&mut current));
                if c == '|' {
                    alternatives.push(std::mem::take(&mut levels));
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    levels.push(current);
    alternatives.push(levels);
    alternatives
}

/// Makes sub-benchmark names unique under their parent, Go's `unique`: the second `n=10`
/// becomes `n=10#01`, the third `n=10#02`.
#[derive(Default)]
pub(crate) struct UniqueNames {
    seen: HashMap<String, u32>,
}

impl UniqueNames {
    pub(crate) fn unique(&mut self, parent: &str, sub: &str) -> String {
        let base = match parent {
            // Sub-benchmarks of a benchmark measured on its own, without a name.
            "" => sub.to_string(),
            _ => format!("{parent}/{sub}"),
        };
        loop {
            let count = self.seen.entry(base.clone()).or_insert(0);
            let n = *count;
            *count += 1;
            if n == 0 && !sub.is_empty() {
                let (prefix, number) = split_number(&base);
                if prefix.len() < base.len() && number < self.seen.get(prefix).copied().unwrap_or(0)
                {
                    // Named "x#NN" explicitly, and #NN was already given to the NNth "x".
                    continue;
                }
                return base;
            }
            let name = format!("{base}#{n:02}");
            if self.seen.get(&name).copied().unwrap_or(0) != 0 {
                // The nth "x" collides with one explicitly named "x#NN": try the next number.
                continue;
            }
            return name;
        }
    }
}

/// Splits a `#NN` suffix that `%02d` could have written: `("a/b", 3)` for `a/b#03`.
fn split_number(s: &str) -> (&str, u32) {
    let Some(i) = s.rfind('#') else {
        return (s, 0);
    };
    let (prefix, suffix) = (&s[..i], &s[i + 1..]);
    if suffix.len() < 2 || (suffix.len() > 2 && suffix.starts_with('0')) {
        return (s, 0);
    }
    if suffix == "00" && !prefix.ends_with('/') {
        return (s, 0);
    }
    match suffix.parse::<u32>() {
        Ok(n) if suffix.bytes().all(|b| b.is_ascii_digit()) => (prefix, n),
        _ => (s, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_become_go_names() {
        assert_eq!(go_name("process_data"), "BenchmarkProcessData");
        assert_eq!(go_name("bench_sort_1k"), "BenchmarkSort1k");
        assert_eq!(go_name("parsers :: json_v2"), "BenchmarkJsonV2");
        assert_eq!(go_name("BenchmarkAlready"), "BenchmarkAlready");
        assert_eq!(go_name("x"), "BenchmarkX");
    }

    #[test]
    fn sub_names_rewritten_and_made_unique() {
        assert_eq!(rewrite("n = 10\u{1}\u{7}"), "n_=_10\\x01\\a");
        let mut u = UniqueNames::default();
        assert_eq!(u.unique("BenchmarkA", "n=10"), "BenchmarkA/n=10");
        assert_eq!(u.unique("BenchmarkA", "n=10"), "BenchmarkA/n=10#01");
        assert_eq!(u.unique("BenchmarkA", "n=10"), "BenchmarkA/n=10#02");
        assert_eq!(u.unique("BenchmarkA", ""), "BenchmarkA/#00");
        // An explicit "#01" after the generated one moves on.
        assert_eq!(u.unique("BenchmarkA", "n=10#01"), "BenchmarkA/n=10#01#01");
    }

    #[test]
    fn filter_matches_level_by_level() {
        let f = Filter::new("Map/n=1000").unwrap();
        assert_eq!(f.matches("BenchmarkMap"), (true, true));
        assert_eq!(f.matches("BenchmarkMap/n=1000"), (true, false));
        assert_eq!(f.matches("BenchmarkMap/n=10"), (false, false));
        assert_eq!(f.matches("BenchmarkJoin"), (false, false));
        let f = Filter::new("Join|Map/n=10$").unwrap();
        assert_eq!(f.matches("BenchmarkJoin/x"), (true, false));
        assert_eq!(f.matches("BenchmarkMap/n=10"), (true, false));
        assert_eq!(f.matches("BenchmarkMap/n=100"), (false, false));
        // A slash inside brackets or parentheses is part of one level.
        let f = Filter::new("A(/b)?").unwrap();
        assert_eq!(f.matches("BenchmarkA"), (true, false));
    }

    #[test]
    fn bad_pattern_names_its_element_on_one_line() {
        let err = Filter::new("A/(").err().unwrap().0;
        assert!(
            err.starts_with("invalid regexp for element 1 of -bench (\"(\"): "),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}
