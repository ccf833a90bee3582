#!/usr/bin/env python3
"""Pools several runs of bench/preload_overhead.sh: one run's medians move by a few percent on a
shared machine, so the overhead is estimated from every round of every run at once.

Usage: bench/preload_overhead.sh | tee run1.txt; ...; bench/preload_overhead_pool.py run*.txt

Prints, for `record` and `inprocess`: the median (and interquartile range) of each round's work
CPU over the same round's plain run, the median of all runs over plain's, and the fastest run
over plain's fastest.
"""

import re
import statistics
import sys

MODES = ("record", "inprocess")
RUN_LINE = re.compile(r"^(\w+)\s+work CPU\s+([\d.]+) s", re.M)


def rounds(path):
    """Each round's work CPU seconds by mode, from one run's printed output."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for chunk in text.split("-- round ")[1:]:
        yield {mode: float(seconds) for mode, seconds in RUN_LINE.findall(chunk)}


def main(paths):
    every = {mode: [] for mode in ("plain",) + MODES}
    paired = {mode: [] for mode in MODES}
    for path in paths:
        for work in rounds(path):
            for mode, seconds in work.items():
                every.setdefault(mode, []).append(seconds)
            if "plain" not in work:
                continue
            for mode in MODES:
                if mode in work:
                    paired[mode].append(work[mode] / work["plain"] - 1)
    if not every["plain"]:
        sys.exit("no rounds found: give the printed output of bench/preload_overhead.sh")
    for mode in MODES:
        ratios = sorted(paired[mode])
        if not ratios:
            continue
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        median_all = statistics.median(every[mode]) / statistics.median(every["plain"]) - 1
        fastest = min(every[mode]) / min(every["plain"]) - 1
        print(
            f"{mode:10} {len(ratios)} rounds: paired median {100 * statistics.median(ratios):+.1f}% "
            f"(IQR {100 * q1:+.1f} to {100 * q3:+.1f}); median of all {100 * median_all:+.1f}%; "
            f"fastest {100 * fastest:+.1f}%"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
