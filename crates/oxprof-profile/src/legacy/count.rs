//! Go's `debug=1` count profiles: `goroutine profile: total N` (and `threadcreate`), one
//! `N @ 0x… 0x…` line per distinct stack.

use std::sync::LazyLock;

use regex::Regex;

use super::stacks::{assemble, call_sites, RawSample};
use super::text::{hex_addresses, is_space_or_comment, lines, parse_int_base0};
use super::{malformed, maps, quote};
use crate::{Profile, Result, ValueType};

static START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^\t\n\f\r ]+) profile: total [0-9]+$").unwrap());
static STACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+) @((?: 0x[0-9a-f]+)+)$").unwrap());

/// Parses a count profile; `None` when the first non-comment line is no `… profile: total N`.
pub(super) fn parse(data: &[u8]) -> Result<Option<Profile>> {
    let mut lines = lines(data).skip_while(|l| is_space_or_comment(&l.text));
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    let Some(start) = START.captures(&first.text) else {
        return Ok(None);
    };
    let kind = ValueType::new(&start[1], "count");

    let mut samples = Vec::new();
    let mut end = String::new();
    for line in lines.by_ref() {
        if is_space_or_comment(&line.text) {
            continue;
        }
        if line.text.starts_with("---") {
            end = line.text.into_owned();
            break;
        }
        let bad = || {
            malformed(
                line.offset,
                format!("bad {} count line {}", kind.ty, quote(&line.text)),
            )
        };
        let c = STACK.captures(&line.text).ok_or_else(bad)?;
        let n = parse_int_base0(&c[1]).ok_or_else(bad)?;
        let addrs = hex_addresses(&c[2]).map_err(|_| bad())?;
        samples.push(RawSample::new(call_sites(addrs), vec![n]));
    }
    let mappings = maps::trailing_section(&end, lines);
    let profile = Profile {
        sample_type: vec![kind.clone()],
        period_type: Some(kind),
        period: 1,
        ..Profile::default()
    };
    Ok(Some(assemble(profile, samples, mappings)))
}
