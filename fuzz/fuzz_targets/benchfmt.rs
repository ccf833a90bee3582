//! Reads arbitrary bytes as Go benchmark format: every line must yield a result, unit metadata,
//! an error or nothing, never a panic; every result must read back the same when printed in
//! either form, and its name's parts must rebuild the name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_benchfmt::{go_float, parse, units, Reader, Record};

fuzz_target!(|data: &[u8]| {
    for record in Reader::new(data, "fuzz") {
        let Ok(Record::Result(r)) = record else {
            continue;
        };
        let (base, parts) = r.name.parts();
        assert_eq!(format!("{base}{}", parts.concat()), r.name.as_str());
        let _ = (r.name.base(), r.name.procs());
        for v in &r.values {
            let _ = (units::tidy(&v.unit), units::class_of(&v.unit));
        }
        let compact = parse(&r.to_string()).expect("compact form reads back");
        assert_eq!(compact.len(), 1);
        assert_eq!((&compact[0].name, compact[0].iters), (&r.name, r.iters));
        let text = |values: &[oxprof_benchfmt::Value]| {
            values
                .iter()
                .map(|v| format!("{} {}", go_float(v.value), v.unit))
                .collect::<Vec<_>>()
        };
        assert_eq!(text(&compact[0].values), text(&r.values));
        let go = parse(&r.to_go_test_line(40)).expect("go test form reads back");
        assert_eq!((&go[0].name, go[0].iters), (&r.name, r.iters));
        let units = |values: &[oxprof_benchfmt::Value]| {
            values.iter().map(|v| v.unit.clone()).collect::<Vec<_>>()
        };
        assert_eq!(units(&go[0].values), units(&r.values));
    }
});
