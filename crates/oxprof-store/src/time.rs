//! Times as Pyroscope's APIs spell them (`pkg/og/util/attime`): `now`, `now-1h`, or a number
//! whose digit count gives its unit (10 digits seconds, 13 milliseconds, 16 microseconds, 19
//! nanoseconds since the epoch), read into nanoseconds since the epoch.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// Nanoseconds since the epoch, now.
///
/// ```
/// assert!(oxprof_store::time::now_nanos() > 1_700_000_000_000_000_000);
/// ```
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Reads `text` as nanoseconds since the epoch, `now` being `now_ns`.
///
/// ```
/// use oxprof_store::time::parse;
/// let now = 1_732_500_000_000_000_000;
/// assert_eq!(parse("now", now)?, now);
/// assert_eq!(parse("now-1h", now)?, now - 3_600_000_000_000);
/// assert_eq!(parse("now-90s", now)?, now - 90_000_000_000);
/// assert_eq!(parse("1732500000", now)?, now);
/// assert_eq!(parse("1732500000000", now)?, now);
/// assert_eq!(parse("1732500000000000000", now)?, now);
/// assert_eq!(
///     parse("yesterday", now).unwrap_err().to_string(),
///     "bad time \"yesterday\": give now, now-<duration> (now-1h) or seconds, milliseconds or nanoseconds since 1970"
/// );
/// # Ok::<(), oxprof_store::Error>(())
/// ```
pub fn parse(text: &str, now_ns: i64) -> Result<i64, Error> {
    let bad = || {
        Error::BadInput(format!(
            "bad time {text:?}: give now, now-<duration> (now-1h) or seconds, milliseconds or \
             nanoseconds since 1970"
        ))
    };
    let text = text.trim();
    if text == "now" {
        return Ok(now_ns);
    }
    if let Some(ago) = text.strip_prefix("now-") {
        return duration(ago)
            .map(|d| now_ns.saturating_sub(d))
            .ok_or_else(bad);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = text.parse().map_err(|_| bad())?;
    let scale = match text.len() {
        ..=10 => 1_000_000_000,
        11..=13 => 1_000_000,
        14..=16 => 1_000,
        _ => 1,
    };
    n.checked_mul(scale).ok_or_else(bad)
}

/// A duration such as `90s`, `15m`, `1h`, `7d`, `1w` (or `2h30m`), in nanoseconds.
///
/// ```
/// use oxprof_store::time::duration;
/// assert_eq!(duration("2h30m"), Some(9_000_000_000_000));
/// assert_eq!(duration("7d"), Some(604_800_000_000_000));
/// assert_eq!(duration("10"), None);
/// assert_eq!(duration(""), None);
/// ```
pub fn duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit: i64 = match &rest[..unit_len] {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    Some(total)
}
