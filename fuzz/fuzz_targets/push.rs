//! Reads arbitrary bytes as a push to `oxprof serve` (`POST /push.v1.PusherService/Push`): as a
//! binary `push.v1.PushRequest` and as Connect's JSON form of one, each checked as the server
//! checks it before storing (labels, every raw profile inflated within the limits and
//! decoded). Nothing may panic or allocate past the limits, and every profile accepted must be
//! stored as gzipped bytes that decode to it again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_push::proto::PushRequest;
use oxprof_store::ingest::{self, Limits};
use prost::Message;

/// The server's clock: a fixed time, so that runs are repeatable.
const NOW_NS: i64 = 1_700_000_000_000_000_000;

fn check(push: PushRequest) {
    let limits = Limits {
        max_profile_bytes: 1 << 20,
        ..Limits::default()
    };
    let Ok(items) = ingest::from_push(push, NOW_NS, &limits) else {
        return;
    };
    for item in items {
        assert!(item.start_ns <= item.end_ns, "{item:?}");
        let stored =
            ingest::inflate(&item.gzipped, limits.max_profile_bytes).expect("gzip we wrote");
        let again = oxprof_profile::Profile::decode(&stored).expect("a profile we encoded");
        assert_eq!(again, item.profile);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(push) = PushRequest::decode(data) {
        check(push);
    }
    if let Ok(push) = ingest::push_from_json(data) {
        check(push);
    }
});
