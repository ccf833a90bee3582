//! The `/proc/self/maps` text that legacy profiles carry, and pprof's heuristics for turning it
//! into [`Mapping`]s and attaching every address to one of them.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{is_memory_map_sentinel, Line};
use crate::Mapping;

// Go's `\s` is ASCII-only, so the class is spelled out; Rust's would also take Unicode spaces.
const SP: &str = r"[\t\n\f\r ]";
const NSP: &str = r"[^\t\n\f\r ]";

fn proc_maps_re() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let range =
            format!(r"^{SP}*(?:0x)?([[:xdigit:]]+)(?:{SP}|-)?{SP}*(?:0x)?([[:xdigit:]]+):?");
        Regex::new(&format!(
            r"{range}(?:{SP}+([-rwxp]+))?(?:{SP}+([[:xdigit:]]+))?{SP}+[[:xdigit:]]+:[[:xdigit:]]+{SP}+[0-9]+(?:{SP}+({NSP}+))?"
        ))
        .unwrap()
    });
    &RE
}

fn brief_maps_re() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let range =
            format!(r"^{SP}*(?:0x)?([[:xdigit:]]+)(?:{SP}|-)?{SP}*(?:0x)?([[:xdigit:]]+):?");
        Regex::new(&format!(
            r"{range}(?:{SP}+([-rwxp]+))?(?:{SP}+({NSP}+))?(?:{SP}+\(@([[:xdigit:]]+)\))?(?:{SP}+([[:xdigit:]]+))?"
        ))
        .unwrap()
    });
    &RE
}

/// Parses the executable mappings listed in `text`, in either the `/proc/self/maps` layout or
/// pprof's brief `start-end file (@offset) buildid` layout. Lines of other shapes are skipped,
/// except `key=value` lines, which define `$key` for substitution in the lines after them.
pub(super) fn parse_proc_maps<'a>(lines: impl Iterator<Item = Line<'a>>) -> Vec<Mapping> {
    static LOG_PREFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"^[^\[\]]+:[0-9]+\]{SP}")).unwrap());
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut mappings = Vec::new();
    for raw in lines {
        let raw = &*raw.text;
        let unlogged = LOG_PREFIX.find(raw).map_or(raw, |m| &raw[m.end()..]);
        let line = substitute(unlogged, &vars);
        match parse_entry(&line) {
            Entry::Mapping(m) => mappings.push(m),
            Entry::NotExecutable => {}
            Entry::Unrecognized => {
                if let Some((key, value)) = line.split_once('=') {
                    vars.push((format!("${}", key.trim()), value.trim().to_string()));
                }
            }
        }
    }
    mappings
}

/// The mappings of the memory map section that starts at `current` or at a later line of `rest`
/// (pprof's `parseAdditionalSections`); none when there is no such section.
pub(super) fn trailing_section<'a>(
    current: &str,
    mut rest: impl Iterator<Item = Line<'a>>,
) -> Vec<Mapping> {
    if !is_memory_map_sentinel(current) && !rest.any(|l| is_memory_map_sentinel(&l.text)) {
        return Vec::new();
    }
    parse_proc_maps(rest)
}

