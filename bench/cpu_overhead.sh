#!/usr/bin/env bash
# What CPU profiling costs a CPU-bound program: the same fixed work on two threads, unprofiled,
# under oxprof and under pprof-rs (each of its unwinders that builds), at each rate, with the
# modes interleaved round by round so machine noise hits them alike. Prints a table of median
# wall and CPU time, overhead, samples recorded, stop+symbolize time and peak memory.
# Usage: bench/cpu_overhead.sh [ROUNDS]
# Environment: ROUNDS (default 7), RATES (default "100 1000"), BATCHES (work per thread),
# PPROF_VARIANTS (default "pprof-rs pprof-rs-fp pprof-rs-framehop"), QUIET (before each run,
# wait until other programs use less than this share of the machine over a second, default
# 0.05), QUIET_WAIT (seconds to wait for that at most, then run anyway; default 60) and
# RUN_TIMEOUT (seconds before a run counts as hung, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-7}}
rates=${RATES:-100 1000}
variants=${PPROF_VARIANTS:-pprof-rs pprof-rs-fp pprof-rs-framehop}
batches=${BATCHES:-}
quiet=${QUIET:-0.05}
quiet_wait=${QUIET_WAIT:-60}
run_timeout=${RUN_TIMEOUT:-60}
out=bench/out/cpu_overhead
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
manifest=bench/cpu_overhead/Cargo.toml

# build VARIANT: one release binary per pprof-rs unwinder, copied out of the shared target dir.
build() {
  local features
  case $1 in
    pprof-rs) features=() ;;
    pprof-rs-fp) features=(--features pprof-frame-pointer) ;;
    pprof-rs-framehop) features=(--features pprof-framehop) ;;
    *) echo "bench: unknown pprof-rs variant $1" >&2; return 1 ;;
  esac
  cargo build --release -q --manifest-path "$manifest" "${features[@]}" 2>"$out/build-$1.log" &&
    cp "$CARGO_TARGET_DIR/release/cpu_overhead" "$out/cpu_overhead-$1"
}

echo "== building"
build pprof-rs || { cat "$out/build-pprof-rs.log" >&2; exit 1; }
main_bin=$out/cpu_overhead-pprof-rs
built=()
for v in $variants; do
  if [ "$v" = pprof-rs ] || build "$v"; then
    built+=("$v")
  else
    echo "$v does not build: left out (see $out/build-$v.log)"
  fi
done

# Each mode: BINARY MODE HZ.
modes=("$main_bin none 0")
for hz in $rates; do modes+=("$main_bin oxprof $hz"); done
for v in "${built[@]}"; do
  for hz in $rates; do modes+=("$out/cpu_overhead-$v $v $hz"); done
done

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

. bench/quiet.sh

results=$out/results.txt
: >"$results"
echo "== $rounds rounds of ${#modes[@]} modes"
for round in $(seq "$rounds"); do
  for m in "${modes[@]}"; do
    read -r bin mode hz <<<"$m"
    wait_quiet
    # A profiler that crashes or hangs the program is a result too: record it and go on.
    if line=$(timeout "$run_timeout" "$bin" run "$mode" "$hz" $batches); then
      echo "round=$round $line" >>"$results"
    else
      echo "# round $round: $mode at $hz Hz failed with exit status $?" | tee -a "$results"
    fi
  done
  echo "round $round done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$main_bin" summarize "$results"
