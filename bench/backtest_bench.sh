#!/usr/bin/env bash
# Backtest benchmark: whole-process wall time and candles/s of rt-backtest with SimpleMA_Cross
# on the shared 1m file, then in-process figures (backtest_bench): the same run with CSV
# parsing included, every strategy over a million candles, and a 100-point sweep over a year
# of 1m candles (synthesized in memory from the shared file, never written to disk).
# Prints one machine-readable line per figure. Not a timed test.
#
# usage: bench/backtest_bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
DATA=${RT_SHARED_DIR:-$ROOT/../shared}/data/btcusdt_1m_2023-03-01_2023-03-21.csv
BT=$BUILD/bin/rt-backtest
BENCH=$BUILD/bin/backtest_bench
for f in "$BT" "$BENCH" "$DATA"; do
    [[ -e $f ]] || { echo "backtest_bench: missing $f (build first: ./rt build)" >&2; exit 1; }
done
candles=$(($(wc -l <"$DATA") - 1))

# Whole process, best of N: wall time from bash's own clock ($EPOCHREALTIME: no `date` or
# `timeout` process inside the measured span; one timeout bounds the whole loop), beside the
# same for /bin/true (what starting any process costs here) and the shared libraries
# rt-backtest loads.
N=${RT_BENCH_RUNS:-20}
best_us() { # best_us CMD... : best wall time of N runs, in microseconds
    timeout 300 bash -c '
        n=$1; shift; best=
        for ((i = 0; i < n; i++)); do
            t0=${EPOCHREALTIME/./}
            "$@" >/dev/null || exit 1
            t1=${EPOCHREALTIME/./}
            d=$((10#$t1 - 10#$t0))
            if [[ -z $best || $d -lt $best ]]; then best=$d; fi
        done
        echo "$best"' best_us "$N" "$@"
}
floor=$(best_us /bin/true)
proc=$(best_us "$BT" --data "$DATA" --strategy SimpleMA_Cross --json)
libs=$(ldd "$BT" | grep -c '=>' || true)
awk -v us="$proc" -v fl="$floor" -v n="$candles" -v runs="$N" -v libs="$libs" 'BEGIN {
    printf "bench=backtest_process strategy=SimpleMA_Cross candles=%d wall_ms=%.2f candles_per_s=%.0f shared_libs=%d (whole process, best of %d)\n", n, us / 1e3, n / (us / 1e6), libs, runs
    printf "bench=process_floor cmd=/bin/true wall_ms=%.2f (best of %d: what starting any process costs here)\n", fl / 1e3, runs }'

timeout 600 "$BENCH" "$DATA" one all sweep
