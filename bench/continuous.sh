#!/usr/bin/env bash
# Continuous profiling costs. (1) The agent's overhead: a fixed CPU-bound workload on two
# threads, without and with the agent at its default period (10 s) pushing to oxprof serve,
# interleaved round by round; medians of wall and CPU time, and the agent's own CPU time.
# (2) oxprof serve's ingest rate: synthetic agent-sized CPU profiles pushed one per request over
# 4 connections. (3) Query latency: a day of 10 s profiles (8,640) merged, and its timeline.
# (4) The end-to-end test's 60 s version: agent, server killed and restarted, spool replayed.
# Usage: bench/continuous.sh [ROUNDS]
# Environment: ROUNDS (default 5), UNITS (workload size, default 60000: ~30 s on two threads),
# INGEST (profiles pushed, default 2000), E2E_SECONDS (default 60; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-5}}
units=${UNITS:-60000}
ingest=${INGEST:-2000}
e2e=${E2E_SECONDS:-60}
out=bench/out/continuous
rm -rf "$out"; mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

echo "== building (release)"
cargo build --release -q -p oxprof-cli
cargo build --release -q --manifest-path bench/continuous/Cargo.toml
oxprof=$CARGO_TARGET_DIR/release/oxprof
workload=$CARGO_TARGET_DIR/release/workload
load=$CARGO_TARGET_DIR/release/load

server_pid=
# serve DIR: starts oxprof serve on a free port; sets $url.
serve() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  "$oxprof" serve --store "$1" --listen 127.0.0.1:0 2>"$1.log" &
  server_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's|.*serving on \(http://[^/]*\)/.*|\1|p' "$1.log")
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "bench: oxprof serve did not start" >&2; cat "$1.log" >&2; exit 1
}
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null || true' EXIT

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "== 1. agent overhead: $rounds rounds of $units units, load: $(cut -d' ' -f1-3 /proc/loadavg)"
serve "$out/store-overhead"
for r in $(seq "$rounds"); do
  "$workload" --units "$units" >>"$out/without.txt"
  "$workload" --units "$units" --agent "$url" >>"$out/with.txt"
  echo "round $r: without $(tail -1 "$out/without.txt" | cut -d' ' -f1-2), with $(tail -1 "$out/with.txt" | cut -d' ' -f1-5)"
done
for f in without with; do
  echo "$f: wall median $(cut -d' ' -f1 "$out/$f.txt" | median) s (range $(cut -d' ' -f1 "$out/$f.txt" | sort -n | sed -n '1p;$p' | paste -sd-)), cpu median $(cut -d' ' -f2 "$out/$f.txt" | median) s"
done
echo "agent's own CPU per run: median $(cut -d' ' -f3 "$out/with.txt" | median) s; pushes per run: $(cut -d' ' -f4 "$out/with.txt" | median); bytes per run: $(cut -d' ' -f5 "$out/with.txt" | median)"
echo "agent's steady CPU (from its first collection on, % of the program's CPU): median $(cut -d' ' -f6 "$out/with.txt" | median)%"
awk 'NR==FNR {w[FNR]=$1; c[FNR]=$2; next} {printf "round %d: wall %+.2f%%, cpu %+.2f%%\n", FNR, ($1/w[FNR]-1)*100, ($2/c[FNR]-1)*100}' "$out/without.txt" "$out/with.txt"

echo "== 2. ingest: $ingest profiles over 4 connections, 3 runs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in 1 2 3; do
  serve "$out/store-ingest-$r"
  "$load" ingest "$url" "$ingest" 4 | tee -a "$out/ingest.txt" | awk '{print "  " $1 " profiles/s, " $2 " bytes per push"}'
done
echo "ingest median: $(cut -d' ' -f1 "$out/ingest.txt" | median) profiles/s"

echo "== 3. query: 8,640 profiles of 10 s (24 h), load: $(cut -d' ' -f1-3 /proc/loadavg)"
serve "$out/store-query"
"$load" fill "$url" 8640 10
du -sh "$out/store-query" | awk '{print "store size: " $1}'
"$load" query "$url" 5 | tee "$out/query.txt" | awk '{print "  merge " $1 " s, timeline " $2 " s, merged profile " $3 " bytes"}'
echo "merge median $(cut -d' ' -f1 "$out/query.txt" | median) s, timeline median $(cut -d' ' -f2 "$out/query.txt" | median) s"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=

if [ "$e2e" != 0 ]; then
  echo "== 4. end to end for $e2e s, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  OXPROF_E2E_SECONDS=$e2e cargo test -q -p oxprof-cli --test continuous -- --nocapture 2>&1 | tail -5
fi
