//! Reads arbitrary bytes as a legacy `/ingest` upload to `oxprof serve`: the first line is the
//! request's `Content-Type` (its boundary), the rest a `multipart/form-data` body whose
//! `profile` part is checked as the server checks it; the whole input is also tried as a raw
//! body in each format `/ingest` takes. Parts must lie inside the body; nothing may panic,
//! hang on a long boundary, or allocate past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_store::ingest::{self, Legacy, Limits};
use oxprof_store::multipart;

/// The server's clock: a fixed time, so that runs are repeatable.
const NOW_NS: i64 = 1_700_000_000_000_000_000;

fn upload(format: Option<&str>, body: &[u8]) {
    let query = Legacy {
        name: "app{env=fuzz}",
        format,
        ..Legacy::default()
    };
    let limits = Limits {
        max_profile_bytes: 1 << 20,
        ..Limits::default()
    };
    if let Ok(items) = ingest::from_legacy(&query, body, NOW_NS, &limits) {
        for item in items {
            assert!(item.start_ns <= item.end_ns, "{item:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    if let Ok(content_type) = std::str::from_utf8(&data[..split]) {
        let body = data.get(split + 1..).unwrap_or_default();
        if let Ok(parts) = multipart::parse(body, content_type) {
            let range = body.as_ptr_range();
            for part in &parts {
                let inside = part.data.as_ptr_range();
                assert!(range.start <= inside.start && inside.end <= range.end);
            }
            if let Some(profile) = parts.iter().find(|p| p.name == "profile") {
                upload(Some("pprof"), profile.data);
            }
        }
    }
    for format in [None, Some("pprof"), Some("folded")] {
        upload(format, data);
    }
});
