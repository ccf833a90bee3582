//! Each harness's report, reduced to nanoseconds per operation by workload.

/// A time with its unit as criterion and divan print it (`1.23 ns`, `4.5 µs`, `2 ms`).
fn nanos(value: &str, unit: &str) -> Option<f64> {
    let scale = match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(value.parse::<f64>().ok()? * scale)
}

/// oxprof-bench: Go's result lines, `BenchmarkOp2ns-2  <n>  <x> ns/op`.
pub fn oxprof(output: &str, workload: &str) -> Option<f64> {
    let go_name = format!("Benchmark{}", camel(workload));
    output.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let name = fields.next()?;
        let base = name.rsplit_once('-').map_or(name, |(b, _)| b);
        if base != go_name {
            return None;
        }
        let fields: Vec<&str> = fields.collect();
        let at = fields.iter().position(|f| *f == "ns/op")?;
        fields.get(at.checked_sub(1)?)?.parse().ok()
    })
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// criterion: `<name>  time:   [low estimate high]`, the middle value.
pub fn criterion(output: &str, workload: &str) -> Option<f64> {
    let mut lines = output.lines();
    while let Some(line) = lines.next() {
        if line.split_whitespace().next() != Some(workload) {
            continue;
        }
        // The estimate is on this line or, for long names, the next.
        let time_line = if line.contains("time:") {
            line
        } else {
            lines.next()?
        };
        let inside = time_line.split_once('[')?.1.split_once(']')?.0;
        let parts: Vec<&str> = inside.split_whitespace().collect();
        return nanos(parts.get(2)?, parts.get(3)?);
    }
    None
}

/// divan: a table row `├─ <name>  fastest │ slowest │ median │ mean │ samples │ iters`, the mean.
pub fn divan(output: &str, workload: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let cells: Vec<&str> = line.split('│').map(str::trim).collect();
        let first: Vec<&str> = cells.first()?.split_whitespace().collect();
        if !first.contains(&workload) {
            return None;
        }
        let mean: Vec<&str> = cells.get(3)?.split_whitespace().collect();
        nanos(mean.first()?, mean.get(1)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_harness() {
        let go = "BenchmarkOp2ns-2   \t500000000\t         2.150 ns/op\n";
        assert_eq!(oxprof(go, "op_2ns"), Some(2.15));
        let c = "op_2us                  time:   [1.9812 µs 1.9911 µs 2.0032 µs]\n";
        assert!((criterion(c, "op_2us").unwrap() - 1991.1).abs() < 1e-6);
        let d = "├─ op_2ms  2.01 ms       │ 2.3 ms        │ 2.02 ms       │ 2.05 ms       │ 100     │ 100\n";
        assert!((divan(d, "op_2ms").unwrap() - 2.05e6).abs() < 1e-3);
    }
}
