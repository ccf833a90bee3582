//! `Profile::parse` on arbitrary bytes: legacy text and binary formats must parse into a valid
//! profile or fail with an error, never panic. Inputs are steered towards each format by a
//! leading selector byte, since random bytes almost never form a legacy header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_profile::Profile;

const HEADERS: [&[u8]; 6] = [
    b"heap profile: 1: 2 [3: 4] @ heap/1048576\n",
    b"--- mutex:\ncycles/second=2000000000\nsampling period=3\n",
    b"--- contention:\ncycles/second=2000000000\n",
    b"goroutine profile: total 5\n",
    // gperftools CPU header, 64-bit little endian, 10 ms period.
    b"\0\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x10\x27\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    b"",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let input = [HEADERS[usize::from(selector) % HEADERS.len()], rest].concat();
    if let Ok(p) = Profile::parse(&input) {
        p.validate().expect("parse returned an invalid profile");
    }
});
