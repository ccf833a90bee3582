#!/usr/bin/env bash
# What profiling an unmodified program costs: the fixture's workload (tests/fixtures/workload:
# xorshift spinning and small vectors allocated and freed, ~10 ms per round) run plain, under
# `oxprof record` (CPU at 100 Hz, heap at 512 KiB: the preload library), and profiled in-process
# by the oxprof crate doing the same (Profiled allocator, oxprof::session), interleaved round by
# round so machine noise hits the three alike. Each run prints the CPU time of its work before
# the profiles are written; the script also takes the whole run's wall and CPU time (which
# include starting the profilers and writing, symbolizing and gzipping the profiles at exit).
# Prints medians, ranges and the ratios to plain.
# Usage: bench/preload_overhead.sh [ROUNDS]
# Environment: ROUNDS (default 5), WORK (workload rounds per run, default 1000), QUIET and
# QUIET_WAIT (before each run, wait up to QUIET_WAIT seconds, default 3, for a second in which
# other programs use less than QUIET of the machine, default 0.05).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-5}}
work=${WORK:-1000}
quiet=${QUIET:-0.05}
quiet_wait=${QUIET_WAIT:-3}
out=bench/out/preload_overhead
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

echo "== building"
cargo build --release -q -p oxprof-cli 2>"$out/build-cli.log" || { cat "$out/build-cli.log" >&2; exit 1; }
cargo build --release -q --manifest-path bench/preload_overhead/Cargo.toml 2>"$out/build.log" ||
  { cat "$out/build.log" >&2; exit 1; }
oxprof=$CARGO_TARGET_DIR/release/oxprof
plain=$CARGO_TARGET_DIR/release/plain
inprocess=$CARGO_TARGET_DIR/release/inprocess
# The library is written to the cache on first use: not part of any measured run.
"$oxprof" record -o "$out/warm" -- "$plain" 1 >/dev/null 2>&1

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version); $(ldd --version | head -1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

. bench/quiet.sh

# run MODE: one measured run; appends "MODE work_cpu wall total_cpu" to the results.
results=$out/results.txt
: >"$results"
run() {
  local mode=$1 dir=$out/$1 timing line
  rm -rf "$dir" && mkdir -p "$dir"
  case $mode in
  plain) cmd=("$plain" "$work") ;;
  record) cmd=("$oxprof" record -o "$dir" -cpuprofile cpu.out -memprofile mem.out -rate 100
    -memprofilerate 524288 -- "$plain" "$work") ;;
  inprocess) cmd=("$inprocess" "$work" "$dir") ;;
  esac
  # Wall, user and system time of the run and its children (the recorded program is oxprof's).
  local TIMEFORMAT='%R %U %S'
  { time "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr" || true; } 2>"$dir/time"
  line=$(grep -o 'work_cpu_seconds=[0-9.]*' "$dir/stdout" | cut -d= -f2 || true)
  read -r wall user sys <"$dir/time"
  if [ -z "$line" ]; then
    echo "# $mode failed:" >&2; cat "$dir/stderr" >&2; return
  fi
  if [ "$mode" != plain ] && [ ! -s "$dir/cpu.out" -o ! -s "$dir/mem.out" ]; then
    echo "# $mode wrote no profiles:" >&2; cat "$dir/stderr" >&2
  fi
  echo "$mode $line $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" >>"$results"
  printf '%-10s work CPU %6.2f s, wall %6.2f s, total CPU %6.2f s\n' "$mode" "$line" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
}

echo "== $rounds rounds of plain, record, inprocess ($work workload rounds each)"
# Each round starts with a different mode, so no mode is always the one run first after a wait.
modes=(plain record inprocess)
for round in $(seq "$rounds"); do
  echo "-- round $round"
  for k in 0 1 2; do
    wait_quiet
    run "${modes[(round + k) % 3]}"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== medians (range) and ratio of medians to plain"
awk '
  { n[$1]++; w[$1, n[$1]] = $2; wa[$1, n[$1]] = $3; t[$1, n[$1]] = $4 }
  function sort(a, m, k,   i, j, x) { for (i = 1; i <= m; i++) v[i] = a[k, i]
    for (i = 2; i <= m; i++) { x = v[i]; for (j = i - 1; j > 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x } }
  function median(a, k, m) { sort(a, m, k); return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  function lo(a, k, m) { sort(a, m, k); return v[1] }
  function hi(a, k, m) { sort(a, m, k); return v[m] }
  END {
    split("plain record inprocess", modes)
    printf "%-10s %26s %26s %26s\n", "mode", "work CPU s", "wall s", "total CPU s"
    for (i = 1; i <= 3; i++) { k = modes[i]; m = n[k]; if (!m) continue
      mw[k] = median(w, k, m); mwa[k] = median(wa, k, m); mt[k] = median(t, k, m)
      printf "%-10s %8.2f (%5.2f-%5.2f) %+6.1f%% %8.2f (%5.2f-%5.2f) %+6.1f%% %8.2f (%5.2f-%5.2f) %+6.1f%%\n", k,
        mw[k], lo(w, k, m), hi(w, k, m), 100 * (mw[k] / mw["plain"] - 1),
        mwa[k], lo(wa, k, m), hi(wa, k, m), 100 * (mwa[k] / mwa["plain"] - 1),
        mt[k], lo(t, k, m), hi(t, k, m), 100 * (mt[k] / mt["plain"] - 1) }
  }' "$results"

# Each round's three runs are minutes apart at most, so a round's ratio to its own plain run
# cancels the slow drifts of a shared machine; the fastest runs are the least disturbed.
echo "== work CPU over the same round's plain run: median (range); fastest over fastest"
awk '
  { round = int((NR - 1) / 3); w[$1, round] = $2; rounds = round + 1 }
  function median(v, m,   i, j, x) { for (i = 2; i <= m; i++) { x = v[i]; for (j = i - 1; j > 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END {
    split("record inprocess", modes)
    for (i = 1; i <= 2; i++) { k = modes[i]; m = 0; fast = 0; fastplain = 0
      for (r = 0; r < rounds; r++) if ((k, r) in w && ("plain", r) in w) {
        v[++m] = w[k, r] / w["plain", r]
        if (!fast || w[k, r] < fast) fast = w[k, r]
        if (!fastplain || w["plain", r] < fastplain) fastplain = w["plain", r] }
      if (!m) continue
      lo = v[1]; hi = v[1]; for (j = 2; j <= m; j++) { if (v[j] < lo) lo = v[j]; if (v[j] > hi) hi = v[j] }
      printf "%-10s %+6.1f%% (%+.1f%% to %+.1f%%); fastest %+6.1f%%\n", k,
        100 * (median(v, m) - 1), 100 * (lo - 1), 100 * (hi - 1), 100 * (fast / fastplain - 1) }
  }' "$results"
