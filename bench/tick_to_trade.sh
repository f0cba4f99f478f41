#!/usr/bin/env bash
# Tick-to-trade latency per hop (ARCHITECTURE.md section 11): exchange event -> gateway ->
# analyzer -> trader order -> fill committed, p50/p99 per hop over every signal that became an
# order in the window.
#
#   ./rt build && bench/tick_to_trade.sh        (the binaries and build/bin/tick_to_trade)
#
# It starts, on free loopback ports and in a temporary directory, a throwaway redis-server and
# PostgreSQL cluster (./rt test's own functions), applies the migrations, then rt-exchange-sim,
# rt-gateway, rt-analyzer and rt-trader (demo) with the environment below and no .env. One
# observer process (build/bin/tick_to_trade) takes every arrival with one wall clock: the
# exchange's closing klines on a WebSocket connection of its own to the simulator (beside the
# gateway's), and market:data:*, analyze:signal and trader:events on Redis. bench/tick_to_trade.py
# pairs them up and says what each hop measures. The simulator's own timestamps (E, kline
# times) are simulated time and are only used as keys, never as times.
#
# Knobs: RT_BENCH_SECONDS (observation window, 120), RT_BENCH_SIM_SPEED (60: a 1m candle of
# every symbol closes each second), RT_BENCH_SYMBOLS (the five defaults), RT_BENCH_STRATEGIES
# (all), RT_BENCH_DURABLE (1: PostgreSQL with its durable defaults, as ./rt up runs it; 0: ./rt
# test's fsync=off), RT_BENCH_LOG_LEVEL (the services', warn), RT_BENCH_LOGS (a directory the
# services' and the observer's logs are copied to at exit), RT_BUILD_DIR (build). Every process
# is started under `timeout` and stopped at exit.
# Prints one machine-readable line per hop, then the total:
#   bench=tick_to_trade hop=NAME n=N p50_ms=... p99_ms=... max_ms=...
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(dirname "$HERE")
BUILD=${RT_BUILD_DIR:-$ROOT/build}
SECS=${RT_BENCH_SECONDS:-120}
SPEED=${RT_BENCH_SIM_SPEED:-60}
SYMS=${RT_BENCH_SYMBOLS:-BTCUSDC,ETHUSDC,SOLUSDC,BNBUSDC,XRPUSDC}
STRATS=${RT_BENCH_STRATEGIES:-all}
INTERVAL=1m
[[ $SECS =~ ^[0-9]{1,5}$ && $SECS -ge 5 ]] || { echo "tick_to_trade: RT_BENCH_SECONDS='$SECS': 5 or more expected" >&2; exit 2; }
for b in rt-migrate rt-exchange-sim rt-gateway rt-analyzer rt-trader tick_to_trade; do
    [[ -x $BUILD/bin/$b ]] || { echo "tick_to_trade: $BUILD/bin/$b is missing: ./rt build first" >&2; exit 2; }
done
BUILD=$(cd "$BUILD" && pwd -P)

