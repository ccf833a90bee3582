#!/usr/bin/env bash
# oxprof trace's web UI on a synthetic trace of EVENTS events (default 10 M: 8 workers serving
# requests with nested regions, tasks, waits ended by another thread's release, logs, CPU
# samples, counters; bench/trace_ui/ makes it): the server's start-up (read, index), its peak
# resident memory, and the time to answer window requests at 1600 pixels (the whole trace, 1%
# of it, 0.01%), the whole trace's breakdown and the latency histograms, each asked ROUNDS
# times (median and range), with the answers' sizes.
# Usage: bench/trace_ui.sh [EVENTS]   Environment: ROUNDS (default 11).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
rounds=${ROUNDS:-11}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
out=bench/out/trace_ui
rm -rf "$out"; mkdir -p "$out"
cargo build --release -q -p oxprof-cli
cargo build --release -q --manifest-path bench/trace_ui/Cargo.toml
bin=$CARGO_TARGET_DIR/release

echo "== making a trace of $events events"
"$bin/trace_ui" "$events" "$out/synthetic.trace"
ls -l "$out/synthetic.trace" | awk '{printf "trace file: %.1f MB\n", $5 / 1048576}'

echo "== start-up, load: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
"$bin/oxprof" trace -http=127.0.0.1:0 -no_browser "$out/synthetic.trace" 2>"$out/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=
while [ -z "$url" ]; do
  kill -0 "$pid" 2>/dev/null || { echo "bench: the server died: $(cat "$out/server.log")" >&2; exit 1; }
  url=$(sed -n 's|^Serving web UI on \(http://[^/]*\)/.*|\1|p' "$out/server.log")
  sleep 0.02
done
printf "serving after %.2f s (read, timeline, index)\n" "$(echo "$(date +%s.%N) - $t0" | bc)"
duration=$(curl -s "$url/api/meta" | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["duration"]); print("events", m["events"], "threads", len(m["threads"]), "tasks", m["tasks"], "flows", m["flows"], file=sys.stderr)')

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# time NAME PATH: ROUNDS requests (gzip accepted, as a browser does); median and range in ms.
time_request() {
  local name=$1 path=$2
  : >"$out/$name.times"
  for _ in $(seq "$rounds"); do
    curl -s -o "$out/$name.body" --compressed -w '%{time_total} %{size_download}\n' "$url$path" >>"$out/$name.times"
  done
  local ms sizes
  ms=$(awk '{printf "%.1f\n", $1 * 1000}' "$out/$name.times")
  printf "%-24s median %7.1f ms  (range %s ms)  %8.1f kB gzipped, %8.1f kB JSON\n" "$name" \
    "$(echo "$ms" | median)" "$(echo "$ms" | sort -n | sed -n '1p;$p' | paste -sd-)" \
    "$(tail -1 "$out/$name.times" | awk '{print $2 / 1024}')" "$(wc -c <"$out/$name.body" | awk '{print $1 / 1024}')"
}

echo "== requests, $rounds each, load: $(cut -d' ' -f1-3 /proc/loadavg)"
time_request window-whole "/api/window?from=0&to=$duration&width=1600"
time_request window-1% "/api/window?from=$((duration / 2))&to=$((duration / 2 + duration / 100))&width=1600"
time_request window-0.01% "/api/window?from=$((duration / 2))&to=$((duration / 2 + duration / 10000))&width=1600"
time_request summary-whole "/api/summary"
time_request latency "/api/latency"
echo "peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' /proc/$pid/status)"
python3 - "$out/window-whole.body" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
items = sum(len(l["items"]) for l in w["lanes"])
merged = sum(i[4] for l in w["lanes"] for i in l["items"])
print(f"whole-trace window: {items} items standing for {merged} slices, {len(w['flows'])} flows, truncated: {w['truncated']}")
PY
