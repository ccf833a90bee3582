//! Heap profiles in text: Go's `debug=1` heap profile (`heap profile: 1: 2 [3: 4] @ heap/1048576`)
//! and the older heapz, growthz and fragmentationz texts, unsampled like pprof does.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::stacks::{assemble, call_sites, RawSample};
use super::text::{hex_addresses, is_memory_map_sentinel, is_space_or_comment, lines};
use super::{go_float_to_int, malformed, maps, quote};
use crate::{Label, Profile, Result, ValueType};

const COUNTS: &str = r"heap profile: *([0-9]+): *([0-9]+) *\[ *([0-9]+): *([0-9]+) *\]";

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{COUNTS} *@ *(heap[_a-z0-9]*)/?([0-9]*)")).unwrap());
static GROWTH_OR_FRAGMENTATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{COUNTS} @ (?:growthz?|fragmentationz?)")).unwrap());
static SAMPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(-?[0-9]+): *(-?[0-9]+) *\[ *([0-9]+): *([0-9]+) *\] @([ x0-9a-f]*)").unwrap()
});

/// How the sample values of a heap profile relate to the real allocations.
struct Header {
    /// Average bytes between samples; the Poisson unsampling applies when above 1.
    rate: i64,
    poisson: bool,
    /// The profile has separate allocation and in-use columns.
    has_alloc: bool,
}

/// Parses a heap text profile; `None` when the first line is no heap profile header.
pub(super) fn parse(data: &[u8]) -> Result<Option<Profile>> {
    let mut lines = lines(data);
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    let header = if let Some(c) = HEADER.captures(&first.text) {
        match parse_header(&c) {
            Some(h) => h,
            None => return Ok(None),
        }
    } else if GROWTH_OR_FRAGMENTATION.is_match(&first.text) {
        Header {
            rate: 1,
            poisson: false,
            has_alloc: false,
        }
    } else {
        return Ok(None);
    };

    let mut samples = Vec::new();
    let mut sentinel = String::new();
    for line in lines.by_ref() {
        let text = line.text.trim();
        if is_space_or_comment(text) {
            continue;
        }
        if is_memory_map_sentinel(text) {
            sentinel = text.to_string();
            break;
        }
        samples.push(parse_sample(text, &header).map_err(|r| malformed(line.offset, r))?);
    }
    let mappings = maps::trailing_section(&sentinel, lines);

    let sample_type = if header.has_alloc {
        // Allocation columns first, so that pprof's default (the last type) is inuse_space.
        vec![
            ValueType::new("alloc_objects", "count"),
            ValueType::new("alloc_space", "bytes"),
            ValueType::new("inuse_objects", "count"),
            ValueType::new("inuse_space", "bytes"),
        ]
    } else {
        vec![
            ValueType::new("objects", "count"),
            ValueType::new("space", "bytes"),
        ]
    };
    let profile = Profile {
        sample_type,
        period_type: Some(ValueType::new("space", "bytes")),
        period: header.rate,
        ..Profile::default()
    };
    Ok(Some(assemble(profile, samples, mappings)))
}

fn parse_header(c: &Captures) -> Option<Header> {
    let period = match &c[6] {
        "" => 0,
        p => p.parse::<i64>().ok()?,
    };
    let has_alloc = (c[3] != c[1] && &c[3] != "0") || (c[4] != c[2] && &c[4] != "0");
    let (rate, poisson) = match &c[5] {
        "heapz_v2" | "heap_v2" => (period, true),
        "heapprofile" => (1, false),
        // Go's runtime writes twice its MemProfileRate after `heap/`.
        "heap" => (period / 2, true),
        _ => return None,
    };
    Some(Header {
        rate,
        poisson,
        has_alloc,
    })
}

fn parse_sample(line: &str, header: &Header) -> Result<RawSample, String> {
    let c = SAMPLE
        .captures(line)
        .ok_or_else(|| format!("bad heap sample {}", quote(line)))?;
    let mut value = Vec::with_capacity(4);
    let mut block_size = 0;
    let mut add = |count: &str, size: &str, what: &str| -> Result<(), String> {
        let number = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| format!("heap sample value {s} out of range"))
        };
        let (mut count, mut size) = (number(count)?, number(size)?);
        if count == 0 && size != 0 {
            return Err(format!("{what} count was 0 but {what} bytes was {size}"));
        }
        if count != 0 {
            block_size = size.wrapping_div(count);
            if header.poisson {
                (count, size) = unsample(count, size, header.rate);
            }
        }
        value.extend([count, size]);
        Ok(())
    };
    if header.has_alloc {
        add(&c[3], &c[4], "allocation")?;
    }
    add(&c[1], &c[2], "inuse")?;
    let addrs = hex_addresses(&c[5]).map_err(|a| format!("address {a} out of range"))?;
    Ok(RawSample {
        addrs: call_sites(addrs),
        value,
        label: vec![Label::num("bytes", block_size, "")],
    })
}

/// Estimates the true count and size of a sampled allocation site. Allocations are sampled as
/// a Poisson process with mean `rate` bytes, so one of average size `s` appears with
/// probability `1 - exp(-s/rate)`; dividing by that undoes the sampling.
fn unsample(count: i64, size: i64, rate: i64) -> (i64, i64) {
    if count == 0 || size == 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count, size);
    }
    let average = size as f64 / count as f64;
    let scale = 1.0 / (1.0 - (-average / rate as f64).exp());
    (
        go_float_to_int(count as f64 * scale),
        go_float_to_int(size as f64 * scale),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsampling_matches_pprof() {
        // Values from `go tool pprof -raw` of a Go heap profile written with MemProfileRate 4096.
        assert_eq!(unsample(265, 16960, 4096), (17092, 1093942));
        assert_eq!(unsample(200, 52428800, 4096), (200, 52428800));
        assert_eq!(unsample(5, 100, 1), (5, 100));
        assert_eq!(unsample(0, 0, 4096), (0, 0));
    }

    #[test]
    fn header_variants() {
        let h = |s: &str| HEADER.captures(s).and_then(|c| parse_header(&c));
        let go = h("heap profile: 1: 2 [3: 4] @ heap/1048576").unwrap();
        assert_eq!((go.rate, go.poisson, go.has_alloc), (524288, true, true));
        let same = h("heap profile: 1: 2 [1: 2] @ heap_v2/512").unwrap();
        assert_eq!((same.rate, same.has_alloc), (512, false));
        assert_eq!(
            h("heap profile: 1: 2 [0: 0] @ heapprofile").unwrap().rate,
            1
        );
        assert!(h("heap profile: 1: 2 [3: 4] @ heapfoo/2").is_none());
        assert!(h("heap profile: 1: 2 [3: 4] @ heap/99999999999999999999").is_none());
    }

    #[test]
    fn sample_errors_name_the_problem() {
        let go = Header {
            rate: 4096,
            poisson: true,
            has_alloc: true,
        };
        assert_eq!(
            parse_sample("1: 2 [0: 5] @ 0x1", &go).unwrap_err(),
            "allocation count was 0 but allocation bytes was 5"
        );
        assert!(parse_sample("1: 2 @ 0x1", &go)
            .unwrap_err()
            .starts_with("bad heap sample"));
        assert!(parse_sample("1: 99999999999999999999 [1: 1] @", &go)
            .unwrap_err()
            .contains("out of range"));
    }
}