# ./rt's functions (sourcing runs no command): find_pg_bin, free_port, start_test_redis,
# start_test_pg, test_cleanup (which stops both and removes T_DIR).
# shellcheck source=../rt
source "$ROOT/rt"
PIDS=()
bench_cleanup() {
    local rc=$? p
    trap - EXIT
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ -n ${RT_BENCH_LOGS:-} ]]; then
        mkdir -p "$RT_BENCH_LOGS" && cp "$T_DIR"/*.log "$RT_BENCH_LOGS/" 2>/dev/null || true
    fi
    test_cleanup
    exit "$rc"
}
find_pg_bin
T_DIR=$(mktemp -d /tmp/rt-t2t.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$T_DIR"
mkdir -m 700 "$T_DIR/pg" "$T_DIR/pgrun"
if [[ $IS_ROOT -eq 1 ]]; then chown postgres:postgres "$T_DIR/pg" "$T_DIR/pgrun"; fi
start_test_redis
start_test_pg
# ./rt test's cluster runs with fsync, synchronous_commit and full_page_writes off; the local
# stack (./rt up) and production keep PostgreSQL's durable defaults, which the commit hops
# measure. RT_BENCH_DURABLE=0 keeps the test settings.
if [[ ${RT_BENCH_DURABLE:-1} == 1 ]]; then
    as_pgowner "$PG_BIN/pg_ctl" -D "$T_DIR/pg" -l "$T_DIR/pgrun/postgres.log" -w -t 30 -m fast \
        -o "-p $RT_TEST_PGPORT -k $T_DIR/pgrun -c listen_addresses=127.0.0.1" restart >/dev/null ||
        die "could not restart PostgreSQL with its durable defaults"
fi
PGHOST=127.0.0.1 PGPORT=$RT_TEST_PGPORT PGUSER=postgres PGDATABASE=rt_test \
    "$BUILD/bin/rt-migrate" --dir "$ROOT/db/migrations" >"$T_DIR/migrate.log" 2>&1 ||
    { cat "$T_DIR/migrate.log" >&2; die "rt-migrate failed"; }

SIM_PORT=$(free_port) GATEWAY_PORT=$(free_port) ANALYZER_PORT=$(free_port) TRADER_PORT=$(free_port)
TOKEN=$(openssl rand -hex 24)
LIFE=$((SECS + 180)) # every service stops by itself even if this script is killed -9
# Each service from the empty temporary directory (no .env is read) with only what it needs.
start() { # start NAME VAR=VALUE...
    local name=$1
    shift
    (cd "$T_DIR" && exec env -i PATH="$PATH" LOG_LEVEL="${RT_BENCH_LOG_LEVEL:-warn}" REDIS_HOST=127.0.0.1 \
        REDIS_PORT="$T_REDIS_PORT" SYMBOLS="$SYMS" INTERVAL=$INTERVAL EXCHANGE=sim \
        SIM_PORT="$SIM_PORT" API_TOKEN="$TOKEN" "$@" \
        timeout "$LIFE" "$BUILD/bin/$name" >"$T_DIR/$name.log" 2>&1) &
    PIDS+=($!)
}
wait_health() { # wait_health NAME PORT
    local i
    for i in $(seq 1 150); do
        http_ok "http://127.0.0.1:$2/health" && return 0
        sleep 0.2
    done
    tail -n 20 "$T_DIR/$1.log" >&2 || true
    die "$1 did not become healthy on port $2"
}
start rt-exchange-sim SIM_SPEED="$SPEED" SIM_HISTORY=300
wait_health rt-exchange-sim "$SIM_PORT"
start rt-gateway GATEWAY_PORT="$GATEWAY_PORT"
start rt-analyzer ANALYZER_PORT="$ANALYZER_PORT" STRATEGIES="$STRATS"
# cooldown and the open-position cap off (0, docs/RISK.md): every signal may become an order
start rt-trader TRADER_PORT="$TRADER_PORT" TRADING_MODE=demo PGHOST=127.0.0.1 \
    PGPORT="$RT_TEST_PGPORT" PGUSER=postgres PGDATABASE=rt_test COOLDOWN_SECONDS=0 \
    MAX_OPEN_POSITIONS=0
wait_health rt-gateway "$GATEWAY_PORT"
wait_health rt-analyzer "$ANALYZER_PORT"
wait_health rt-trader "$TRADER_PORT"

echo "# tick_to_trade: SIM_SPEED=$SPEED INTERVAL=$INTERVAL SYMBOLS=$SYMS STRATEGIES=$STRATS durable=${RT_BENCH_DURABLE:-1}, observing ${SECS}s"
timeout $((SECS + 30)) "$BUILD/bin/tick_to_trade" "$T_REDIS_PORT" "$SIM_PORT" "$SYMS" "$INTERVAL" \
    "$SECS" >"$T_DIR/observer.log" || die "the observer failed"
for p in "${PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || { tail -n 20 "$T_DIR"/rt-*.log >&2; die "a service died during the run"; }
done
rows=$(PGHOST=127.0.0.1 PGPORT=$RT_TEST_PGPORT "$PG_BIN/psql" -X -qtA -U postgres -d rt_test \
    -c "SELECT count(*) FILTER (WHERE signal_id IS NOT NULL) || ' strategy orders, ' || count(*) FILTER (WHERE status = 'FILLED') || ' filled' FROM orders")
echo "# database: $rows (whole run, warm-up included)"
python3 "$HERE/tick_to_trade.py" "$T_DIR/observer.log"
