//! [`Profile::parse`]: every input format `go tool pprof` reads. Protobuf goes to
//! [`Profile::decode`]; the legacy formats each have a module here and, like pprof, produce
//! unsymbolized profiles (addresses and mappings only).

mod contention;
mod count;
mod cpu;
mod folded;
mod heap;
mod maps;
mod stacks;
mod text;

use crate::{Error, ErrorKind, Profile, Result};

impl Profile {
    /// Parses a profile in any format pprof reads: `profile.proto` (gzipped or not), Go's
    /// `debug=1` text profiles (heap, mutex, block, goroutine, threadcreate) and the gperftools
    /// binary CPU format, gzipped or not, and folded stacks ([`Profile::parse_folded`]). Legacy
    /// formats carry no symbols, so their locations hold addresses only, tied to the mappings
    /// listed in the profile's memory map section (or to one catch-all mapping).
    ///
    /// ```
    /// let text = b"goroutine profile: total 3\n3 @ 0x45e7c5 0x4011f1\n";
    /// let p = oxprof_profile::Profile::parse(text).unwrap();
    /// assert_eq!(p.sample_type[0].ty, "goroutine");
    /// assert_eq!(p.sample[0].value, [3]);
    /// assert_eq!(p.location[0].address, 0x45e7c4); // the call, not the return address
    ///
    /// let err = oxprof_profile::Profile::parse(b"hello world").unwrap_err();
    /// assert!(matches!(err.kind(), oxprof_profile::ErrorKind::UnrecognizedFormat(_)));
    /// ```
    pub fn parse(data: &[u8]) -> Result<Profile> {
        if data.is_empty() {
            return Err(Error::new(ErrorKind::UnrecognizedFormat(
                "empty input".into(),
            )));
        }
        let inflated;
        let data = if data.starts_with(&[0x1f, 0x8b]) {
            inflated = crate::decode::inflate(data, crate::decode::MAX_INFLATED)?;
            &inflated[..]
        } else {
            data
        };
        for parser in [cpu::parse, heap::parse, count::parse, contention::parse] {
            if let Some(profile) = parser(data)? {
                return Ok(profile);
            }
        }
        if let Some(profile) = folded::parse(data)? {
            return Ok(profile);
        }
        if looks_like_protobuf(data) {
            Profile::decode(data)
        } else {
            Err(unrecognized(data))
        }
    }
}

/// Whether the data can start a `Profile` message: a field tag of 1..=15 with a wire type the
/// schema uses. Text and other binary formats fail this at the first byte, so the caller can say
/// "unrecognized" instead of reporting a protobuf error about data that never was protobuf.
fn looks_like_protobuf(data: &[u8]) -> bool {
    let Some(&tag) = data.first() else {
        return false;
    };
    let (field, wire) = (tag >> 3, tag & 7);
    let text_like = data
        .iter()
        .take(64)
        .all(|&b| b == b'\t' || b == b'\n' || b == b'\r' || (0x20..0x7f).contains(&b));
    (1..=15).contains(&field) && (wire == 0 || wire == 2) && !text_like
}

fn unrecognized(data: &[u8]) -> Error {
    let head: String = String::from_utf8_lossy(&data[..data.len().min(16)])
        .escape_debug()
        .collect();
    Error::new(ErrorKind::UnrecognizedFormat(format!(
        "data starting with \"{head}\""
    )))
}

/// An error about the legacy text or binary at byte `offset` (of the inflated data).
fn malformed(offset: usize, reason: impl Into<String>) -> Error {
    Error::new(ErrorKind::Malformed {
        offset,
        reason: reason.into(),
    })
}

/// A line quoted in an error message, cut short so the message stays one line.
fn quote(line: &str) -> String {
    const MAX: usize = 60;
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &line[..cut]),
        None => format!("{line:?}"),
    }
}

/// Go's `int64(f)` on amd64: out-of-range and NaN values become `i64::MIN` instead of saturating,
/// which is what pprof computes for absurd inputs.
fn go_float_to_int(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}
