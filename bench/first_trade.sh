#!/usr/bin/env bash
# How long after `./rt up` returns the demo shows its first signal and its first trade
# (ARCHITECTURE.md section 1: "within a minute"), with .env.example's settings as they are.
#
#   ./rt build && bench/first_trade.sh [RUNS]        (RUNS default 3)
#
# Each run: a fresh state directory and env file (./rt's own create_env from .env.example),
# free loopback ports for every port ./rt knows (as tests/system/test_rt_up.sh), `./rt up`
# with the built binaries, then the database is polled every second until the first strategy
# trade or RT_BENCH_LIMIT seconds (default 600); then `./rt down`. Times are the database's
# own stamps (signals.received_at, trades.timestamp: wall clock, as SIM_SPEED=1 is) minus the
# moment `./rt up` returned. Prints one line per run and a summary:
#   bench=first_trade run=N up_s=... first_signal_s=... first_trade_s=... signals=... trades=...
# A field is "none" when nothing came within the limit.
#
# Only the ports differ from .env.example (every program, rt-analyzer's warm-up included, finds
# the simulator on SIM_PORT). Knobs: RT_BENCH_LIMIT, RT_BENCH_ENV_EXTRA (lines
# appended to the env file, to measure a variant), RT_BUILD_DIR (build).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(dirname "$HERE")
RT=$ROOT/rt
# shellcheck source=../tests/system/stack_lib.sh
source "$ROOT/tests/system/stack_lib.sh"
BLD=$(cd "${RT_BUILD_DIR:-$ROOT/build}" && pwd -P)
RUNS=${1:-3}
LIMIT=${RT_BENCH_LIMIT:-600}
[[ $RUNS =~ ^[0-9]{1,2}$ && $RUNS -ge 1 ]] || { echo "first_trade: RUNS='$RUNS': 1-99 expected" >&2; exit 2; }
[[ $LIMIT =~ ^[0-9]{1,5}$ ]] || { echo "first_trade: RT_BENCH_LIMIT='$LIMIT': seconds expected" >&2; exit 2; }
for b in rt-migrate rt-exchange-sim rt-gateway rt-analyzer rt-trader rt-portfolio; do
    [[ -x $BLD/bin/$b ]] || { echo "first_trade: $BLD/bin/$b is missing: ./rt build first" >&2; exit 2; }
done

TMP=""
STACK_UP=0
cleanup() {
    local rc=$?
    trap - EXIT
    if [[ $STACK_UP -eq 1 ]]; then timeout 120 "$RT" down >/dev/null 2>&1 || true; fi
    if [[ -n $TMP ]]; then rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
# psql on the run's database: one value
q() { timeout 10 "$RT" psql -X -qtA -c "$1" 2>/dev/null || true; }

declare -a SIG=() TRD=()
for run in $(seq 1 "$RUNS"); do
    TMP=$(mktemp -d /tmp/rt-first.XXXXXX)
    chmod 755 "$TMP"
    export RT_VAR_DIR=$TMP/var RT_ENV_FILE=$TMP/env RT_BUILD_DIR=$BLD RT_NO_BUILD=1
    rt_stack_ports "$RT" || exit 1
    (source "$RT" && create_env) >/dev/null
    {
        echo
        echo "# --- bench/first_trade.sh ---"
        if [[ -n ${RT_BENCH_ENV_EXTRA:-} ]]; then printf '%s\n' "$RT_BENCH_ENV_EXTRA"; fi
    } >>"$RT_ENV_FILE"
    t_start=$(now_ms)
    STACK_UP=1
    timeout 300 "$RT" up >"$TMP/up.out" 2>&1 || { cat "$TMP/up.out" >&2; echo "first_trade: ./rt up failed" >&2; exit 1; }
    t0=$(now_ms)
    deadline=$((SECONDS + LIMIT))
    first_sig=none first_trd=none
    while ((SECONDS < deadline)); do
        # the first strategy trade ends the run; the first signal is read with it
        r=$(q "SELECT coalesce((SELECT (extract(epoch FROM min(received_at)) * 1000)::bigint FROM signals)::text, 'none') || ' ' || coalesce((SELECT (extract(epoch FROM min(timestamp)) * 1000)::bigint FROM trades WHERE strategy IS NOT NULL)::text, 'none')")
        if [[ $r =~ ^([0-9]+|none)\ ([0-9]+|none)$ ]]; then
            s=${BASH_REMATCH[1]} t=${BASH_REMATCH[2]}
            [[ $s != none ]] && first_sig=$(awk -v a="$s" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
            if [[ $t != none ]]; then
                first_trd=$(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
                break
            fi
        fi
        sleep 1
    done
    counts=$(q "SELECT (SELECT count(*) FROM signals) || ' ' || (SELECT count(*) FROM trades WHERE strategy IS NOT NULL)")
    echo "bench=first_trade run=$run up_s=$(awk -v a="$t0" -v b="$t_start" 'BEGIN { printf "%.1f", (a - b) / 1000 }') first_signal_s=$first_sig first_trade_s=$first_trd signals=${counts% *} trades=${counts#* } limit_s=$LIMIT"
    SIG+=("$first_sig")
    TRD+=("$first_trd")
    timeout 120 "$RT" down >/dev/null 2>&1 || echo "first_trade: ./rt down failed" >&2
    STACK_UP=0
    rm -rf "$TMP"
    TMP=""
done
echo "bench=first_trade summary runs=$RUNS first_signal_s=$(IFS=,; echo "${SIG[*]}") first_trade_s=$(IFS=,; echo "${TRD[*]}")"
