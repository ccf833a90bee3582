# Shared by the benchmark scripts: waiting for the shared machine to be quiet before a measured
# run. Sourced after setting `quiet` (the busy share, 0-1, below which a second counts as quiet)
# and `quiet_wait` (seconds to wait at most).

# busy_share: the share of all CPUs that was busy over the next second (nothing of ours runs).
busy_share() {
  local a b
  a=($(sed -n 's/^cpu  *//p' /proc/stat)); sleep 1; b=($(sed -n 's/^cpu  *//p' /proc/stat))
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
    split(a, x); split(b, y); total = 0; idle = 0
    for (i = 1; i <= 8; i++) { d = y[i] - x[i]; total += d; if (i == 4 || i == 5) idle += d }
    printf "%.3f", total ? (total - idle) / total : 0 }'
}

# wait_quiet: up to quiet_wait seconds for a second in which others kept below quiet.
wait_quiet() {
  local waited=0 share
  while share=$(busy_share); awk -v s="$share" -v q="$quiet" 'BEGIN { exit !(s >= q) }'; do
    waited=$((waited + 1))
    if [ "$waited" -ge "$quiet_wait" ]; then
      echo "# not quiet after ${quiet_wait} s (busy $share): running anyway" >&2
      return
    fi
  done
}
