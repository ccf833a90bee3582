//! Contention profiles in text: Go's `debug=1` mutex and block profiles (`--- mutex:`,
//! `--- contention:`) and gperftools' `--- contentionz`, with delays converted from CPU cycles
//! to nanoseconds.

use std::sync::LazyLock;

use regex::Regex;

use super::stacks::{assemble, call_sites, RawSample};
use super::text::{hex_addresses, is_space_or_comment, lines, parse_int_base0, Line};
use super::{go_float_to_int, malformed, maps, quote};
use crate::{Profile, Result, ValueType};

static SAMPLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([0-9]+) *([0-9]+) @([ x0-9a-f]*)").unwrap());

/// The `key=value` attributes between the header and the samples.
#[derive(Default)]
struct Attributes {
    cycles_per_second: i64,
    period: i64,
    duration_nanos: i64,
}

/// Parses a contention profile; `None` when the first line is no contention header.
pub(super) fn parse(data: &[u8]) -> Result<Option<Profile>> {
    let mut lines = lines(data);
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    if !["--- contentionz ", "--- mutex:", "--- contention:"]
        .iter()
        .any(|h| first.text.starts_with(h))
    {
        return Ok(None);
    }
    let mut attrs = Attributes {
        period: 1,
        ..Attributes::default()
    };
    // The first line that is no attribute; it may already be a sample.
    let mut pending: Option<Line> = None;
    for line in lines.by_ref() {
        let text = line.text.trim();
        if is_space_or_comment(text) {
            continue;
        }
        let Some((key, value)) = text.split_once('=').filter(|_| !text.starts_with("---")) else {
            pending = Some(line);
            break;
        };
        set_attribute(&mut attrs, key.trim(), value.trim())
            .map_err(|r| malformed(line.offset, r))?;
    }

    let mut samples = Vec::new();
    let mut end = String::new();
    for line in pending.into_iter().chain(lines.by_ref()) {
        let text = line.text.trim();
        if text.starts_with("---") {
            end = text.to_string();
            break;
        }
        if !is_space_or_comment(text) {
            samples.push(parse_sample(text, &attrs).map_err(|r| malformed(line.offset, r))?);
        }
    }
    let mappings = maps::trailing_section(&end, lines);
    let profile = Profile {
        sample_type: vec![
            ValueType::new("contentions", "count"),
            ValueType::new("delay", "nanoseconds"),
        ],
        period_type: Some(ValueType::new("contentions", "count")),
        period: attrs.period,
        duration_nanos: attrs.duration_nanos,
        ..Profile::default()
    };
    Ok(Some(assemble(profile, samples, mappings)))
}

fn set_attribute(attrs: &mut Attributes, key: &str, value: &str) -> Result<(), String> {
    let number =
        || parse_int_base0(value).ok_or_else(|| format!("bad contention attribute {key}={value}"));
    match key {
        "cycles/second" => attrs.cycles_per_second = number()?,
        "sampling period" => attrs.period = number()?,
        "ms since reset" => attrs.duration_nanos = number()?.wrapping_mul(1_000_000),
        "discarded samples" => {}
        // `format` and `resolution` mark Java contention profiles, which pprof parses elsewhere.
        _ => return Err(format!("unsupported contention attribute {key:?}")),
    }
    Ok(())
}

fn parse_sample(line: &str, attrs: &Attributes) -> Result<RawSample, String> {
    let c = SAMPLE
        .captures(line)
        .ok_or_else(|| format!("bad contention sample {}", quote(line)))?;
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("contention sample value {s} out of range"))
    };
    let (mut delay, mut count) = (number(&c[1])?, number(&c[2])?);
    // Samples stand for `period` events each; delays are in CPU cycles.
    if attrs.period > 0 {
        if attrs.cycles_per_second > 0 {
            let ghz = attrs.cycles_per_second as f64 / 1e9;
            delay = go_float_to_int(delay as f64 * attrs.period as f64 / ghz);
        }
        count = count.wrapping_mul(attrs.period);
    }
    let addrs = hex_addresses(&c[3]).map_err(|a| format!("address {a} out of range"))?;
    Ok(RawSample::new(call_sites(addrs), vec![count, delay]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_become_nanoseconds() {
        let attrs = Attributes {
            cycles_per_second: 2445402490,
            period: 1,
            duration_nanos: 0,
        };
        let s = parse_sample("2101832729 799 @ 0x4b485f 0x4b4846", &attrs).unwrap();
        assert_eq!(s.value, [799, 859503798]);
        assert_eq!(s.addrs, [0x4b485e, 0x4b4845]);
        let sampled = Attributes {
            cycles_per_second: 0,
            period: 5,
            duration_nanos: 0,
        };
        assert_eq!(parse_sample("100 2 @", &sampled).unwrap().value, [10, 100]);
    }

    #[test]
    fn attributes() {
        let mut a = Attributes::default();
        set_attribute(&mut a, "ms since reset", "0x10").unwrap();
        assert_eq!(a.duration_nanos, 16_000_000);
        assert_eq!(
            set_attribute(&mut a, "format", "java").unwrap_err(),
            "unsupported contention attribute \"format\""
        );
        assert!(set_attribute(&mut a, "cycles/second", "fast").is_err());
    }
}
