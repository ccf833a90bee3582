#!/usr/bin/env bash
# oxprof-bench beside criterion and divan, in one run: the same three workloads (a ~2 ns, a ~2 µs
# and a ~2 ms op, dependent xorshift chains) under each harness at its default settings, in
# ROUNDS interleaved rounds. Prints each harness's median reported ns/op, the coefficient of
# variation over the rounds, the difference from the peers' medians, and wall time per run.
# Usage: bench/harness_compare.sh [ROUNDS]   (default 10; raw figures in bench/out/harness_compare)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-10}}
out=bench/out/harness_compare
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
manifest=bench/harness_compare/Cargo.toml

echo "== building"
cargo build --release -q --manifest-path "$manifest" --bin harness_compare
cargo bench -q --manifest-path "$manifest" --no-run 2>"$out/build.log"
newest() { ls -t "$CARGO_TARGET_DIR"/release/deps/"$1"-* | grep -v '\.d$' | head -1; }
bins=("$(newest h_oxprof)" "$(newest h_criterion)" "$(newest h_divan)")

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version); load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== $rounds rounds"
"$CARGO_TARGET_DIR/release/harness_compare" "$rounds" "${bins[@]}" "$out/raw.csv" | tee "$out/summary.md"
