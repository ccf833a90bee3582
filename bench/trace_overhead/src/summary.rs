//! The table over the lines `run` and `raw` printed.

use std::collections::BTreeMap;

use crate::run_lines::{median, quantile, Line};
use crate::workload::EVENTS_PER_UNIT;

const MODES: [&str; 5] = ["none", "registry", "oxprof-off", "oxprof", "chrome"];

fn range(values: &[f64], digits: usize) -> String {
    format!(
        "{:.digits$}..{:.digits$}",
        quantile(values, 0.0),
        quantile(values, 1.0)
    )
}

pub fn summarize(file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let runs: Vec<Line> = text
        .lines()
        .filter_map(|l| Line::parse(l, &["round", "mode", "threads", "work_cpu"]))
        .collect();
    let mut threads: Vec<u64> = runs.iter().map(|r| r.num("threads") as u64).collect();
    threads.sort_unstable();
    threads.dedup();
    for &t in &threads {
        // Per round, each mode's figures; losses are per-round ratios to that round's `none`.
        let mut by_mode: BTreeMap<&str, Vec<&Line>> = BTreeMap::new();
        for r in runs.iter().filter(|r| r.num("threads") as u64 == t) {
            by_mode.entry(r.text("mode")).or_default().push(r);
        }
        let Some(base) = by_mode.get("none") else {
            continue;
        };
        let base_by_round: BTreeMap<String, &Line> = base
            .iter()
            .map(|r| (r.text("round").to_string(), *r))
            .collect();
        let units = base[0].num("units");
        let events = units * t as f64 * EVENTS_PER_UNIT as f64;
        // Each thread's events over its CPU time: all events over the workers' total.
        let rate = events / median(&base.iter().map(|r| r.num("work_cpu")).collect::<Vec<_>>());
        let loads: Vec<f64> = by_mode.values().flatten().map(|r| r.num("load")).collect();
        println!(
            "\n{t} thread(s), {units} units each, {:.2} M trace events/s per thread with no subscriber, {} rounds, load average {:.1} ({})",
            rate / 1e6,
            base.len(),
            median(&loads),
            range(&loads, 1),
        );
        println!(
            "{:<11} {:>15} {:>22} {:>22} {:>17} {:>12} {:>11}",
            "mode",
            "work CPU s",
            "work CPU loss",
            "process CPU loss",
            "ns/event added",
            "bytes/event",
            "others CPU"
        );
        for mode in MODES {
            let Some(lines) = by_mode.get(mode) else {
                continue;
            };
            let col = |k: &str| lines.iter().map(|r| r.num(k)).collect::<Vec<_>>();
            let ratio = |k: &str| {
                lines
                    .iter()
                    .filter_map(|r| {
                        let b = base_by_round.get(r.text("round"))?;
                        Some((r.num(k) / b.num(k) - 1.0) * 100.0)
                    })
                    .collect::<Vec<_>>()
            };
            let added = lines
                .iter()
                .filter_map(|r| {
                    let b = base_by_round.get(r.text("round"))?;
                    Some((r.num("work_cpu") - b.num("work_cpu")) * 1e9 / events)
                })
                .collect::<Vec<_>>();
            let work_loss = ratio("work_cpu");
            let total_loss = ratio("total_cpu");
            let bytes = median(&col("bytes")) / events;
            println!(
                "{:<11} {:>6.3} {:>8} {:>+7.1}% {:>13} {:>+7.1}% {:>13} {:>6.1} {:>10} {:>12} {:>11.2}",
                mode,
                median(&col("work_cpu")),
                range(&col("work_cpu"), 2),
                median(&work_loss),
                format!("{}%", range(&work_loss, 1)),
                median(&total_loss),
                format!("{}%", range(&total_loss, 1)),
                median(&added),
                range(&added, 0),
                if bytes > 0.0 { format!("{bytes:.2}") } else { "-".into() },
                median(&col("others_cpu")),
            );
            if mode == "oxprof" {
                let recorded = median(&col("events"));
                if recorded < events {
                    println!("  (the oxprof trace holds {recorded} workload events of {events})");
                }
            }
        }
    }
    let raw: Vec<Line> = text
        .lines()
        .filter_map(|l| Line::parse(l, &["raw", "ns"]))
        .collect();
    if !raw.is_empty() {
        println!(
            "\nraw cost, ns per event (thread CPU time), {} reps:",
            raw.iter().filter(|r| r.text("raw") == "region").count()
        );
        for kind in ["region-off", "region", "log"] {
            let ns: Vec<f64> = raw
                .iter()
                .filter(|r| r.text("raw") == kind)
                .map(|r| r.num("ns"))
                .collect();
            println!(
                "{kind:<11} median {:>6.1}  range {}",
                median(&ns),
                range(&ns, 1)
            );
        }
    }
    for l in text
        .lines()
        .filter_map(|l| Line::parse(l, &["raw", "per_event"]))
    {
        println!(
            "raw trace: {} bytes per event ({} events)",
            l.text("per_event"),
            l.text("events")
        );
    }
    Ok(())
}
