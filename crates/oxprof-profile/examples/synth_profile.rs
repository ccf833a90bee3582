//! Writes a large synthetic CPU profile for benchmarking readers such as `oxprof -top`.
//!
//! The profile is shaped like the worst case for a profile reader: many samples, deep stacks
//! (8–64 frames) and little sharing between them, so neither the decoder nor the graph builder
//! can lean on repetition. The generator is deterministic: the same arguments give the same bytes.
//!
//! ```text
//! cargo run --release -p oxprof-profile --example synth_profile -- OUT.pb.gz [SAMPLES] [SEED]
//! ```

use oxprof_profile::{Function, Line, Location, Mapping, Profile, Sample, ValueType};
use std::{fs::File, io::BufWriter};

/// Distinct functions; each has a few locations (call sites) so stacks rarely repeat.
const N_FUNCTIONS: u64 = 60_000;
const LOCATIONS_PER_FUNCTION: u64 = 4;
const MIN_DEPTH: u64 = 8;
const MAX_DEPTH: u64 = 64;
const PERIOD_NS: i64 = 10_000_000;

/// xorshift64*: a tiny deterministic generator, so the benchmark input is reproducible from
/// its seed without pulling a random-number crate into the workspace.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index below `n`, low indices more likely (density falling like u³), so some functions
    /// are hot enough to show in a report while most stacks still share little.
    fn skewed_below(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as u64
    }
}

fn synth(n_samples: u64, seed: u64) -> Profile {
    let mut rng = Rng(seed.max(1));
    let function = (1..=N_FUNCTIONS)
        .map(|id| Function {
            id,
            name: format!("synth::module{}::function_{id}", id % 97),
            system_name: format!("_ZN5synth8module{}11function_{id}E", id % 97),
            filename: format!("src/module{}.rs", id % 97),
            start_line: (id % 500) as i64 + 1,
        })
        .collect();
    let location = (1..=N_FUNCTIONS * LOCATIONS_PER_FUNCTION)
        .map(|id| {
            let function_id = (id - 1) / LOCATIONS_PER_FUNCTION + 1;
            Location {
                id,
                mapping_id: 1,
                address: 0x40_0000 + id * 16,
                line: vec![Line {
                    function_id,
                    line: (id % 900) as i64 + 1,
                    column: 0,
                }],
                is_folded: false,
            }
        })
        .collect();
    let n_locations = N_FUNCTIONS * LOCATIONS_PER_FUNCTION;
    let sample = (0..n_samples)
        .map(|_| {
            let depth = MIN_DEPTH + rng.below(MAX_DEPTH - MIN_DEPTH + 1);
            let location_id = (0..depth)
                .map(|_| rng.skewed_below(n_locations) + 1)
                .collect();
            let count = 1 + rng.below(3) as i64;
            Sample {
                location_id,
                value: vec![count, count * PERIOD_NS],
                label: vec![],
            }
        })
        .collect();
    Profile {
        sample_type: vec![
            ValueType::new("samples", "count"),
            ValueType::new("cpu", "nanoseconds"),
        ],
        sample,
        mapping: vec![Mapping {
            id: 1,
            memory_start: 0x40_0000,
            memory_limit: 0x40_0000 + (n_locations + 1) * 16,
            filename: "/usr/bin/synth".into(),
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            ..Mapping::default()
        }],
        location,
        function,
        time_nanos: 1_700_000_000_000_000_000,
        duration_nanos: 60_000_000_000,
        period_type: Some(ValueType::new("cpu", "nanoseconds")),
        period: PERIOD_NS,
        ..Profile::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: synth_profile OUT.pb.gz [SAMPLES] [SEED]")?;
    let n_samples = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let seed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let profile = synth(n_samples, seed);
    let raw_len = profile.encode().len();
    profile.write_to(BufWriter::new(File::create(&out)?))?;
    let gz_len = std::fs::metadata(&out)?.len();
    eprintln!(
        "wrote {out}: {n_samples} samples, {} locations, {:.1} MB uncompressed, {:.1} MB gzipped",
        N_FUNCTIONS * LOCATIONS_PER_FUNCTION,
        raw_len as f64 / 1e6,
        gz_len as f64 / 1e6
    );
    Ok(())
}
