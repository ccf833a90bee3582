//! Runs the three harnesses' bench binaries in interleaved rounds and prints, per workload and
//! harness: the median reported ns/op, its coefficient of variation over the rounds, the
//! difference from the other harnesses' medians, and each harness's wall time per run.
//!
//! Usage: harness_compare ROUNDS OXPROF_BIN CRITERION_BIN DIVAN_BIN [RAW_CSV]
//!
//! Before each run it waits until other programs use less than `QUIET` (default 0.25) of the
//! machine over a second, for at most `QUIET_WAIT` seconds (default 60), then runs anyway; the
//! busy share seen is recorded with the run.

use std::process::Command;
use std::time::Instant;

use harness_compare::{parse, WORKLOADS};

struct Harness {
    name: &'static str,
    bin: String,
    parse: fn(&str, &str) -> Option<f64>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: harness_compare ROUNDS OXPROF_BIN CRITERION_BIN DIVAN_BIN [RAW_CSV]");
        std::process::exit(2);
    }
    let rounds: usize = args[0].parse().expect("ROUNDS is a number");
    let harnesses = [
        Harness {
            name: "oxprof-bench",
            bin: args[1].clone(),
            parse: parse::oxprof,
        },
        Harness {
            name: "criterion",
            bin: args[2].clone(),
            parse: parse::criterion,
        },
        Harness {
            name: "divan",
            bin: args[3].clone(),
            parse: parse::divan,
        },
    ];
    // ns[h][w][round], wall[h][round]
    let mut ns = vec![vec![Vec::new(); WORKLOADS.len()]; harnesses.len()];
    let mut wall = vec![Vec::new(); harnesses.len()];
    let quiet: f64 = env_or("QUIET", 0.25);
    let quiet_wait: f64 = env_or("QUIET_WAIT", 60.0);
    let mut raw = String::from("round,harness,workload,ns_per_op,wall_s,busy_before\n");
    let mut busiest: f64 = 0.0;
    for round in 0..rounds {
        // Rotate the order so no harness always runs first (or right after another).
        for k in 0..harnesses.len() {
            let h = (round + k) % harnesses.len();
            let harness = &harnesses[h];
            let busy = wait_for_quiet(quiet, quiet_wait);
            busiest = busiest.max(busy);
            let started = Instant::now();
            let out = Command::new(&harness.bin)
                .arg("--bench")
                .output()
                .unwrap_or_else(|e| panic!("run {}: {e}", harness.bin));
            let secs = started.elapsed().as_secs_f64();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{} failed:\n{text}", harness.name);
            wall[h].push(secs);
            for (w, workload) in WORKLOADS.iter().enumerate() {
                let value = (harness.parse)(&text, workload).unwrap_or_else(|| {
                    panic!("no {workload} in {}'s output:\n{text}", harness.name)
                });
                ns[h][w].push(value);
                raw.push_str(&format!(
                    "{round},{},{workload},{value},{secs:.3},{busy:.2}\n",
                    harness.name
                ));
            }
            eprintln!(
                "round {} {}: {secs:.1}s (machine {:.0}% busy before)",
                round + 1,
                harness.name,
                busy * 100.0
            );
        }
    }
    if let Some(path) = args.get(4) {
        std::fs::write(path, &raw).expect("write the raw CSV");
    }
    println!(
        "| workload | harness | median ns/op | CV over {rounds} runs | vs criterion | vs divan |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (w, workload) in WORKLOADS.iter().enumerate() {
        let medians: Vec<f64> = ns.iter().map(|per_w| median(&per_w[w])).collect();
        for (h, harness) in harnesses.iter().enumerate() {
            let vs = |peer: usize| match peer == h {
                true => "".to_string(),
                false => format!("{:+.1}%", (medians[h] / medians[peer] - 1.0) * 100.0),
            };
            println!(
                "| {workload} | {} | {} | {:.1}% | {} | {} |",
                harness.name,
                format_ns(medians[h]),
                cv(&ns[h][w]) * 100.0,
                vs(1),
                vs(2)
            );
        }
    }
    println!();
    println!(
        "Busiest the machine was before a run: {:.0}% of its CPU time.",
        busiest * 100.0
    );
    println!();
    println!("| harness | wall time per run (median) | min | max |");
    println!("|---|---:|---:|---:|");
    for (h, harness) in harnesses.iter().enumerate() {
        let w = &wall[h];
        let (min, max) = w
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        println!(
            "| {} | {:.1} s | {min:.1} s | {max:.1} s |",
            harness.name,
            median(w)
        );
    }
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The share of the machine's CPU time in use over the last second, from `/proc/stat`.
fn busy_share() -> f64 {
    let read = || -> (u64, u64) {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // idle + iowait
        let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
        (fields.iter().sum(), idle)
    };
    let (total0, idle0) = read();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (total1, idle1) = read();
    let total = total1.saturating_sub(total0).max(1);
    1.0 - idle1.saturating_sub(idle0) as f64 / total as f64
}

/// Waits until the machine is quieter than `quiet`, at most `max_wait` seconds; returns the
/// busy share last seen.
fn wait_for_quiet(quiet: f64, max_wait: f64) -> f64 {
    let started = Instant::now();
    loop {
        let busy = busy_share();
        if busy < quiet || started.elapsed().as_secs_f64() >= max_wait {
            return busy;
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    match n % 2 {
        1 => s[n / 2],
        _ => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Coefficient of variation: sample standard deviation over the mean.
fn cv(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    var.sqrt() / mean
}

fn format_ns(ns: f64) -> String {
    match ns {
        _ if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        _ if ns >= 1e3 => format!("{:.3} µs", ns / 1e3),
        _ => format!("{ns:.3} ns"),
    }
}
