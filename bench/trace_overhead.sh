#!/usr/bin/env bash
# What the execution tracer costs. (1) A `tracing`-instrumented workload (one span entered
# around some spinning, one event inside: five trace events per unit, at RATE events/s per
# thread with no subscriber) on 1 and on 2 threads: no subscriber, the bare registry,
# oxprof's TraceLayer installed but not tracing, TraceLayer recording to a file, tracing-chrome
# writing its JSON; modes interleaved round by round. Reported: the workers' CPU time (thread
# CPU clocks: what preemption by other programs does not inflate) and the process's (writer
# threads included), the loss of each against no subscriber in the same round, ns added per
# trace event, trace bytes per event. (2) The raw cost of oxprof::trace events: REPS times
# PAIRS region begin/end pairs and PAIRS logs in a loop, ns per event in thread CPU time.
# Usage: bench/trace_overhead.sh [ROUNDS]
# Environment: ROUNDS (default 5), RATE (trace events/s per thread, default 1000000), UNITS
# (per thread and run, default 200000: 1 s at the default rate), THREADS (default "1 2"),
# REPS (default 21), PAIRS (default 1000000), QUIET/QUIET_WAIT (see bench/quiet.sh; default
# 0.10 and 20 s).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-5}}
rate=${RATE:-1000000}
units=${UNITS:-200000}
threads=${THREADS:-1 2}
reps=${REPS:-21}
pairs=${PAIRS:-1000000}
quiet=${QUIET:-0.10}
quiet_wait=${QUIET_WAIT:-20}
modes="none registry oxprof-off oxprof chrome"
out=bench/out/trace_overhead
rm -rf "$out"; mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
source bench/quiet.sh

echo "== building (release)"
cargo build --release -q --manifest-path bench/trace_overhead/Cargo.toml
bin=$CARGO_TARGET_DIR/release/trace_overhead
runs=$out/runs.txt

spin=$("$bin" calibrate "$rate")
echo "== spin rounds per unit for $rate events/s per thread: $spin; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for t in $threads; do
    for m in $modes; do
      wait_quiet
      line=$("$bin" run "$m" "$t" "$units" "$spin" "$out/$m.trace")
      echo "round=$r load=$(cut -d' ' -f1 /proc/loadavg) $line" | tee -a "$runs"
      rm -f "$out/$m.trace"
    done
  done
done
echo "== raw cost: $reps reps of $pairs pairs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
wait_quiet
"$bin" raw "$reps" "$pairs" "$out/raw.trace" | tee -a "$runs"
rm -f "$out/raw.trace"
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" summarize "$runs" | tee "$out/summary.txt"
