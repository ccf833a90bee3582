//! Grouping results into benchstat's tables: one table per file configuration and unit, a row per
//! full benchmark name, a column per input file, each cell summarised and compared with the
//! first column of its row, and a geomean summary per column.
//!
//! Everything is ordered by first appearance: configuration values, units, benchmark names and
//! files.

use std::collections::HashMap;

use oxprof_benchfmt::{units, BenchResult, UnitMetadata};

use super::stats::{geomean, Assumption, Comparison, Summary};

/// One input: the label its column shows and the results read from it.
pub(crate) struct Input {
    pub label: String,
    pub results: Vec<BenchResult>,
}

/// The statistical settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    /// Significance threshold for comparisons.
    pub alpha: f64,
    /// Confidence level of the summaries' intervals.
    pub confidence: f64,
}

/// All tables, with the configuration keys their `config` values line up with.
pub(crate) struct Tables {
    pub config_keys: Vec<String>,
    pub tables: Vec<Table>,
}

/// One table: a unit under one file configuration.
pub(crate) struct Table {
    /// Values of [`Tables::config_keys`], `""` where unset.
    pub config: Vec<String>,
    /// The tidied unit.
    pub unit: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// Keyed by (row index, column index).
    pub cells: HashMap<(usize, usize), Cell>,
    /// One per column.
    pub summaries: Vec<ColumnSummary>,
}

/// The sample of one benchmark in one column.
pub(crate) struct Cell {
    pub summary: Summary,
    /// The comparison with the row's first-column cell, when this is another column's cell and
    /// that one exists; with the baseline's centre.
    pub comparison: Option<(Comparison, f64)>,
}

/// The geomean row's entry for a column.
pub(crate) struct ColumnSummary {
    /// Geometric mean of the column's centres.
    pub geomean: Option<f64>,
    /// Geometric mean of the ratios to the baseline, for columns after the first.
    pub ratio: Option<f64>,
    pub warnings: Vec<String>,
}

/// First-appearance order of distinct values.
struct Order {
    values: Vec<String>,
    index: HashMap<String, usize>,
}

