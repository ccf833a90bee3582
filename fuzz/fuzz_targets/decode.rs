//! Decodes arbitrary bytes as a profile; whatever decodes must survive an encode/decode round
//! trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_profile::Profile;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Profile::decode(data) else {
        return;
    };
    let bytes = p.encode();
    let again = Profile::decode(&bytes).expect("an encoded valid profile decodes");
    // Encoding renumbers ids 1..n, so compare encodings, and models once ids are settled.
    assert_eq!(again.encode(), bytes);
    assert_eq!(Profile::decode(&again.encode()).unwrap(), again);
});
