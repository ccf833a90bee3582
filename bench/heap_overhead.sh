#!/usr/bin/env bash
# What heap profiling costs an allocation-heavy program: the same fixed work (small objects in
# a loop; mixed sizes with some kept live; mixed sizes on 4 threads) under the system
# allocator, under oxprof::heap at Go's default rate (512 KiB), under oxprof counting only
# (rate 0) and under dhat-rs, with the runs interleaved round by round so machine noise hits
# them alike. One release binary per global allocator. Prints a table of median wall and CPU
# time, cost per iteration against the system allocator, peak memory and what oxprof recorded.
# Usage: bench/heap_overhead.sh [ROUNDS]
# Environment: ROUNDS (default 7), WORKLOADS (default "small mixed threads"), ITERATIONS (work
# per run; default: each workload's own), DHAT_ITERATIONS (dhat's work per run, default 40000:
# it is far slower, so it runs fewer iterations and is compared per iteration), QUIET (before
# each run, wait until other programs use less than this share of the machine over a second,
# default 0.05), QUIET_WAIT (seconds to wait for that at most, then run anyway; default 3) and
# RUN_TIMEOUT (seconds before a run counts as hung, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-7}}
workloads=${WORKLOADS:-small mixed threads}
iterations=${ITERATIONS:-}
dhat_iterations=${DHAT_ITERATIONS:-40000}
quiet=${QUIET:-0.05}
quiet_wait=${QUIET_WAIT:-3}
run_timeout=${RUN_TIMEOUT:-60}
out=bench/out/heap_overhead
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
manifest=bench/heap_overhead/Cargo.toml

# build ALLOCATOR: one release binary per global allocator, copied out of the shared target dir.
build() {
  cargo build --release -q --manifest-path "$manifest" --features "$1" 2>"$out/build-$1.log" &&
    cp "$CARGO_TARGET_DIR/release/heap_overhead" "$out/heap_overhead-$1" ||
    { cat "$out/build-$1.log" >&2; return 1; }
}

echo "== building"
for a in system oxprof dhat; do build "$a"; done

# Each mode: BINARY MODE ITERATIONS (empty: the workload's default).
modes=("$out/heap_overhead-system system $iterations"
  "$out/heap_overhead-oxprof counting $iterations"
  "$out/heap_overhead-oxprof oxprof $iterations"
  "$out/heap_overhead-dhat dhat $dhat_iterations")

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version); $(ldd --version | head -1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

. bench/quiet.sh

results=$out/results.txt
: >"$results"
echo "== $rounds rounds of ${#modes[@]} modes × workloads: $workloads"
for round in $(seq "$rounds"); do
  for w in $workloads; do
    for m in "${modes[@]}"; do
      read -r bin mode n <<<"$m"
      wait_quiet
      # A profiler that crashes or hangs the program is a result too: record it and go on.
      # dhat's own summary goes to stderr; kept in a log, not the table.
      if line=$(timeout "$run_timeout" "$bin" run "$mode" "$w" $n 2>>"$out/stderr.log"); then
        echo "round=$round $line" >>"$results"
      else
        echo "# round $round: $mode on $w failed with exit status $?" | tee -a "$results"
      fi
    done
  done
  echo "round $round done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done 2>/dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$out/heap_overhead-system" summarize "$results"
