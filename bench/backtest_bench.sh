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

# whole process, best of 5 (timeout bounds every run)
best=
for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    timeout 60 "$BT" --data "$DATA" --strategy SimpleMA_Cross --json >/dev/null
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    if [[ -z $best || $ns -lt $best ]]; then best=$ns; fi
done
awk -v ns="$best" -v n="$candles" 'BEGIN {
    printf "bench=backtest_process strategy=SimpleMA_Cross candles=%d wall_ms=%.2f candles_per_s=%.0f (whole process, best of 5)\n", n, ns / 1e6, n / (ns / 1e9) }'

timeout 600 "$BENCH" "$DATA" one all sweep
