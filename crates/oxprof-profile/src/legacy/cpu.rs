//! The gperftools binary CPU profile (also written by Go before 1.9): a header of five words,
//! then `count, depth, pc…` records up to an end marker, then the process's memory map as text.
//! Words are 32 or 64 bits of either byte order; the header shows which.

use super::malformed;
use super::maps;
use super::stacks::{assemble, RawSample};
use super::text::lines;
use crate::{Error, ErrorKind, Profile, Result, ValueType};

/// Reads words of one size and byte order from the front of a byte slice.
#[derive(Clone, Copy)]
struct Word {
    size: usize,
    big_endian: bool,
}

impl Word {
    /// The word at `b[pos..]`, or `None` when fewer than `size` bytes are left.
    fn at(self, b: &[u8], pos: usize) -> Option<u64> {
        let bytes = b.get(pos..pos.checked_add(self.size)?)?;
        let fold = |acc: u64, &byte: &u8| acc << 8 | u64::from(byte);
        Some(if self.big_endian {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        })
    }
}

/// The order pprof tries: a header read in the wrong width or order does not come out 0, 3.
const WORDS: [Word; 4] = [
    Word {
        size: 4,
        big_endian: false,
    },
    Word {
        size: 4,
        big_endian: true,
    },
    Word {
        size: 8,
        big_endian: false,
    },
    Word {
        size: 8,
        big_endian: true,
    },
];

/// Parses a binary CPU profile; `None` when no word layout gives its header.
pub(super) fn parse(data: &[u8]) -> Result<Option<Profile>> {
    for word in WORDS {
        let header: Option<Vec<u64>> = (0..5).map(|i| word.at(data, i * word.size)).collect();
        let Some(&[0, 3, kind, period, 0]) = header.as_deref() else {
            continue;
        };
        if period == 0 {
            continue;
        }
        match kind {
            0 => return parse_body(data, 5 * word.size, word, period as i64).map(Some),
            1 => {
                return Err(Error::new(ErrorKind::UnrecognizedFormat(
                    "java cpu profiles are not supported".into(),
                )))
            }
            _ => {}
        }
    }
    Ok(None)
}

fn parse_body(data: &[u8], start: usize, word: Word, period_us: i64) -> Result<Profile> {
    let period = period_us.wrapping_mul(1000);
    let (mut samples, maps_start) = read_samples(data, start, word, period)?;
    strip_signal_frames(&mut samples);
    let maps_text = &data[maps_start.min(data.len())..];
    let mappings = maps::parse_proc_maps(lines(maps_text));
    let profile = Profile {
        sample_type: vec![
            ValueType::new("samples", "count"),
            ValueType::new("cpu", "nanoseconds"),
        ],
        period_type: Some(ValueType::new("cpu", "nanoseconds")),
        period,
        ..Profile::default()
    };
    let mut profile = assemble(profile, samples, mappings);
    drop_duplicate_leaves(&mut profile);
    Ok(profile)
}

/// Reads `count, depth, pc…` records up to the `0, 1, 0` end marker (or the end of the data).
/// Returns the samples and where the text after them starts.
fn read_samples(
    data: &[u8],
    mut pos: usize,
    word: Word,
    period: i64,
) -> Result<(Vec<RawSample>, usize)> {
    let mut samples = Vec::new();
    while pos < data.len() {
        let record = pos;
        let (Some(count), Some(depth)) = (word.at(data, pos), word.at(data, pos + word.size))
        else {
            return Err(malformed(record, "truncated cpu profile record"));
        };
        pos += 2 * word.size;
        // pprof bounds the depth by 4-byte words whatever the word size, and reads missing
        // 64-bit words as 0; both are kept so that truncated files parse the same way.
        if depth > ((data.len() - pos) / 4) as u64 {
            return Err(malformed(
                record,
                format!("cpu profile stack depth {depth} exceeds the data"),
            ));
        }
        let addrs: Vec<u64> = (0..depth as usize)
            .map(|i| word.at(data, pos + i * word.size).unwrap_or(0))
            .collect();
        pos += depth as usize * word.size;
        if count == 0 && addrs == [0] {
            break;
        }
        // Every frame but the leaf is a return address; step back onto the call.
        let addrs = addrs
            .into_iter()
            .enumerate()
            .map(|(i, a)| if i > 0 { a.wrapping_sub(1) } else { a })
            .collect();
        let count = count as i64;
        samples.push(RawSample::new(
            addrs,
            vec![count, count.wrapping_mul(period)],
        ));
    }
    Ok((samples, pos))
}

/// Removes the signal handler frame that sits second in (nearly) every stack: when all but one
/// sample in 32 share the same second frame, it is an artifact of the profiler, since the leaf
/// comes from the signal context and the rest from unwinding the handler's stack. Done at most
/// twice, as pprof does.
fn strip_signal_frames(samples: &mut [RawSample]) {
    let margin = samples.len() / 32;
    for _ in 0..2 {
        let mut counts: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        for s in samples.iter().filter(|s| s.addrs.len() > 1) {
            *counts.entry(s.addrs[1]).or_default() += 1;
        }
        // At most one address can be that common, so which one is found first does not matter.
        let Some(&handler) = counts
            .iter()
            .find(|&(_, &n)| n >= samples.len() - margin)
            .map(|(a, _)| a)
        else {
            continue;
        };
        for s in samples
            .iter_mut()
            .filter(|s| s.addrs.len() > 1 && s.addrs[1] == handler)
        {
            s.addrs.remove(1);
        }
    }
}

/// The profiler may record the leaf twice, from the signal context and from unwinding (then one
/// byte lower, as a return address). The duplicate is dropped from the stack; its location stays,
/// as in pprof.
fn drop_duplicate_leaves(p: &mut Profile) {
    let address = |id: u64| p.location[id as usize - 1].address;
    let duplicates: Vec<usize> = p
        .sample
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.location_id.len() > 1
                && address(s.location_id[0]) == address(s.location_id[1]).wrapping_add(1)
        })
        .map(|(i, _)| i)
        .collect();
    for i in duplicates {
        p.sample[i].location_id.remove(1);
    }
}
