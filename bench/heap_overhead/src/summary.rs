//! The table over many runs' output lines: per workload and mode, medians and ranges of wall
//! and CPU time, the cost against the system allocator per iteration (so runs of fewer
//! iterations, as dhat's, compare too), peak memory and what oxprof recorded.

use crate::run_lines::{median, mib, quantile, Line};

/// `key` per iteration.
fn per_iteration(line: &Line, key: &str) -> f64 {
    line.num(key) / line.num("iterations")
}

/// The runs of one mode on one workload, in the order they ran.
struct Group<'a> {
    workload: &'a str,
    mode: &'a str,
    runs: Vec<&'a Line>,
}

impl Group<'_> {
    fn values(&self, f: impl Fn(&Line) -> f64) -> Vec<f64> {
        self.runs.iter().map(|l| f(l)).collect()
    }

    fn median(&self, f: impl Fn(&Line) -> f64) -> f64 {
        median(&self.values(f))
    }
}

/// Prints the table for the runs in `file` (lines that are not run output are skipped).
pub fn summarize(file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?;
    let lines: Vec<Line> = text
        .lines()
        .filter_map(|t| Line::parse(t, &["mode", "workload"]))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for line in &lines {
        let (workload, mode) = (line.text("workload"), line.text("mode"));
        match groups
            .iter_mut()
            .find(|g| g.workload == workload && g.mode == mode)
        {
            Some(g) => g.runs.push(line),
            None => groups.push(Group {
                workload,
                mode,
                runs: vec![line],
            }),
        }
    }
    groups.sort_by_key(|g| (g.workload, mode_order(g.mode)));

    println!(
        "| workload | allocator | runs | iterations | wall s, median (min–max) | wall vs System \
         (paired, IQR) | CPU s, median (min–max) | CPU vs System (paired, IQR) | CPU ns per \
         allocation | allocated GB/s | others' CPU s | peak RSS Δ vs System | allocations counted | heap profile samples | \
         profile build s | profiler tables |"
    );
    println!("|---|---|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for g in &groups {
        let base = groups
            .iter()
            .find(|b| b.workload == g.workload && b.mode == "system");
        // Allocations per iteration are the same whatever the allocator; oxprof counts them.
        let allocs_per_iteration = groups
            .iter()
            .filter(|o| o.workload == g.workload && o.mode == "counting")
            .map(|o| o.median(|l| per_iteration(l, "allocs")))
            .next()
            .unwrap_or(f64::NAN);
        let bytes_per_iteration = groups
            .iter()
            .filter(|o| o.workload == g.workload && o.mode == "counting")
            .map(|o| o.median(|l| per_iteration(l, "bytes")))
            .next()
            .unwrap_or(f64::NAN);
        let is_oxprof = g.mode == "oxprof" || g.mode == "counting";
        let dash = || "—".to_string();
        let versus = |key: &str| match base {
            Some(b) if g.mode != "system" => {
                let pairs = paired(g, b, key);
                format!(
                    "{} ({}, {} to {})",
                    factor(
                        g.median(|l| per_iteration(l, key)) / b.median(|l| per_iteration(l, key))
                    ),
                    factor(median(&pairs)),
                    factor(quantile(&pairs, 0.25)),
                    factor(quantile(&pairs, 0.75))
                )
            }
            _ => dash(),
        };
        let rss = g.median(|l| l.num("rss_run_kib") - l.num("rss_start_kib"));
        let rss = match base {
            Some(b) if g.mode != "system" => {
                mib(rss - b.median(|l| l.num("rss_run_kib") - l.num("rss_start_kib")))
            }
            _ => format!("({})", mib(rss).trim_start_matches('+')),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2} | {} | {} | {} | {} | {} |",
            g.workload,
            g.mode,
            g.runs.len(),
            g.median(|l| l.num("iterations")),
            spread(&g.values(|l| l.num("wall_s"))),
            versus("wall_s"),
            spread(&g.values(|l| l.num("cpu_s"))),
            versus("cpu_s"),
            g.median(|l| per_iteration(l, "cpu_s")) * 1e9 / allocs_per_iteration,
            bytes_per_iteration / g.median(|l| per_iteration(l, "wall_s")) / 1e9,
            g.median(|l| l.num("others_cpu_s")),
            rss,
            if is_oxprof {
                format!("{:.0}", g.median(|l| l.num("allocs")))
            } else {
                dash()
            },
            if is_oxprof {
                format!(
                    "{:.0} ({:.0} dropped)",
                    g.median(|l| l.num("samples")),
                    g.median(|l| l.num("dropped"))
                )
            } else {
                dash()
            },
            if is_oxprof {
                format!("{:.3}", g.median(|l| l.num("build_s")))
            } else {
                dash()
            },
            if is_oxprof {
                format!("{:.0} KiB", g.median(|l| l.num("profiler_kib")))
            } else {
                dash()
            },
        );
    }
    println!();
    for failure in text.lines().filter(|l| l.starts_with('#')) {
        println!("{failure}");
    }
    println!(
        "Costs compare time per iteration with the system allocator's: the median against its \
         median, and in parentheses the median and interquartile range of each round's ratio to \
         that round's system run. CPU ns per allocation divides CPU time by the allocations \
         oxprof counted for the same work; allocated GB/s, the bytes it counted over wall time (the sampler's load at 512 KiB \
         per sample). Peak RSS Δ is VmHWM growth over the run, less the \
         system allocator's growth (shown in parentheses on its row)."
    );
    Ok(())
}

fn mode_order(mode: &str) -> usize {
    ["system", "counting", "oxprof", "dhat"]
        .iter()
        .position(|m| *m == mode)
        .unwrap_or(usize::MAX)
}

/// Per-iteration `key` ratios of a group's runs to the system run of the same round.
fn paired(group: &Group, base: &Group, key: &str) -> Vec<f64> {
    group
        .runs
        .iter()
        .filter_map(|run| {
            let round = Some(run.text("round")).filter(|r| !r.is_empty())?;
            let b = base.runs.iter().find(|b| b.text("round") == round)?;
            Some(per_iteration(run, key) / per_iteration(b, key))
        })
        .collect()
}

fn spread(values: &[f64]) -> String {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.3} ({lo:.3}–{hi:.3})", median(values))
}

/// A ratio as a percentage over 1 below 2×, as a factor above.
fn factor(ratio: f64) -> String {
    if ratio < 2.0 {
        format!("{:+.1}%", (ratio - 1.0) * 100.0)
    } else {
        format!("{ratio:.0}×")
    }
}
