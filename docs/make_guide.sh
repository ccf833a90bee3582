#!/usr/bin/env bash
# Regenerates docs/guide.md from docs/guide.md.in: runs every command the guide shows (the
# havlak example's stages, their profiles, oxprof's reports, the flame graph and call graph in
# docs/guide/), measures every stage with bench/havlak.sh, and puts each output and number in
# its {{name}} in the template. Takes a few minutes on 2 cores.
#
#   docs/make_guide.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target=${CARGO_TARGET_DIR:-$repo/target}
cargo build --release -q -p havlak && cargo build --release -q -p oxprof-cli
export PATH="$target/release:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fig=$work/figures
mkdir -p "$fig" "$work/run" docs/guide

# figure NAME VALUE: a number or phrase for the prose.
figure() { printf '%s' "$2" > "$fig/$1"; }

# show NAME COMMAND [DIR]: runs the shell COMMAND in DIR (the scratch directory by default)
# and keeps "$ COMMAND" and its output (standard error too) as figure NAME.
show() {
  { printf '$ %s\n' "$2"; (cd "${3:-$work/run}" && bash -c "$2") 2>&1; } > "$fig/$1"
}

# show_diff NAME STAGE_A STAGE_B: the change from one stage's finder to the next.
show_diff() {
  local a=examples/havlak/src/stages/$2.rs b=examples/havlak/src/stages/$3.rs
  { printf '$ diff -u %s %s\n' "$a" "$b"; diff -u --label "$a" --label "$b" "$a" "$b" || [ $? -eq 1 ]; } > "$fig/$1"
}

# share NAME REGEX PROFILE: the percentage of the profile's samples (by its default value) with
# a frame matching REGEX, from the header of oxprof's focused top report.
share() {
  local line
  line=$(cd "$work/run" && oxprof -top -nodecount=0 -nodefraction=0 -focus="$2" "$3" |
    grep -m1 '^Showing nodes accounting for')
  figure "$1" "$(sed -E 's/.*, ([0-9.]+)% of .*/\1%/' <<< "$line")"
}

# flat NAME FUNCTION REPORT_FIGURE: the flat value of FUNCTION's row in a top report figure.
flat() {
  figure "$1" "$(awk -v f="$2" '$6 == f { print $1; exit }' "$fig/$3")"
}

hash_code='hashbrown::|HashMap|HashSet|hash::sip::|BuildHasher::hash_one|RandomState'
allocator='malloc|_int_free|__GI___libc_free|realloc|unlink_chunk|malloc_consolidate'

figure date "$(date -u +%Y-%m-%d)"
figure machine "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
figure load_before "$(cut -d' ' -f1-3 /proc/loadavg)"

# The measurements: whole runs of every stage, and one search of each as benchmarks.
SUMMARY=$work/summary bash bench/havlak.sh > "$fig/table"
while read -r stage cpu real rss; do
  figure "$stage.cpu" "$(printf '%.2f s' "$cpu")"
  figure "$stage.real" "$(printf '%.2f s' "$real")"
  figure "$stage.rss" "$rss MB"
