#!/bin/sh
# Runs the analyzer benchmark (build/bin/analyzer_bench) and the seed's Python Bollinger
# strategy (bench/seed_bollinger.py) over the same shared candle files, one after the other on
# one core, and prints one line: the C figures, the Python figure and the Bollinger ratio.
#   bench/run_analyzer_bench.sh [BUILD_DIR]      (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
data=${RT_SHARED_DIR:-$root/../shared}/data
files=$(ls "$data"/*.csv)
# One core: both run pinned to CPU 0 when taskset is there.
pin() { if command -v taskset >/dev/null 2>&1; then taskset -c 0 "$@"; else "$@"; fi; }
# shellcheck disable=SC2086
c_line=$(pin "$build/bin/analyzer_bench" --min 1000000 $files)
# shellcheck disable=SC2086
py_line=$(pin /usr/bin/python3 "$here/seed_bollinger.py" $files)
c_rate=$(echo "$c_line" | sed -n 's/.*bollinger_updates_per_s=\([0-9.]*\).*/\1/p')
py_rate=$(echo "$py_line" | sed -n 's/.*updates_per_s=\([0-9.]*\).*/\1/p')
ratio=$(awk -v c="$c_rate" -v p="$py_rate" 'BEGIN { printf "%.0f", c / p }')
echo "$c_line python_$(echo "$py_line" | sed 's/^seed_bollinger //; s/ / python_/g') bollinger_ratio=$ratio"
