#!/usr/bin/env bash
# REST throughput of rt-portfolio with 1,000,000 trades in the books: wrk against
# /portfolio/summary and /portfolio/trades?limit=50 (first page and a deep page), after an EXPLAIN
# of the paging query (no sequential scan of trades allowed).
#
#   bench/portfolio_bench.sh            (build first: cmake --build build)
#
# Servers: a PostgreSQL and a Redis on loopback, from PGHOST/PGPORT/PGUSER (trust or PGPASSWORD)
# and REDIS_HOST/REDIS_PORT, else the harness's RT_TEST_* variables. A database
# rt_bench_portfolio is created (dropped first) and dropped at the end.
# Knobs: RT_BENCH_TRADES (1000000), RT_BENCH_SECONDS (10), RT_BENCH_THREADS (2),
# RT_BENCH_CONNECTIONS (16), RT_BUILD_DIR (build).
# Prints one machine-readable line per endpoint:
#   bench=portfolio endpoint=... trades=N rps=... p50_ms=... p99_ms=... errors=...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=${RT_BUILD_DIR:-$ROOT/build}
N=${RT_BENCH_TRADES:-1000000}
SECS=${RT_BENCH_SECONDS:-10}
THREADS=${RT_BENCH_THREADS:-2}
CONNS=${RT_BENCH_CONNECTIONS:-16}
export PGHOST=${PGHOST:-${RT_TEST_PGHOST:-127.0.0.1}} PGPORT=${PGPORT:-${RT_TEST_PGPORT:-5432}}
export PGUSER=${PGUSER:-${RT_TEST_PGUSER:-postgres}}
REDIS_HOST=${REDIS_HOST:-${RT_TEST_REDIS_HOST:-127.0.0.1}}
REDIS_PORT=${REDIS_PORT:-${RT_TEST_REDIS_PORT:-6379}}
DB=rt_bench_portfolio
MAINT=${RT_TEST_PGDATABASE:-postgres}

die() { echo "portfolio_bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
[[ -x $BUILD/bin/rt-portfolio && -x $BUILD/bin/rt-migrate ]] || die "build first ($BUILD/bin)"
psql_m() { psql -X -q -v ON_ERROR_STOP=1 -d "$MAINT" "$@"; }
psql_b() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

PID=""
cleanup() {
    if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    psql_m -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql_m -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
PGDATABASE=$DB "$BUILD/bin/rt-migrate" --dir "$ROOT/db/migrations" >/dev/null
t0=$(date +%s)
# N trades over 4 symbols and 4 strategies (one manual), one position per two trades, over the
# last 200 days; balances; a day of snapshots. One statement each: the aggregates' triggers
# run once per statement.
psql_b <<SQL
INSERT INTO positions (symbol, strategy, status, entry_price, quantity, initial_quantity,
                       exit_price, realized_pnl, fees, opened_at, closed_at)
SELECT (ARRAY['BTCUSDC','ETHUSDC','SOLUSDC','BNBUSDC'])[1 + g % 4],
       (ARRAY['RSI_Strategy','EMA_Cross','Bollinger',NULL])[1 + (g / 4) % 4],
       'closed', 100 + g % 50, 0, 0.5, 100 + g % 50 + (g % 7) - 3, ((g % 7) - 3) * 0.5 - 0.01,
       0.01, now() - (($N - 2 * g) * interval '17 seconds'),
       now() - (($N - 2 * g - 1) * interval '17 seconds')
FROM generate_series(1, $N / 2) g;
INSERT INTO trades (symbol, side, price, quantity, quote_quantity, fee, fee_asset, strategy,
                    position_id, timestamp, demo)
SELECT p.symbol, s.side, CASE s.side WHEN 'BUY' THEN p.entry_price ELSE p.exit_price END, 0.5,
       0.5 * CASE s.side WHEN 'BUY' THEN p.entry_price ELSE p.exit_price END, 0.005, 'USDC',
       p.strategy, p.id, CASE s.side WHEN 'BUY' THEN p.opened_at ELSE p.closed_at END, true
FROM positions p CROSS JOIN (VALUES ('BUY'), ('SELL')) s(side);
INSERT INTO balances (asset, free, locked) VALUES ('USDC', 10000, 0), ('BTC', 0.1, 0);
INSERT INTO balance_snapshots (ts, asset, quote_value, total_quote, quote_asset)
SELECT now() - g * interval '1 minute', '*', 10000 + g, 10000 + g, 'USDC'
FROM generate_series(1, 1440) g;
VACUUM ANALYZE;
SQL
t1=$(date +%s)
count=$(psql_b -tA -c "SELECT count(*) FROM trades")
echo "# seeded $count trades in $((t1 - t0)) s"
# the API's paging query (deferred join: ids from an index-only scan, then the rows)
page_sql() { echo "EXPLAIN (ANALYZE, COSTS OFF) SELECT t.* FROM (SELECT id FROM trades $1 ORDER BY timestamp DESC, id DESC LIMIT 50 OFFSET $2) p JOIN trades t ON t.id = p.id ORDER BY t.timestamp DESC, t.id DESC"; }
plan=$(psql_b -tA -c "$(page_sql "" 49950)")
plan_sym=$(psql_b -tA -c "$(page_sql "WHERE symbol = 'ETHUSDC' AND strategy = 'EMA_Cross'" 0)")
echo "# plan (page 1000):"; sed 's/^/#   /' <<<"$plan"
echo "# plan (symbol+strategy):"; sed 's/^/#   /' <<<"$plan_sym"
if grep -q "Seq Scan on trades" <<<"$plan$plan_sym"; then die "paging plan scans trades sequentially"; fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd /tmp && PGDATABASE=$DB REDIS_HOST=$REDIS_HOST REDIS_PORT=$REDIS_PORT PORTFOLIO_PORT=$PORT \
    PORTFOLIO_THREADS=4 LOG_LEVEL=warn SYMBOLS=BTCUSDC,ETHUSDC,SOLUSDC,BNBUSDC \
    exec "$BUILD/bin/rt-portfolio") &
PID=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/health" >/dev/null || die "rt-portfolio did not start"

run() { # run NAME PATH
    local out rps p50 p99 errs
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency --timeout 5s "http://127.0.0.1:$PORT$2")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errs=$(awk '/Non-2xx|Socket errors/ {e = e $0 "; "} END {print (e == "" ? "0" : e)}' <<<"$out")
    to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else if (v ~ /s$/) printf "%.3f", v * 1000; else print v }'; }
    echo "bench=portfolio endpoint=$1 trades=$count rps=$rps p50_ms=$(to_ms "$p50") p99_ms=$(to_ms "$p99") errors=\"$errs\" threads=$THREADS connections=$CONNS seconds=$SECS"
}
run summary /portfolio/summary
run trades_p1 "/portfolio/trades?limit=50"
run trades_p1000 "/portfolio/trades?limit=50&page=1000"
run trades_symbol_strategy "/portfolio/trades?limit=50&symbol=ETHUSDC&strategy=EMA_Cross"
