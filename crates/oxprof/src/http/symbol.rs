//! `symbol`: program counters of this process to function names, Go's protocol. Addresses come
//! in the raw query (GET) or the body (POST), separated by `+`; the answer is `num_symbols: 1`
//! and one `0x<pc> <function>` line per address found, in request order. Only this process's
//! own mappings are looked in, so nothing about other processes can be learned.

use std::collections::HashMap;
use std::fmt::Write;

use bytes::Bytes;
use oxprof_profile::ValueType;

use super::answer::Answer;
use super::service::Shared;
use crate::profile_build::{BuildOptions, Frame, StackProfile};

/// The answer for the addresses in `input`.
pub(super) async fn serve(shared: &Shared, input: Bytes) -> Answer {
    // Go's pprof only asks whether the number is zero: symbols are always available here.
    let mut out = String::from("num_symbols: 1\n");
    let pcs: Vec<u64> = input
        .split(|&b| b == b'+')
        .filter_map(parse_pc)
        .filter(|&pc| pc != 0)
        .collect();
    if pcs.is_empty() {
        return Answer::text(out);
    }
    let looked_up = shared
        .blocking({
            let pcs = pcs.clone();
            move || function_names(&pcs)
        })
        .await;
    let names = match looked_up {
        Ok(names) => names,
        Err(answer) => return answer,
    };
    for pc in pcs {
        if let Some(name) = names.get(&pc) {
            let _ = writeln!(out, "{pc:#x} {name}");
        }
    }
    Answer::text(out)
}

/// An address as Go's `strconv.ParseUint(word, 0, 64)` reads it: `0x` hexadecimal, `0b`
/// binary, `0o` or a leading `0` octal, decimal otherwise.
fn parse_pc(word: &[u8]) -> Option<u64> {
    let word = std::str::from_utf8(word).ok()?.trim();
    let lower = word.to_ascii_lowercase();
    let (digits, radix) = if let Some(hex) = lower.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(binary) = lower.strip_prefix("0b") {
        (binary, 2)
    } else if let Some(octal) = lower.strip_prefix("0o") {
        (octal, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The innermost function at each address that falls in one of this process's mappings and
/// can be symbolized, as Go's `FuncForPC` names the innermost inlined function.
fn function_names(pcs: &[u64]) -> HashMap<u64, String> {
    let kind = || ValueType::new("symbol", "count");
    let mut stacks = StackProfile::new(vec![kind()], kind(), 1);
    for &pc in pcs {
        stacks.add(&[Frame::Address(pc)], &[1], Vec::new());
    }
    let profile = stacks.build(&BuildOptions {
        symbolize: true,
        ..BuildOptions::default()
    });
    let functions: HashMap<u64, &str> = profile
        .function
        .iter()
        .map(|f| (f.id, f.name.as_str()))
        .collect();
    profile
        .location
        .iter()
        .filter(|l| l.mapping_id != 0)
        .filter_map(|l| {
            let name = functions.get(&l.line.first()?.function_id)?;
            Some((l.address, (*name).to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain operators only: no inlined function can claim the entry address.
    #[inline(never)]
    fn symbol_test_known_function(x: u64) -> u64 {
        (x ^ 0x5eed_0001) | (x >> 7)
    }

    #[test]
    fn addresses_parse_as_go_parses_them() {
        assert_eq!(parse_pc(b"0x4a3c12"), Some(0x4a3c12));
        assert_eq!(parse_pc(b"0X10"), Some(16));
        assert_eq!(parse_pc(b"0b101"), Some(5));
        assert_eq!(parse_pc(b"0o17"), Some(15));
        assert_eq!(parse_pc(b"017"), Some(15));
        assert_eq!(parse_pc(b"123"), Some(123));
        assert_eq!(parse_pc(b"0"), Some(0));
        for bad in [
            &b""[..],
            b"0x",
            b"zz",
            b"0x-1",
            b"-5",
            b"0x1ffffffffffffffff",
        ] {
            assert_eq!(parse_pc(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn own_functions_are_named_and_foreign_addresses_left_out() {
        let pc = symbol_test_known_function as fn(u64) -> u64 as usize as u64;
        assert_ne!(std::hint::black_box(symbol_test_known_function)(3), 0);
        let names = function_names(&[pc, 0x10]);
        assert_eq!(
            names.get(&pc).map(String::as_str),
            Some("oxprof::http::symbol::tests::symbol_test_known_function")
        );
        assert!(!names.contains_key(&0x10), "{names:?}");
    }
}
