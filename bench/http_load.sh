#!/usr/bin/env bash
# The live /debug/pprof endpoints under load, loopback only: an axum service (bench/http_load,
# `serve`) with a route of its own and oxprof::http::router() nested, its own traffic from
# CONNECTIONS keep-alive clients (`own`), and bursts of REQUESTS concurrent requests, half heap
# and half goroutine?debug=1, each checked (`burst`). Each round measures the service's own
# traffic for SECONDS alone, then for SECONDS while bursts run back to back; rounds interleave
# so machine noise hits both alike. Prints every line, then medians, ranges and the per-round
# ratio of own requests per second during bursts to alone.
# Usage: bench/http_load.sh [ROUNDS]
# Environment: ROUNDS (default 5), SECONDS_PER_PHASE (default 5), CONNECTIONS (default 4),
# REQUESTS (default 200), PORT (default 18091).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-5}}
seconds=${SECONDS_PER_PHASE:-5}
connections=${CONNECTIONS:-4}
requests=${REQUESTS:-200}
port=${PORT:-18091}
addr=127.0.0.1:$port
out=bench/out/http_load
mkdir -p "$out"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

echo "== building"
cargo build --release -q --manifest-path bench/http_load/Cargo.toml 2>"$out/build.log" ||
  { cat "$out/build.log" >&2; exit 1; }
bin=$out/http_load
cp "$CARGO_TARGET_DIR/release/http_load" "$bin"

echo "== machine"
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u)"
echo "kernel $(uname -r); $(rustc --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$bin" serve "$addr" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$out/serve.log" && break; sleep 0.1; done
# One burst first, so every round sees the service warmed up (its first profile reads the
# binary's symbols).
"$bin" burst "$addr" "$requests" >/dev/null

# The server's CPU time so far (user + system), in seconds.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server/stat"; }

results=$out/results.txt
: >"$results"
echo "== $rounds rounds: $seconds s alone, $seconds s with bursts of $requests, $connections own connections"
for round in $(seq "$rounds"); do
  before=$(server_cpu)
  line=$("$bin" own "$addr" "$seconds" "$connections")
  echo "round=$round phase=alone $line server_cpu_s=$(awk -v a="$(server_cpu)" -v b="$before" 'BEGIN { printf "%.2f", a - b }')" | tee -a "$results"
  before=$(server_cpu)
  "$bin" own "$addr" "$seconds" "$connections" >"$out/own.txt" &
  own=$!
  sleep 0.2
  while kill -0 "$own" 2>/dev/null; do
    echo "round=$round phase=burst $("$bin" burst "$addr" "$requests")" | tee -a "$results"
  done
  wait "$own"
  echo "round=$round phase=loaded $(cat "$out/own.txt") server_cpu_s=$(awk -v a="$(server_cpu)" -v b="$before" 'BEGIN { printf "%.2f", a - b }')" | tee -a "$results"
  echo "round $round done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server max RSS: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"

echo
echo "== summary"
awk '
  function field(name,   i, kv) {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
  }
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function report(label, a, n,   lo, hi, i) {
    lo = a[1]; hi = a[1]
    for (i = 1; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    printf "%-34s median %9.2f   range %9.2f .. %9.2f   (n=%d)\n", label, median(a, n), lo, hi, n
  }
  {
    round = field("round"); phase = field("phase")
    if (phase == "alone") { na++; alone[na] = field("own_rps"); alone99[na] = field("own_p99_ms"); acpu[na] = field("server_cpu_s"); by_round[round] = field("own_rps") }
    if (phase == "loaded") { nl++; loaded[nl] = field("own_rps"); loaded99[nl] = field("own_p99_ms"); lcpu[nl] = field("server_cpu_s"); ratio[nl] = field("own_rps") / by_round[round] }
    if (phase == "burst") {
      nb++; burst[nb] = field("burst_ms"); p50[nb] = field("burst_p50_ms"); mx[nb] = field("burst_max_ms")
      ok += field("burst_ok"); failed += field("burst_failed")
    }
  }
  END {
    report("own requests/s, alone", alone, na)
    report("own requests/s, during bursts", loaded, nl)
    report("ratio during/alone (per round)", ratio, nl)
    report("own p99 ms, alone", alone99, na)
    report("own p99 ms, during bursts", loaded99, nl)
    report("server CPU s per phase, alone", acpu, na)
    report("server CPU s per phase, bursts", lcpu, nl)
    report("burst of all answers, ms", burst, nb)
    report("profile answer p50, ms", p50, nb)
    report("profile answer max, ms", mx, nb)
    printf "profile answers: %d correct, %d failed, in %d bursts\n", ok, failed, nb
  }
' "$results"
