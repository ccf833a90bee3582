//! The table over many runs' output lines: medians and ranges per mode and rate, overhead
//! against the unprofiled runs, what each profiler recorded, and its memory.

use crate::run_lines::{median, mib, quantile, Line};

/// The runs of one mode at one rate, in the order they ran.
struct Group<'a> {
    mode: &'a str,
    hz: &'a str,
    runs: Vec<&'a Line>,
}

impl Group<'_> {
    fn values(&self, f: impl Fn(&Line) -> f64) -> Vec<f64> {
        self.runs.iter().map(|l| f(l)).collect()
    }
}

/// Prints the table for the runs in `file` (lines that are not run output are skipped).
pub fn summarize(file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?;
    let lines: Vec<Line> = text
        .lines()
        .filter_map(|t| Line::parse(t, &["mode"]))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for line in &lines {
        let (mode, hz) = (line.text("mode"), line.text("hz"));
        match groups.iter_mut().find(|g| g.mode == mode && g.hz == hz) {
            Some(g) => g.runs.push(line),
            None => groups.push(Group {
                mode,
                hz,
                runs: vec![line],
            }),
        }
    }
    let base = groups
        .iter()
        .find(|g| g.mode == "none")
        .ok_or("no unprofiled (mode=none) runs to compare with")?;
    let base_wall = base.values(|l| l.num("wall_s"));
    let base_cpu = base.values(|l| l.num("cpu_s"));
    let base_rss_run = median(&base.values(|l| l.num("rss_run_kib") - l.num("rss_start_kib")));
    let base_rss_end = median(&base.values(|l| l.num("rss_end_kib") - l.num("rss_start_kib")));

    println!(
        "| mode | Hz | runs | wall s, median (min–max) | wall overhead (paired) | \
         wall overhead, fastest runs | \
         CPU s, median (min–max) | CPU overhead | CPU outside workers, ms | \
         others' CPU s | samples (of Hz × worker CPU) | \
         full stacks | frames/sample | start s | stop+symbolize s, median (min–max) | \
         peak RSS Δ, run | peak RSS Δ, with stop |"
    );
    println!("|---|---:|---:|---|---|---:|---|---|---:|---:|---|---:|---:|---:|---|---:|---:|");
    for g in &groups {
        let wall = g.values(|l| l.num("wall_s"));
        let cpu = g.values(|l| l.num("cpu_s"));
        let profiled = g.mode != "none";
        let dash = || "—".to_string();
        let samples = if profiled {
            let n = median(&g.values(|l| l.num("samples")));
            let share =
                median(&g.values(|l| l.num("samples") / (l.num("hz") * l.num("worker_cpu_s"))));
            let lost = median(&g.values(|l| l.num("lost")));
            let lost = if lost > 0.0 {
                format!(", {lost:.0} lost")
            } else {
                String::new()
            };
            format!("{n:.0} ({:.0}%{lost})", share * 100.0)
        } else {
            dash()
        };
        let full = ratio_cell(profiled, g, "complete", "samples", 100.0, "%");
        let depth = ratio_cell(profiled, g, "frames", "samples", 1.0, "");
        let rss_run = median(&g.values(|l| l.num("rss_run_kib") - l.num("rss_start_kib")));
        let rss_end = median(&g.values(|l| l.num("rss_end_kib") - l.num("rss_start_kib")));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.2} | {} | {} | {} | {} | {} | {} | {} |",
            g.mode,
            if profiled { g.hz } else { "—" },
            g.runs.len(),
            spread(&wall, 3),
            if profiled {
                let pairs = paired(g, base);
                format!(
                    "{} ({}, IQR {} to {})",
                    percent(median(&wall) / median(&base_wall)),
                    percent(median(&pairs)),
                    percent(quantile(&pairs, 0.25)),
                    percent(quantile(&pairs, 0.75))
                )
            } else {
                dash()
            },
            if profiled {
                percent(minimum(&wall) / minimum(&base_wall))
            } else {
                dash()
            },
            spread(&cpu, 3),
            if profiled {
                percent(median(&cpu) / median(&base_cpu))
            } else {
                dash()
            },
            median(&g.values(|l| l.num("cpu_s") - l.num("worker_cpu_s"))) * 1000.0,
            median(&g.values(|l| l.num("others_cpu_s"))),
            samples,
            full,
            depth,
            if profiled {
                format!("{:.3}", median(&g.values(|l| l.num("start_s"))))
            } else {
                dash()
            },
            if profiled {
                spread(&g.values(|l| l.num("stop_s")), 3)
            } else {
                dash()
            },
            if profiled {
                mib(rss_run - base_rss_run)
            } else {
                format!("({})", mib(rss_run).trim_start_matches('+'))
            },
            if profiled {
                mib(rss_end - base_rss_end)
            } else {
                format!("({})", mib(rss_end).trim_start_matches('+'))
            },
        );
    }
    println!();
    for failure in text.lines().filter(|l| l.starts_with('#')) {
        println!("{failure}");
    }
    println!(
        "Overheads compare medians with the unprofiled median; in parentheses are the median \
         and interquartile range of each round's ratio to that round's unprofiled run. The fastest runs \
         compare each mode's fastest run with the fastest unprofiled one: noise from other \
         programs and the host only ever adds time. CPU outside workers is the \
         process's CPU time beyond the two workers' own (a profiler's own threads); others' CPU \
         is what other programs used on the machine during the run. Peak RSS Δ is VmHWM growth from \
         process start, minus the unprofiled runs' growth (shown in parentheses on their row)."
    );
    Ok(())
}

/// The median of `num / den` over runs, scaled and suffixed; a dash for unprofiled runs.
fn ratio_cell(profiled: bool, g: &Group, num: &str, den: &str, scale: f64, unit: &str) -> String {
    if !profiled {
        return "—".to_string();
    }
    let v = median(&g.values(|l| l.num(num) / l.num(den)));
    format!("{:.1}{unit}", v * scale)
}

/// Wall-time ratios of a group's runs to the unprofiled run of the same `round`; runs without
/// a round, or whose round has no unprofiled run, are left out.
fn paired(group: &Group, base: &Group) -> Vec<f64> {
    group
        .runs
        .iter()
        .filter_map(|run| {
            let round = Some(run.text("round")).filter(|r| !r.is_empty())?;
            let b = base.runs.iter().find(|b| b.text("round") == round)?;
            Some(run.num("wall_s") / b.num("wall_s"))
        })
        .collect()
}

fn minimum(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn spread(values: &[f64], decimals: usize) -> String {
    let lo = minimum(values);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{:.d$} ({:.d$}–{:.d$})",
        median(values),
        lo,
        hi,
        d = decimals
    )
}

fn percent(ratio: f64) -> String {
    format!("{:+.1}%", (ratio - 1.0) * 100.0)
}
