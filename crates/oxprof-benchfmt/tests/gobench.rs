//! Real `go test -bench . -benchmem -count 6` output (testdata/go/gobench.txt) parses completely,
//! and every line printed back in `go test`'s layout or the compact form reads back the same.

use oxprof_benchfmt::{parse, Name, Reader, Record};

fn gobench() -> String {
    String::from_utf8(oxprof_testutil::read_testdata("go/gobench.txt")).expect("utf-8")
}

#[test]
fn reads_every_result_with_its_configuration() {
    let text = gobench();
    let results = parse(&text).expect("gobench.txt parses");
    assert_eq!(results.len(), 24);
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    for (i, want) in ["SortInts-2", "Join-2", "Map/xn=10-2", "Map/xn=1000-2"]
        .iter()
        .enumerate()
    {
        assert!(
            names[i * 6..i * 6 + 6].iter().all(|n| n == want),
            "{names:?}"
        );
    }
    let first = &results[0];
    assert_eq!(first.line, 5);
    assert_eq!(first.iters, 8920);
    let units: Vec<&str> = first.values.iter().map(|v| v.unit.as_str()).collect();
    assert_eq!(units, ["ns/op", "B/op", "allocs/op"]);
    assert_eq!(first.value("ns/op"), Some(25690.0));
    let config: Vec<(&str, &str)> = first
        .config
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        config,
        [
            ("goos", "linux"),
            ("goarch", "amd64"),
            ("pkg", "benchfmt"),
            ("cpu", "AMD EPYC")
        ]
    );
    let join = &results[6];
    assert_eq!(join.value("MB/s"), Some(396.36));
    assert_eq!(join.value("ns/op"), Some(25.23));
    let map = &results[23];
    assert_eq!(map.name, Name::new("Map/xn=1000-2"));
    assert_eq!(map.name.base(), "Map");
    assert_eq!(map.name.procs(), Some(2));
    assert_eq!(map.line, 28);
}

#[test]
fn reader_sees_no_errors_or_unit_lines() {
    let text = gobench();
    let records: Vec<_> = Reader::new(&text, "gobench.txt").collect();
    assert!(records.iter().all(|r| matches!(r, Ok(Record::Result(_)))));
}

#[test]
fn printed_lines_read_back() {
    let text = gobench();
    for r in parse(&text).unwrap() {
        for line in [r.to_go_test_line(30), r.to_string()] {
            let back = parse(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(back.len(), 1, "{line}");
            assert_eq!((&back[0].name, back[0].iters), (&r.name, r.iters));
            assert_eq!(back[0].values, r.values, "{line}");
        }
    }
}

#[test]
fn go_test_layout_reproduces_the_go_written_lines() {
    let text = gobench();
    let lines: Vec<&str> = text.lines().collect();
    for r in parse(&text).unwrap() {
        let original = lines[r.line - 1];
        // go test pads names to a width it chooses as it runs; take it from the line.
        let width = original.find('\t').unwrap();
        assert_eq!(r.to_go_test_line(width), original);
    }
}
