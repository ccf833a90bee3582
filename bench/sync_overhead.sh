#!/usr/bin/env bash
# What oxprof::sync's mutexes cost against the ones they wrap (std's, parking_lot's, tokio's,
# the families in FAMILIES): a lock-increment-unlock loop on 1
# thread (uncontended) and on 2 and 4 threads sharing one mutex (contended), with oxprof's
# block and mutex profiles off, sampling (block rate 10 µs, mutex fraction 10) and recording
# every event (rate 1, fraction 1). Each run is its own process; the runs are interleaved round
# by round so machine noise hits them alike. Prints a table of medians, ranges and per-round
# differences against std.
# Usage: bench/sync_overhead.sh [ROUNDS]
# Each round also times recording block events of one call site (RECORD_EVENTS of them).
# Environment: FAMILIES (default "std parking_lot tokio"), ROUNDS (default 7), UNCONTENDED_OPS (default 20000000), CONTENDED_OPS (default
# 2000000), RECORD_EVENTS (default 20000), RUN_TIMEOUT (seconds before a run counts as hung,
# default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-7}}
uncontended_ops=${UNCONTENDED_OPS:-20000000}
contended_ops=${CONTENDED_OPS:-2000000}
record_events=${RECORD_EVENTS:-20000}
run_timeout=${RUN_TIMEOUT:-120}
families=${FAMILIES:-std parking_lot tokio}
out=bench/out/sync_overhead
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

echo "== building"
cargo build --release -q --manifest-path bench/sync_overhead/Cargo.toml 2>"$out/build.log" ||
  { cat "$out/build.log" >&2; exit 1; }
bin=$out/sync_overhead
cp "$CARGO_TARGET_DIR/release/sync_overhead" "$bin"

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

results=$out/results.txt
: >"$results"
echo "== $rounds rounds"
for round in $(seq "$rounds"); do
  for threads in 1 2 4; do
    ops=$contended_ops
    [ "$threads" = 1 ] && ops=$uncontended_ops
    configs=()
    for family in $families; do
      wrapper=oxprof-$family
      [ "$family" = std ] && wrapper=oxprof
      configs+=("$family off" "$wrapper off" "$wrapper sampled" "$wrapper every")
    done
    for config in "${configs[@]}"; do
      read -r lock profiles <<<"$config"
      if line=$(timeout "$run_timeout" "$bin" run "$lock" "$profiles" "$threads" "$ops"); then
        echo "round=$round $line" >>"$results"
      else
        echo "# round $round: $lock $profiles on $threads threads failed with exit status $?" |
          tee -a "$results"
      fi
    done
  done
  if line=$(timeout "$run_timeout" "$bin" record "$record_events"); then
    echo "round=$round $line" >>"$results"
  fi
  echo "round $round done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bin" summarize "$results"
