//! Line splitting and number syntax shared by the legacy text parsers, with the exact rules of
//! Go's `bufio.ScanLines` and `strconv`, since pprof's acceptance of a file hinges on them.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// One line of input and the byte offset where it starts.
pub(super) struct Line<'a> {
    pub(super) offset: usize,
    pub(super) text: Cow<'a, str>,
}

/// Splits data into lines like Go's `bufio.ScanLines`: on `\n`, dropping one trailing `\r`,
/// with no empty last line after a final newline. Invalid UTF-8 becomes U+FFFD, which is how
/// Go's regular expressions see it too.
pub(super) fn lines(data: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let empty = data.is_empty();
    let mut offset = 0;
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(move |l| {
            let start = offset;
            offset += l.len() + 1;
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            Line {
                offset: start,
                text: String::from_utf8_lossy(l),
            }
        })
}

/// A line pprof skips: blank, or a `#` comment after leading space.
pub(super) fn is_space_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// A line that starts the `/proc/self/maps` section of a legacy profile.
pub(super) fn is_memory_map_sentinel(line: &str) -> bool {
    line.contains("--- Memory map: ---") || line.contains("MAPPED_LIBRARIES:")
}

/// Every `0x…` number in `s`, or the first one that does not fit 64 bits.
pub(super) fn hex_addresses(s: &str) -> Result<Vec<u64>, String> {
    static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new("0x[0-9a-f]+").unwrap());
    HEX.find_iter(s)
        .map(|m| u64::from_str_radix(&m.as_str()[2..], 16).map_err(|_| m.as_str().to_string()))
        .collect()
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then a `0x`, `0o`, `0b` or bare `0`
/// (octal) prefix, with `_` digit separators allowed where Go's literal syntax allows them.
pub(super) fn parse_int_base0(s: &str) -> Option<i64> {
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint_base0(unsigned)?;
    if negative {
        (magnitude <= 1 << 63).then(|| (magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = match (b[0], b.get(1).map(u8::to_ascii_lowercase)) {
        (b'0', Some(b'x')) if b.len() >= 3 => (16, &s[2..]),
        (b'0', Some(b'o')) if b.len() >= 3 => (8, &s[2..]),
        (b'0', Some(b'b')) if b.len() >= 3 => (2, &s[2..]),
        (b'0', _) => (8, &s[1..]),
        _ => (10, s),
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' {
            underscores = true;
            continue;
        }
        let d = c.to_digit(base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    (!underscores || underscore_ok(s)).then_some(n)
}

/// Go's rule for `_` in integer literals: only between digits, or right after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut saw = b'^';
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_go_scanner() {
        let split = |d: &'static [u8]| {
            lines(d)
                .map(|l| (l.offset, l.text.into_owned()))
                .collect::<Vec<_>>()
        };
        let own = |v: &[(usize, &str)]| {
            v.iter()
                .map(|&(o, s)| (o, s.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            split(b"a\r\nb\n\nc"),
            own(&[(0, "a"), (3, "b"), (5, ""), (6, "c")])
        );
        assert_eq!(split(b"a\n"), own(&[(0, "a")]));
        assert_eq!(split(b""), own(&[]));
        assert_eq!(split(b"\n"), own(&[(0, "")]));
        assert_eq!(split(b"\xff\n"), own(&[(0, "\u{fffd}")]));
    }

    #[test]
    fn base0_integers_follow_strconv() {
        assert_eq!(parse_int_base0("2445402490"), Some(2445402490));
        assert_eq!(parse_int_base0("0x10"), Some(16));
        assert_eq!(parse_int_base0("010"), Some(8));
        assert_eq!(parse_int_base0("0"), Some(0));
        assert_eq!(parse_int_base0("-0b11"), Some(-3));
        assert_eq!(parse_int_base0("1_000"), Some(1000));
        assert_eq!(parse_int_base0("0x_1f"), Some(31));
        assert_eq!(parse_int_base0("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "08",
            "0x",
            "1__0",
            "_1",
            "1_",
            "9223372036854775808",
            " 1",
            "1e3",
        ] {
            assert_eq!(parse_int_base0(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_addresses_reject_overflow() {
        assert_eq!(hex_addresses("@ 0x1 0xff").unwrap(), [1, 255]);
        assert_eq!(
            hex_addresses("0x10000000000000000").unwrap_err(),
            "0x10000000000000000"
        );
    }
}
