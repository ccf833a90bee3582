#!/usr/bin/env bash
# Times `oxprof -top` against `go tool pprof -top` on one large synthetic profile, in the same run,
# with each one's peak resident memory. Prints median, min and max over RUNS runs.
# Usage: bench/top_vs_pprof.sh [SAMPLES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-1000000}
runs=${2:-3}
out=bench/out
mkdir -p "$out"
command -v go >/dev/null || { echo "bench: go is not installed (apt-get install golang-go)" >&2; exit 2; }
cargo build --release -q -p oxprof-cli
cargo build --release -q -p oxprof-profile --example synth_profile
profile="$out/synth-$samples.pb.gz"
[ -f "$profile" ] || target/release/examples/synth_profile "$profile" "$samples"
oxprof=target/release/oxprof
# Keep both tools' caches of fetched profiles out of the home directory.
export PPROF_TMPDIR="$out/pprof-tmp" OXPROF_TMPDIR="$out/oxprof-tmp"

echo "== output check: both print the same report from 'Showing nodes' on"
if diff <("$oxprof" -top "$profile" | sed -n '/^Showing nodes/,$p') \
        <(go tool pprof -top "$profile" 2>/dev/null | sed -n '/^Showing nodes/,$p') >"$out/top.diff"; then
  echo "identical"
else
  echo "DIFFERENT (see $out/top.diff)"; exit 1
fi

# measure NAME CMD...: RUNS runs under /usr/bin/time; median, min and max of seconds and peak MB.
measure() {
  local name=$1; shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$out/time.err"
    tail -1 "$out/time.err"
  done | awk -v name="$name" '
    { t[NR] = $1; m[NR] = $2 / 1024 }
    function median(a, n,   i, j, x) {
      for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
      return a[int((n + 1) / 2)]
    }
    END {
      mt = median(t, NR); lo_t = t[1]; hi_t = t[NR]
      mm = median(m, NR); lo_m = m[1]; hi_m = m[NR]
      printf "%-14s time %7.2f s (%.2f-%.2f)   peak RSS %7.0f MB (%.0f-%.0f)\n", name, mt, lo_t, hi_t, mm, lo_m, hi_m
    }'
}
echo "== $runs runs each: median (min-max)"
measure oxprof "$oxprof" -top "$profile"
measure "go tool pprof" go tool pprof -top "$profile"
