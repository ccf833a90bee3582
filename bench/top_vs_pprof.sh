#!/usr/bin/env bash
# Times `oxprof -top` against `go tool pprof -top` on one large synthetic profile, in the same run,
# and measures each one's peak memory. Usage: bench/top_vs_pprof.sh [SAMPLES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-1000000}
runs=${2:-5}
out=bench/out
mkdir -p "$out"
command -v go >/dev/null || { echo "bench: go is not installed (apt-get install golang-go)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release -q -p oxprof-cli -p oxprof-profile --example synth_profile
profile="$out/synth-$samples.pb.gz"
[ -f "$profile" ] || target/release/examples/synth_profile "$profile" "$samples"
oxprof=target/release/oxprof
# go tool pprof keeps its own cache of fetched profiles; keep it out of the home directory.
export PPROF_TMPDIR="$out/pprof-tmp" OXPROF_TMPDIR="$out/oxprof-tmp"

echo "== output check: both print the same report from 'Showing nodes' on"
diff <("$oxprof" -top "$profile" | sed -n '/^Showing nodes/,$p') \
     <(go tool pprof -top "$profile" 2>/dev/null | sed -n '/^Showing nodes/,$p') && echo "identical"

echo "== wall time ($runs runs each)"
hyperfine --warmup 1 --runs "$runs" --export-markdown "$out/time.md" \
  -n oxprof "$oxprof -top $profile" \
  -n "go tool pprof" "go tool pprof -top $profile"

echo "== peak resident memory (median of $runs runs, MB)"
peak() {
  for _ in $(seq "$runs"); do /usr/bin/time -f %M "$@" >/dev/null 2>"$out/time.err"; tail -1 "$out/time.err"; done |
    sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.0f (min %.0f, max %.0f)\n", m/1024, a[1]/1024, a[NR]/1024}'
}
echo "oxprof:        $(peak "$oxprof" -top "$profile")"
echo "go tool pprof: $(peak go tool pprof -top "$profile")"
