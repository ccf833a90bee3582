//! Go's time layouts as pprof prints them: `time.Time.String()` and `time.Duration.String()`
//! (which `-raw` prints verbatim) and the report header's `Jan 2, 2006 at 3:04pm (MST)`.
//!
//! Times are rendered in UTC (`+0000 UTC`): what `go tool pprof` prints on a machine whose local
//! zone is UTC. Reading the host's zone database is outside what a pure report function does.

/// `nanos` since the epoch as Go's `Time.String()` prints it in UTC:
/// `2006-01-02 15:04:05.999999999 +0000 UTC`, with trailing zeros of the fraction dropped.
pub(crate) fn time_string(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000) as u64;
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let year = if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    };
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02}:{:02}{} +0000 UTC",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
        fraction(frac, 9)
    )
}

/// `nanos` as Go's `Duration.String()` prints it: `1h2m3.5s`, `1.5ms`, `2µs`, `0s`.
pub(crate) fn duration_string(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".to_string();
    }
    if u < 1_000_000_000 {
        // Below a second Go switches to the largest sub-second unit that keeps an integer part.
        let (unit, digits) = match u {
            0..=999 => ("ns", 0),
            1_000..=999_999 => ("µs", 3),
            _ => ("ms", 6),
        };
        let scale = 10u64.pow(digits);
        return format!(
            "{sign}{}{}{unit}",
            u / scale,
            fraction(u % scale, digits as usize)
        );
    }
    let secs = u / 1_000_000_000;
    let frac = fraction(u % 1_000_000_000, 9);
    let (hours, minutes, secs) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{secs}{frac}s"),
        (0, _) => format!("{sign}{minutes}m{secs}{frac}s"),
        _ => format!("{sign}{hours}h{minutes}m{secs}{frac}s"),
    }
}

/// `nanos` since the epoch in Go's `Jan 2, 2006 at 3:04pm (MST)` layout, in UTC.
pub(crate) fn go_time_utc(nanos: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = nanos.div_euclid(1_000_000_000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let in_day = secs.rem_euclid(86_400);
    let (hour, minute) = (in_day / 3600, in_day / 60 % 60);
    let (hour12, meridiem) = match hour {
        0 => (12, "am"),
        1..=11 => (hour, "am"),
        12 => (12, "pm"),
        _ => (hour - 12, "pm"),
    };
    format!(
        "{} {day}, {year} at {hour12}:{minute:02}{meridiem} (UTC)",
        MONTHS[month as usize - 1]
    )
}

/// `.ddd` with `digits` digits of `value` and trailing zeros removed; empty when `value` is 0.
fn fraction(value: u64, digits: usize) -> String {
    if value == 0 {
        return String::new();
    }
    let text = format!(".{value:0digits$}");
    text.trim_end_matches('0').to_string()
}

/// The UTC calendar date of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // i64 nanoseconds reach years 1677 to 2262 only, well inside `time`'s range.
    let date = time::OffsetDateTime::from_unix_timestamp(days * 86_400)
        .expect("a day of i64 nanoseconds")
        .date();
    (
        i64::from(date.year()),
        u32::from(u8::from(date.month())),
        u32::from(date.day()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_go() {
        assert_eq!(
            time_string(1_795_581_207_163_979_333),
            "2026-11-25 04:33:27.163979333 +0000 UTC"
        );
        assert_eq!(time_string(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            time_string(951_782_400_500_000_000),
            "2000-02-29 00:00:00.5 +0000 UTC"
        );
        assert_eq!(time_string(-1), "1969-12-31 23:59:59.999999999 +0000 UTC");
    }

    #[test]
    fn durations_match_go() {
        assert_eq!(duration_string(3_170_000_000), "3.17s");
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(999), "999ns");
        assert_eq!(duration_string(1_500), "1.5µs");
        assert_eq!(duration_string(2_000_000), "2ms");
        assert_eq!(duration_string(-1_250_000), "-1.25ms");
        assert_eq!(duration_string(61_000_000_000), "1m1s");
        assert_eq!(duration_string(3_600_000_000_001), "1h0m0.000000001s");
        assert_eq!(duration_string(i64::MIN), "-2562047h47m16.854775808s");
    }
}