impl Order {
    fn new() -> Self {
        Order {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn index(&mut self, v: &str) -> usize {
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        self.values.push(v.to_string());
        self.index.insert(v.to_string(), self.values.len() - 1);
        self.values.len() - 1
    }
}

/// Builds the tables from the inputs in order.
pub(crate) fn build(inputs: &[Input], units_meta: &[UnitMetadata], settings: Settings) -> Tables {
    let mut keys = Order::new();
    for r in inputs.iter().flat_map(|i| &i.results) {
        for c in &r.config {
            keys.index(&c.key);
        }
    }
    let config_keys = keys.values;
    let mut values: Vec<Order> = config_keys.iter().map(|_| Order::new()).collect();
    let mut unit_order = Order::new();
    let mut row_order = Order::new();
    let mut col_order = Order::new();
    // (config value indices, unit index) -> (row, col) -> values.
    type Samples = HashMap<(usize, usize), Vec<f64>>;
    let mut groups: HashMap<(Vec<usize>, usize), Samples> = HashMap::new();
    for input in inputs {
        let col = col_order.index(&input.label);
        for r in &input.results {
            let config: Vec<usize> = config_keys
                .iter()
                .zip(&mut values)
                .map(|(k, order)| order.index(r.config(k).unwrap_or("")))
                .collect();
            let row = row_order.index(r.name.as_str());
            for v in &r.values {
                let (value, unit) = v.tidy();
                let unit = unit_order.index(&unit);
                groups
                    .entry((config.clone(), unit))
                    .or_default()
                    .entry((row, col))
                    .or_default()
                    .push(value);
            }
        }
    }
    let mut keyed: Vec<_> = groups.into_iter().collect();
    keyed.sort_by(|a, b| (&a.0 .0, a.0 .1).cmp(&(&b.0 .0, b.0 .1)));
    let tables = keyed
        .into_iter()
        .map(|((config, unit), samples)| {
            let config = config
                .iter()
                .zip(&values)
                .map(|(&i, order)| order.values[i].clone())
                .collect();
            let unit = unit_order.values[unit].clone();
            let assumption = assumption(units_meta, &unit);
            table(
                config, unit, samples, assumption, settings, &row_order, &col_order,
            )
        })
        .collect();
    Tables {
        config_keys,
        tables,
    }
}

/// `assume=exact` from the unit metadata, matched on the tidied unit.
fn assumption(meta: &[UnitMetadata], unit: &str) -> Assumption {
    let exact = meta
        .iter()
        .any(|m| m.key == "assume" && m.value == "exact" && units::tidy(&m.unit).0 == unit);
    if exact {
        Assumption::Exact
    } else {
        Assumption::Nothing
    }
}

fn table(
    config: Vec<String>,
    unit: String,
    mut samples: HashMap<(usize, usize), Vec<f64>>,
    assumption: Assumption,
    settings: Settings,
    row_order: &Order,
    col_order: &Order,
) -> Table {
    for values in samples.values_mut() {
        values.sort_by(f64::total_cmp);
    }
    let present = |pick: fn(&(usize, usize)) -> usize| {
        let mut v: Vec<usize> = samples.keys().map(pick).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Global indices of the rows and columns this table has, in appearance order.
    let row_ids = present(|k| k.0);
    let col_ids = present(|k| k.1);
    let base_col = col_ids[0];
    let mut cells = HashMap::new();
    for (ri, &row) in row_ids.iter().enumerate() {
        let base = samples.get(&(row, base_col));
        let base_summary = base.map(|b| assumption.summary(b, settings.confidence));
        for (ci, &col) in col_ids.iter().enumerate() {
            let Some(values) = samples.get(&(row, col)) else {
                continue;
            };
            let summary = assumption.summary(values, settings.confidence);
            let comparison = match (base, &base_summary) {
                (Some(base), Some(bs)) if col != base_col => {
                    Some((assumption.compare(base, values, settings.alpha), bs.center))
                }
                _ => None,
            };
            cells.insert(
                (ri, ci),
                Cell {
                    summary,
                    comparison,
                },
            );
        }
    }
    let base_count = (0..row_ids.len())
        .filter(|&r| cells.contains_key(&(r, 0)))
        .count();
    let summaries = (0..col_ids.len())
        .map(|c| column_summary(&cells, row_ids.len(), c, base_count))
        .collect();
    Table {
        config,
        unit,
        rows: row_ids
            .iter()
            .map(|&r| row_order.values[r].clone())
            .collect(),
        cols: col_ids
            .iter()
            .map(|&c| col_order.values[c].clone())
            .collect(),
        cells,
        summaries,
    }
}

/// The geomean of a column's centres and, after the first column, of its ratios to the baseline
/// (the geomean of ratios rather than the ratio of geomeans, which stays meaningful when the
/// benchmark sets differ).
fn column_summary(
    cells: &HashMap<(usize, usize), Cell>,
    rows: usize,
    col: usize,
    base_count: usize,
) -> ColumnSummary {
    let mut centers = Vec::new();
    let mut ratios = Vec::new();
    let mut bad_ratio = false;
    for cell in (0..rows).filter_map(|r| cells.get(&(r, col))) {
        centers.push(cell.summary.center);
        if let Some((_, base)) = cell.comparison {
            let new = cell.summary.center;
            if new == base {
                // 0/0 counts as no change.
                ratios.push(1.0);
            } else if base == 0.0 {
                bad_ratio = true;
                ratios.push(0.0);
            } else {
                ratios.push(new / base);
            }
        }
    }
    let mut warnings = Vec::new();
    let is_base = col == 0;
    if !is_base && ratios.len() != base_count {
        warnings.push("benchmark set differs from baseline; geomeans may not be comparable".into());
    }
    let gm = geomean(&centers);
    let geomean_value = if gm.is_nan() {
        warnings.push("summaries must be >0 to compute geomean".into());
        None
    } else {
        Some(gm)
    };
    let mut ratio = None;
    if !is_base && !bad_ratio {
        let gm = geomean(&ratios);
        if gm.is_nan() {
            warnings.push("ratios must be >0 to compute geomean".into());
        } else {
            ratio = Some(gm);
        }
    }
    ColumnSummary {
        geomean: geomean_value,
        ratio,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(label: &str, text: &str) -> Input {
        Input {
            label: label.into(),
            results: oxprof_benchfmt::parse(text).unwrap(),
        }
    }

    const SETTINGS: Settings = Settings {
        alpha: 0.05,
        confidence: 0.95,
    };

    #[test]
    fn tables_per_configuration_and_unit_in_appearance_order() {
        let old = input(
            "old",
            "pkg: a\nBenchmarkX 1 10 ns/op 8 B/op\nBenchmarkY 1 5 MB/s\npkg: b\nBenchmarkX 1 3 ns/op\n",
        );
        let new = input(
            "new",
            "pkg: a\nBenchmarkY 1 6 MB/s\nBenchmarkX 1 12 ns/op\n",
        );
        let t = build(&[old, new], &[], SETTINGS);
        assert_eq!(t.config_keys, ["pkg"]);
        let shape: Vec<_> = t
            .tables
            .iter()
            .map(|t| {
                (
                    t.config[0].as_str(),
                    t.unit.as_str(),
                    t.rows.len(),
                    t.cols.len(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("a", "sec/op", 1, 2),
                ("a", "B/op", 1, 1),
                ("a", "B/s", 1, 2),
                ("b", "sec/op", 1, 1)
            ]
        );
        let speed = &t.tables[2];
        assert_eq!(speed.cells[&(0, 1)].summary.center, 6e6);
        let (cmp, base) = speed.cells[&(0, 1)].comparison.as_ref().unwrap();
        assert_eq!((*base, cmp.n1, cmp.n2), (5e6, 1, 1));
        assert!(speed.cells[&(0, 0)].comparison.is_none());
    }

    #[test]
    fn geomean_row_uses_ratios_and_warns_on_mismatched_sets() {
        let old = input("old", "BenchmarkA 1 2 x\nBenchmarkB 1 8 x\n");
        let new = input("new", "BenchmarkA 1 4 x\nBenchmarkC 1 8 x\n");
        let t = build(&[old, new], &[], SETTINGS);
        let table = &t.tables[0];
        assert_eq!(table.rows, ["A", "B", "C"]);
        assert!((table.summaries[0].geomean.unwrap() - 4.0).abs() < 1e-12);
        assert!(table.summaries[0].warnings.is_empty());
        let new_col = &table.summaries[1];
        assert!((new_col.geomean.unwrap() - 32f64.sqrt()).abs() < 1e-12);
        assert!((new_col.ratio.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(
            new_col.warnings,
            ["benchmark set differs from baseline; geomeans may not be comparable"]
        );
    }

    #[test]
    fn zero_baselines_and_exact_units() {
        let meta = [UnitMetadata {
            unit: "y".into(),
            key: "assume".into(),
            value: "exact".into(),
            line: 1,
        }];
        let old = input("old", "BenchmarkA 1 0 y\nBenchmarkB 1 0 y\n");
        let new = input("new", "BenchmarkA 1 100 y\nBenchmarkB 1 100 y\n");
        let t = build(&[old, new], &meta, SETTINGS);
        let table = &t.tables[0];
        assert_eq!(table.summaries[0].geomean, None);
        assert_eq!(
            table.summaries[0].warnings,
            ["summaries must be >0 to compute geomean"]
        );
        assert_eq!(table.summaries[1].ratio, None);
        let (cmp, _) = table.cells[&(0, 1)].comparison.as_ref().unwrap();
        assert_eq!(cmp.p, 0.0);
    }
}
