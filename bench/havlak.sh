#!/usr/bin/env bash
# The havlak journey's figures for BENCHMARKS.md and docs/guide.md: every stage of the havlak
# example run whole, timed as the Go blog timed its programs (/usr/bin/time: user, sys, real,
# max RSS), ROUNDS rounds with the stages interleaved; then one search of the graph per stage
# as oxprof-bench benchmarks (ns/op, B/op, allocs/op), COUNT runs each, summarised by
# oxprof benchstat. Prints Markdown; with SUMMARY=FILE, also writes one line per stage to FILE
# (stage, median CPU seconds, median real seconds, median max RSS in MB) for docs/make_guide.sh.
#
#   bench/havlak.sh                  # ROUNDS=3 COUNT=6
#   ROUNDS=5 COUNT=10 bench/havlak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-6}
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p havlak && cargo build --release -q -p oxprof-cli
havlak=$target/release/havlak
oxprof=$target/release/oxprof
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stages=(v1 v2 v4 v5 v6 "v6 -reuseloopgraph=false")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for i in "${!stages[@]}"; do
    # shellcheck disable=SC2086 # the stage's flags split on purpose
    /usr/bin/time -f '%U %S %e %M' -o "$work/time.$i.$round" \
      "$havlak" -stage=${stages[i]} > "$work/out.$i.$round"
    grep -q '^# of loops: 76000 ' "$work/out.$i.$round" ||
      { echo "havlak -stage=${stages[i]} found other loops:" >&2; cat "$work/out.$i.$round" >&2; exit 1; }
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# median and range of one column (1 user, 2 sys, 3 real, 4 max RSS kB, 5 user+sys) of a stage
stat() {
  local i=$1 col=$2
  cat "$work"/time."$i".* | awk -v c="$col" '{ print (c == 5 ? $1 + $2 : $c) }' | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}

echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
  "load average $load_before before, $load_after after."
echo
summary=${SUMMARY:-/dev/null}
: > "$summary"
echo "| stage | change | CPU (user+sys) | real | max RSS | CPU vs v1 | RSS vs v1 |"
echo "|---|---|---|---|---|---|---|"
read -r v1_cpu _ _ < <(stat 0 5)
read -r v1_rss _ _ < <(stat 0 4)
for i in "${!stages[@]}"; do
  read -r cpu cpu_lo cpu_hi < <(stat "$i" 5)
  read -r real real_lo real_hi < <(stat "$i" 3)
  read -r rss _ _ < <(stat "$i" 4)
  change=$(sed -n '1s/^havlak v[0-9]*: //p' "$work/out.$i.1")
  [ "${stages[i]}" = "v6 -reuseloopgraph=false" ] && change="v6 without reusing the loop graph"
  awk -v s="${stages[i]}" -v ch="$change" -v c="$cpu" -v cl="$cpu_lo" -v ch2="$cpu_hi" \
    -v r="$real" -v rl="$real_lo" -v rh="$real_hi" -v m="$rss" -v c1="$v1_cpu" -v m1="$v1_rss" 'BEGIN {
      printf "| %s | %s | %.2f s (%.2f–%.2f) | %.2f s (%.2f–%.2f) | %.0f MB | %.1f× | %.1f× |\n",
        s, ch, c, cl, ch2, r, rl, rh, m / 1024, c1 / c, m1 / m }'
  echo "${stages[i]// /} $cpu $real $(awk -v m="$rss" 'BEGIN { printf "%.0f", m / 1024 }')" >> "$summary"
done
echo
echo "Medians of $ROUNDS rounds, ranges in parentheses; max RSS in MB of 1024 kB."
echo
echo '```text'
echo "\$ cargo bench -p havlak --bench stages -- -benchmem -count=$COUNT > stages.txt"
echo "\$ oxprof benchstat stages.txt"
cargo bench -q -p havlak --bench stages -- -benchmem -count="$COUNT" > "$work/stages.txt"
(cd "$work" && "$oxprof" benchstat stages.txt)
echo '```'
