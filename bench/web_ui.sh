#!/usr/bin/env bash
# The web UI against `go tool pprof -http` on the same synthetic profiles, one run each: how long
# the flame graph page takes to be drawn in headless Chromium (from navigation start, the server
# having loaded the profile), the server's start-up time, its peak resident memory (VmHWM, read
# once the page is drawn), and the page's weight (bytes transferred, and decoded).
# Usage: bench/web_ui.sh [SAMPLES...]   (default: 25000 390000, about 13 MB and 50 MB raw)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
out=bench/out
mkdir -p "$out"
command -v go >/dev/null || { echo "bench: go is not installed (apt-get install golang-go)" >&2; exit 2; }
command -v chromium >/dev/null || { echo "bench: chromium is not installed (apt-get install chromium)" >&2; exit 2; }
cargo build --release -q -p oxprof-cli
cargo build --release -q -p oxprof-profile --example synth_profile
cargo build --release -q --manifest-path bench/web_ui/Cargo.toml
bin=$CARGO_TARGET_DIR/release
# pprof itself, not the `go` command that would start it as a child.
pprof=$(go env GOTOOLDIR)/pprof
export PPROF_TMPDIR="$out/pprof-tmp" OXPROF_TMPDIR="$out/oxprof-tmp"
# A server past this much memory, or this long without serving, is stopped and reported so.
limit_mb=${LIMIT_MB:-12000}
limit_s=${LIMIT_S:-600}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve NAME LOG CMD...: starts the server, waits for its address; sets url, pid, startup.
serve() {
  local name=$1 log=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$@" 2>"$log" >/dev/null &
  pid=$!
  url=
  while [ -z "$url" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name: server died: $(tail -3 "$log")" >&2; return 1; fi
    local rss_kb
    rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    if [ "${rss_kb:-0}" -gt $((limit_mb * 1024)) ] ||
       [ "$(echo "$(date +%s.%N) - $t0 > $limit_s" | bc)" = 1 ]; then
      kill "$pid"; wait "$pid" 2>/dev/null || true
      echo "$name: stopped before serving, at $((rss_kb / 1024)) MB after $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
      return 1
    fi
    url=$(grep -o 'http://[^ ]*' "$log" | head -1 || true)
    sleep 0.05
  done
  t1=$(date +%s.%N)
  startup=$(echo "$t1 - $t0" | bc)
}

# measure NAME PAGE: loads the page in Chromium while watching the server's memory.
measure() {
  local name=$1 page=$2 result watchdog t0
  t0=$(date +%s.%N)
  ( while kill -0 "$pid" 2>/dev/null; do
      rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      if [ "${rss_kb:-0}" -gt $((limit_mb * 1024)) ]; then
        printf "%s: server stopped at %d MB, %.0f s after the page was asked for\n" \
          "$name" $((rss_kb / 1024)) "$(echo "$(date +%s.%N) - $t0" | bc)" >&2
        kill "$pid"; fi
      sleep 0.2
    done ) &
  watchdog=$!
  if result=$(timeout "$limit_s" "$bin/web_ui_bench" "$name" "$page" "$pid" 2>"$out/web_ui_bench.err"); then
    read -r ms sent decoded hwm frames <<<"$result"
    printf "%-8s start-up %6.2f s   flame graph drawn in %8.2f s   peak RSS %6d MB   page %8.1f kB sent (%9.1f kB decoded)   %6d frames\n" \
      "$name" "$startup" "$(echo "$ms / 1000" | bc -l)" "$hwm" "$(echo "$sent / 1024" | bc -l)" "$(echo "$decoded / 1024" | bc -l)" "$frames"
  else
    echo "$name: no flame graph within $limit_s s (or the server was stopped)"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
}

for samples in "${@:-25000 390000}"; do
  for n in $samples; do
    profile="$out/synth-$n.pb.gz"
    [ -f "$profile" ] || "$bin/examples/synth_profile" "$profile" "$n"
    raw=$(gzip -dc "$profile" | wc -c)
    echo "== $n samples: $(echo "scale=1; $raw / 1000000" | bc) MB raw, $(echo "scale=1; $(stat -c %s "$profile") / 1000000" | bc) MB gzipped"
    # pprof prints the port it was given, so both get a free one picked here.
    serve oxprof "$out/oxprof-web.log" "$bin/oxprof" "-http=127.0.0.1:$(free_port)" -no_browser "$profile" &&
      measure oxprof "$url"
    serve pprof "$out/pprof-web.log" "$pprof" "-http=127.0.0.1:$(free_port)" -no_browser "$profile" &&
      measure pprof "${url%/}/ui/flamegraph"
  done
done