done < "$work/summary"
ratio() { awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", a / b }' > "$fig/$1"; }
read -r _ v1_cpu _ v1_rss < <(grep '^v1 ' "$work/summary")
read -r _ v6_cpu _ v6_rss < <(grep '^v6 ' "$work/summary")
ratio time_ratio "$v1_cpu" "$v6_cpu"
ratio rss_ratio "$v1_rss" "$v6_rss"

# 1. v1's CPU profile.
show havlak_help 'havlak -h'
show v1.run 'havlak -stage=v1 -cpuprofile=havlak-v1.cpu.pprof'
show v1.top 'oxprof -top -nodecount=15 havlak-v1.cpu.pprof'
share v1.hash_share "$hash_code" havlak-v1.cpu.pprof
share v1.alloc_share "$allocator" havlak-v1.cpu.pprof
show v1.peek "oxprof -peek='stages::v1::dfs\$' havlak-v1.cpu.pprof | sed -n '/flat  flat%/,\$p'"
show v1.list_dfs "oxprof -list='stages::v1::dfs\$' havlak-v1.cpu.pprof"
(cd "$work/run" && oxprof -flame "$repo/docs/guide/havlak-v1.cpu.svg" havlak-v1.cpu.pprof)

# 2. v2.
show_diff v1_v2.diff v1 v2
show v2.run 'havlak -stage=v2 -cpuprofile=havlak-v2.cpu.pprof'
show v2.top 'oxprof -top -nodecount=12 havlak-v2.cpu.pprof'
share v2.hash_share "$hash_code" havlak-v2.cpu.pprof
share v2.alloc_share "$allocator" havlak-v2.cpu.pprof

# 3. v2's heap profile.
show v2.heap_run 'havlak -stage=v2 -iterations=5 -memprofile=havlak-v2.heap.pprof'
show v2.heap_top "oxprof -top -nodecount=10 -sample_index=alloc_space -show='havlak::' havlak-v2.heap.pprof"
flat v2.find_loops_alloc 'havlak::stages::v2::find_loops' v2.heap_top
show v2.heap_list "oxprof -list='stages::v2::find_loops' -sample_index=alloc_space havlak-v2.heap.pprof | grep -v '^ *\\. *\\. '"
show v2.inuse "oxprof -top -nodecount=6 -inuse_objects -show='havlak::' havlak-v2.heap.pprof"

# 4. v4.
show_diff v2_v4.diff v2 v4
show v4.run 'havlak -stage=v4 -cpuprofile=havlak-v4.cpu.pprof'
show v4.top 'oxprof -top -nodecount=10 havlak-v4.cpu.pprof'
share v4.alloc_share "$allocator" havlak-v4.cpu.pprof
show v4.alloc_callers "oxprof -top -nodecount=6 -focus='$allocator' -show='havlak::' havlak-v4.cpu.pprof | sed -n '/flat  flat%/,\$p'"
(cd "$work/run" && oxprof -svg -output="$repo/docs/guide/havlak-v4-allocator.svg" -nodefraction=0.05 \
  -show_from='stages::v4::find_havlak_loops' -focus="$allocator" havlak-v4.cpu.pprof 2> /dev/null)
show v4.heap_run 'havlak -stage=v4 -iterations=5 -memprofile=havlak-v4.heap.pprof'
show v4.heap_top "oxprof -top -nodecount=5 -sample_index=alloc_space -show='havlak::' havlak-v4.heap.pprof"
flat v4.find_loops_alloc 'havlak::stages::v4::find_loops' v4.heap_top

# 5. v5, and its lock.
show_diff v4_v5.diff v4 v5
show v5.run 'havlak -stage=v5 -cpuprofile=havlak-v5.cpu.pprof'
show v5.top 'oxprof -top -nodecount=8 havlak-v5.cpu.pprof'
share v5.alloc_share "$allocator" havlak-v5.cpu.pprof
show v5.block_run 'havlak -stage=v5 -threads=2 -blockprofile=havlak-v5.block.pprof'
show v5.block_top "oxprof -top -nodecount=4 -show='havlak::|extend_desugared' havlak-v5.block.pprof"
show v6.block_run 'havlak -stage=v6 -threads=2 -blockprofile=havlak-v6.block.pprof'
show v6.block_top "oxprof -top -nodecount=4 -show='havlak::|extend_desugared' havlak-v6.block.pprof"

# 6. v6.
show v6.run 'havlak -stage=v6 -cpuprofile=havlak-v6.cpu.pprof'
show v6.top 'oxprof -top -nodecount=10 havlak-v6.cpu.pprof'
share v6.hash_share "$hash_code" havlak-v6.cpu.pprof
share v6.alloc_share "$allocator" havlak-v6.cpu.pprof
show v6.diff_top 'oxprof -top -nodecount=8 -diff_base=havlak-v1.cpu.pprof havlak-v6.cpu.pprof'
show v1_v6.bench 'havlak -stage=v1 -benchcount=10 > v1.txt && havlak -stage=tuned -benchcount=10 > tuned.txt && oxprof benchstat v1=v1.txt tuned=tuned.txt'

figure load_after "$(cut -d' ' -f1-3 /proc/loadavg)"

# Fill the template: each {{name}} becomes its figure; a missing figure is an error.
perl -pe 'BEGIN { $dir = shift }
  s/\{\{([\w.\-=]+)\}\}/
    do { open(my $f, "<", "$dir\/$1") or die "docs\/guide.md.in: no figure $1\n"; local $\/; my $t = <$f>; $t =~ s\/\n+\z\/\/; $t }
  /ge' "$fig" docs/guide.md.in > docs/guide.md
echo "docs/guide.md regenerated"