/// Replaces `$key` occurrences left to right; at each position the earliest defined key that
/// matches wins, as with Go's `strings.NewReplacer`.
fn substitute(line: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    'outer: while let Some(c) = rest.chars().next() {
        for (key, value) in vars {
            if let Some(after) = rest.strip_prefix(key.as_str()) {
                out.push_str(value);
                rest = after;
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

enum Entry {
    Mapping(Mapping),
    NotExecutable,
    Unrecognized,
}

/// A capture group's text; groups that did not take part in the match read as "", as in Go.
fn group<'h>(c: &regex::Captures<'h>, i: usize) -> &'h str {
    c.get(i).map_or("", |m| m.as_str())
}

fn parse_entry(line: &str) -> Entry {
    let [start, end, perm, file, offset, build_id] = if let Some(c) = proc_maps_re().captures(line)
    {
        [
            group(&c, 1),
            group(&c, 2),
            group(&c, 3),
            group(&c, 5),
            group(&c, 4),
            "",
        ]
    } else if let Some(c) = brief_maps_re().captures(line) {
        [1, 2, 3, 4, 5, 6].map(|i| group(&c, i))
    } else {
        return Entry::Unrecognized;
    };
    if !perm.is_empty() && !perm.contains('x') {
        return Entry::NotExecutable;
    }
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    let offset = if offset.is_empty() {
        Some(0)
    } else {
        hex(offset)
    };
    let (Some(memory_start), Some(memory_limit), Some(file_offset)) =
        (hex(start), hex(end), offset)
    else {
        return Entry::Unrecognized;
    };
    Entry::Mapping(Mapping {
        memory_start,
        memory_limit,
        file_offset,
        filename: file.to_string(),
        build_id: build_id.to_string(),
        ..Mapping::default()
    })
}

/// Merges mappings split into adjacent pieces and moves the likely main binary first
/// (pprof's `massageMappings`).
pub(super) fn massage(mappings: Vec<Mapping>) -> Vec<Mapping> {
    let mut merged: Vec<Mapping> = Vec::with_capacity(mappings.len());
    for m in mappings {
        match merged.last_mut() {
            Some(last) if adjacent(last, &m) => {
                last.memory_limit = m.memory_limit;
                if !m.filename.is_empty() {
                    last.filename = m.filename;
                }
                if !m.build_id.is_empty() {
                    last.build_id = m.build_id;
                }
            }
            _ => merged.push(m),
        }
    }
    if let Some(main) = merged.iter().position(looks_like_main_binary) {
        merged.swap(0, main);
    }
    merged
}

fn adjacent(m1: &Mapping, m2: &Mapping) -> bool {
    let differ = |a: &str, b: &str| !a.is_empty() && !b.is_empty() && a != b;
    if differ(&m1.filename, &m2.filename) || differ(&m1.build_id, &m2.build_id) {
        return false;
    }
    if m1.memory_limit != m2.memory_start {
        return false;
    }
    m1.file_offset == 0
        || m2.file_offset == 0
        || m1
            .file_offset
            .wrapping_add(m1.memory_limit.wrapping_sub(m1.memory_start))
            == m2.file_offset
}

fn looks_like_main_binary(m: &Mapping) -> bool {
    static LIB: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([.]so$|[.]so[._][0-9]+)").unwrap());
    let file = m.filename.replace("(deleted)", "");
    let file = file.trim();
    !file.is_empty() && !LIB.is_match(file) && !file.starts_with('[')
}

/// Gives every non-zero address the id of the mapping holding it, creating a catch-all mapping
/// when none does, and numbers the mappings 1..n (pprof's `remapMappingIDs`).
///
/// Returns one mapping id per address (0 for address 0).
pub(super) fn assign(mappings: &mut Vec<Mapping>, addresses: &[u64]) -> Vec<u64> {
    if mappings.len() > 1
        && mappings[0].filename.starts_with("/anon_hugepage")
        && mappings[0].memory_limit == mappings[1].memory_start
    {
        mappings.remove(0);
    }
    // Some loaders report the main binary's text mapping at its file offset; a start of exactly
    // 0x400000 once the offset is removed is the classic non-PIE load address.
    const EXPECTED_START: u64 = 0x400000;
    if let Some(m) = mappings.first_mut() {
        if m.memory_start.wrapping_sub(m.file_offset) == EXPECTED_START {
            m.memory_start = EXPECTED_START;
            m.file_offset = 0;
        }
    }
    let mut fake = None;
    let owners = addresses
        .iter()
        .map(|&a| {
            if a == 0 {
                return None;
            }
            if let Some(i) = mappings
                .iter()
                .position(|m| m.memory_start <= a && a < m.memory_limit)
            {
                return Some(i);
            }
            // Legacy writers could drop the first piece of a mapping split in two; the offset
            // tells where it really started.
            if let Some(i) = mappings.iter().position(|m| {
                m.file_offset != 0
                    && m.memory_start.wrapping_sub(m.file_offset) <= a
                    && a < m.memory_start
            }) {
                let m = &mut mappings[i];
                m.memory_start = m.memory_start.wrapping_sub(m.file_offset);
                m.file_offset = 0;
                return Some(i);
            }
            Some(*fake.get_or_insert_with(|| {
                mappings.push(Mapping {
                    memory_limit: u64::MAX,
                    ..Mapping::default()
                });
                mappings.len() - 1
            }))
        })
        .collect::<Vec<_>>();
    for (i, m) in mappings.iter_mut().enumerate() {
        m.id = i as u64 + 1;
    }
    owners
        .into_iter()
        .map(|o| o.map_or(0, |i| i as u64 + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::text::lines;

    #[test]
    fn proc_maps_keep_executable_entries() {
        let text = "00400000-00fcb000 r-xp 00000000 00:00 1 /bin/app\n\
                    00fcb000-00fcc000 rw-p 00bcb000 00:00 1 /bin/app\n\
                    7f00-7f80 r-xp 00001000 08:01 7 /lib/libc.so.6\n\
                    garbage\n";
        let m = parse_proc_maps(lines(text.as_bytes()));
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].memory_start, m[0].memory_limit, &*m[0].filename),
            (0x400000, 0xfcb000, "/bin/app")
        );
        assert_eq!(
            (m[1].file_offset, &*m[1].filename),
            (0x1000, "/lib/libc.so.6")
        );
    }

    #[test]
    fn brief_maps_with_variables_and_log_prefixes() {
        let text = "BUILD=abc123\n\
                    I0101 00:00:00.000 main.cc:12] 0x1000-0x2000 /bin/app (@400) $BUILD\n";
        let m = parse_proc_maps(lines(text.as_bytes()));
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].file_offset, &*m[0].build_id, &*m[0].filename),
            (0x400, "abc123", "/bin/app")
        );
    }

    #[test]
    fn massage_merges_pieces_and_puts_the_binary_first() {
        let m = |s, l, f: &str| Mapping {
            memory_start: s,
            memory_limit: l,
            filename: f.into(),
            ..Mapping::default()
        };
        let out = massage(vec![
            m(0, 10, "/lib/x.so"),
            m(10, 20, "/lib/x.so"),
            m(30, 40, "/bin/app"),
            m(50, 60, "[vdso]"),
        ]);
        assert_eq!(
            out.iter().map(|m| &*m.filename).collect::<Vec<_>>(),
            ["/bin/app", "/lib/x.so", "[vdso]"]
        );
        assert_eq!((out[1].memory_start, out[1].memory_limit), (0, 20));
    }

    #[test]
    fn unmapped_addresses_share_a_catch_all_mapping() {
        let mut maps = vec![Mapping {
            memory_start: 0x1000,
            memory_limit: 0x2000,
            ..Mapping::default()
        }];
        let ids = assign(&mut maps, &[0x1500, 0x9000, 0, 0x9999]);
        assert_eq!(ids, [1, 2, 0, 2]);
        assert_eq!((maps[1].id, maps[1].memory_limit), (2, u64::MAX));
    }
}
