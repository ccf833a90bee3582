//! Unit scaling, value labels and percentages against values printed by `go tool pprof`.

use oxprof_report::measurement::{label, minimum_unit, percentage, scale, scaled_label};

#[test]
fn percentages_follow_go_float_formats() {
    let cases = [
        (0, 100, "    0%"),
        (5, 1000, "  0.5%"),
        (5, 10_000, " 0.05%"),
        (123, 1_000_000, "0.012%"),
        (999, 10_000_000, " 0.01%"),
        (1, 1_000_000, "0.0001%"),
        (1, 10_000_000, "1e-05%"),
        (12345, 1_000_000_000, "0.0012%"),
        (12345, 100_000_000_000, "1.2e-05%"),
        (995, 100_000, "    1%"),
        (9949, 1_000_000, " 0.99%"),
        (99949, 10_000_000, "    1%"),
        (1, 1, "  100%"),
        (9996, 10_000, "  100%"),
        (9994, 10_000, "99.94%"),
        (-25, 100, "25.00%"),
        (150, 100, "150.00%"),
        (7, 0, "    0%"),
    ];
    for (v, total, want) in cases {
        assert_eq!(percentage(v, total), want, "percentage({v}, {total})");
    }
}

#[test]
fn labels_pick_the_largest_fitting_unit() {
    assert_eq!(label(0, "nanoseconds"), "0");
    assert_eq!(label(999, "nanoseconds"), "999ns");
    assert_eq!(label(1500, "nanoseconds"), "1.50us");
    assert_eq!(label(10_000_000, "nanoseconds"), "10ms");
    assert_eq!(label(7_200_000_000_000, "nanoseconds"), "2hrs");
    assert_eq!(label(1023, "bytes"), "1023B");
    assert_eq!(label(1 << 50, "bytes"), "1PB");
    assert_eq!(label(5 << 60, "bytes"), "5120PB");
    assert_eq!(label(-2048, "bytes"), "-2kB");
    assert_eq!(label(12, "count"), "12");
    assert_eq!(label(12, "widgets"), "12");
    assert_eq!(scaled_label(12, "widgets", "widgets"), "12widgets");
    assert_eq!(label(1, "milligcu"), "1m*GCU");
}

#[test]
fn scaled_labels_use_the_requested_unit() {
    assert_eq!(scaled_label(1_234_567_890, "nanoseconds", "s"), "1.23s");
    assert_eq!(scaled_label(4_999_999, "nanoseconds", "s"), "0");
    assert_eq!(scaled_label(5_000_000, "nanoseconds", "s"), "0.01s");
    assert_eq!(scaled_label(-4_000_000, "nanoseconds", "s"), "0");
    assert_eq!(scaled_label(10_000_000, "nanoseconds", "s"), "0.01s");
    assert_eq!(scaled_label(1_000_000, "ns", "hrs"), "0");
    assert_eq!(scaled_label(3, "seconds", "ms"), "3000ms");
    // An unknown target unit falls back to the family default.
    assert_eq!(scaled_label(1536, "bytes", "furlongs"), "1536B");
    assert_eq!(scaled_label(90, "count", "count"), "90");
    assert_eq!(scaled_label(90, "", "count"), "90");
}

#[test]
fn unit_names_are_matched_loosely() {
    assert_eq!(scale(1, "Seconds", "ns"), (1e9, "ns".to_string()));
    assert_eq!(scale(2, "KB", "bytes"), (2048.0, "B".to_string()));
    assert_eq!(scale(2, "hours", "s"), (7200.0, "s".to_string()));
    // "μs" is three bytes long, so pprof strips its "s" and no longer recognises it.
    assert_eq!(scale(5, "μs", "minimum"), (5.0, String::new()));
    assert_eq!(scale(1500, "us", "minimum"), (1.5, "ms".to_string()));
    assert_eq!(scale(7, "samples", "minimum"), (7.0, String::new()));
}

#[test]
fn minimum_unit_prefers_readable_large_units() {
    // cpu.top: 10ms samples against a multi-second total print in seconds.
    assert_eq!(
        minimum_unit(10_000_000, 2_890_000_000, "nanoseconds", false),
        "s"
    );
    // Nothing but zeros: the unit of the total.
    assert_eq!(minimum_unit(0, 3 << 20, "bytes", false), "MB");
    assert_eq!(minimum_unit(512, 40 << 10, "bytes", false), "B");
    assert_eq!(minimum_unit(512, 4 << 20, "bytes", false), "kB");
    assert_eq!(minimum_unit(5, 50, "count", false), "count");
    assert_eq!(minimum_unit(5, 50, "", false), "");
}
