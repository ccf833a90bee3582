//! The table over many runs' output lines: per thread count, each wrapped mutex (std's,
//! parking_lot's, tokio's) and oxprof's wrapper of it with each profile setting, as
//! nanoseconds per lock-and-unlock (median and range), and the wrapper's cost against the
//! wrapped mutex in the same round (median and interquartile range of the paired
//! differences), and the cost of one recorded event.

use crate::run_lines::{median, quantile, Line};

struct Group<'a> {
    threads: usize,
    lock: &'a str,
    profiles: &'a str,
    runs: Vec<&'a Line>,
}

/// Prints the table for the runs in `file` (lines that are not run output are skipped).
pub fn summarize(file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?;
    let lines: Vec<Line> = text
        .lines()
        .filter_map(|t| Line::parse(t, &["impl", "profiles", "threads", "ns_per_op"]))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for line in &lines {
        let threads = line.num("threads") as usize;
        let (lock, profiles) = (line.text("impl"), line.text("profiles"));
        match groups
            .iter_mut()
            .find(|g| g.threads == threads && g.lock == lock && g.profiles == profiles)
        {
            Some(g) => g.runs.push(line),
            None => groups.push(Group {
                threads,
                lock,
                profiles,
                runs: vec![line],
            }),
        }
    }
    groups.sort_by_key(|g| {
        (
            g.threads,
            family(wrapped(g.lock)),
            g.lock != wrapped(g.lock),
            order(g.profiles),
        )
    });

    println!(
        "| threads | mutex | profiles | runs | ns per lock+unlock, median (min–max) | vs \
         wrapped, median | Δ vs wrapped in the same round, median (IQR) | others' CPU s, \
         median | events recorded (block, mutex) |"
    );
    println!("|---:|---|---|---:|---|---:|---|---:|---|");
    for g in &groups {
        let ns: Vec<f64> = g.runs.iter().map(|l| l.num("ns_per_op")).collect();
        let base = groups
            .iter()
            .find(|b| b.threads == g.threads && b.lock == wrapped(g.lock));
        let raw = g.lock == wrapped(g.lock);
        let (ratio, delta) = match base {
            Some(b) if !raw => {
                let b_ns: Vec<f64> = b.runs.iter().map(|l| l.num("ns_per_op")).collect();
                let deltas = paired(g, b);
                (
                    format!("{:.2}×", median(&ns) / median(&b_ns)),
                    format!(
                        "{:+.2} ns ({:+.2} to {:+.2})",
                        median(&deltas),
                        quantile(&deltas, 0.25),
                        quantile(&deltas, 0.75)
                    ),
                )
            }
            _ => ("—".into(), "—".into()),
        };
        let stacks = if raw || g.profiles == "off" {
            "—".to_string()
        } else {
            let block: Vec<f64> = g.runs.iter().map(|l| l.num("block_events")).collect();
            let mutex: Vec<f64> = g.runs.iter().map(|l| l.num("mutex_events")).collect();
            format!("{:.0}, {:.0}", median(&block), median(&mutex))
        };
        let others: Vec<f64> = g.runs.iter().map(|l| l.num("others_cpu_s")).collect();
        println!(
            "| {} | {} | {} | {} | {:.2} ({:.2}–{:.2}) | {ratio} | {delta} | {:.2} | {stacks} |",
            g.threads,
            g.lock,
            if raw { "—" } else { g.profiles },
            ns.len(),
            median(&ns),
            quantile(&ns, 0.0),
            quantile(&ns, 1.0),
            median(&others),
        );
    }
    let record: Vec<f64> = text
        .lines()
        .filter_map(|t| Line::parse(t, &["ns_per_event"]))
        .map(|l| l.num("ns_per_event"))
        .collect();
    if !record.is_empty() {
        println!(
            "\nOne recorded block event (stack captured, added to the table): {:.0} ns, median \
             of {} runs ({:.0}–{:.0}).",
            median(&record),
            record.len(),
            quantile(&record, 0.0),
            quantile(&record, 1.0)
        );
    }
    println!();
    for failure in text.lines().filter(|l| l.starts_with('#')) {
        println!("{failure}");
    }
    Ok(())
}

/// The mutex a run's lock wraps: itself for the wrapped ones.
fn wrapped(lock: &str) -> &str {
    match lock {
        "oxprof" => "std",
        lock => lock.strip_prefix("oxprof-").unwrap_or(lock),
    }
}

fn family(wrapped: &str) -> usize {
    ["std", "parking_lot", "tokio"]
        .iter()
        .position(|f| *f == wrapped)
        .unwrap_or(usize::MAX)
}

fn order(profiles: &str) -> usize {
    ["off", "sampled", "every"]
        .iter()
        .position(|p| *p == profiles)
        .unwrap_or(usize::MAX)
}

/// Per-round differences in ns per operation between a group's runs and the wrapped mutex's
/// run of the same round and thread count.
fn paired(group: &Group, base: &Group) -> Vec<f64> {
    group
        .runs
        .iter()
        .filter_map(|run| {
            let round = Some(run.text("round")).filter(|r| !r.is_empty())?;
            let b = base.runs.iter().find(|b| b.text("round") == round)?;
            Some(run.num("ns_per_op") - b.num("ns_per_op"))
        })
        .collect()
}
