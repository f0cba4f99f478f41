/* Helpers shared by the trader's integration tests (test_trader*.c) and the other tests that
 * talk to a running service or simulator: money, free ports, reading the database, HTTP, the
 * bus, the simulators they run against, and the trader's API. Every helper fails the test
 * (cmocka's fail_msg) on an error: none returns one. */
#ifndef RT_TEST_TRADER_H
#define RT_TEST_TRADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/money.h"
#include "rt_test.h"

/* The API key pair the simulator is started with by rt_test_live_sim_start. */
#define RT_TEST_SIM_KEY "0123456789abcdef0123456789abcdef"
#define RT_TEST_SIM_SECRET "fedcba9876543210fedcba9876543210"

/** The decimal s as money ("49.049"); fails the test when it does not parse. */
rt_money_t rt_test_money(const char *s);

/** The first column of the first row of sql (no parameters) as an integer (a count). Fails the
 *  test when the query fails or gives no integer. */
int64_t rt_test_query_int(rt_db_t *db, const char *sql);

/** The one money value sql selects; fails the test unless it gives exactly one row. */
rt_money_t rt_test_query_money(rt_db_t *db, const char *sql);

/** The one text value sql selects (NULL as ""), copied into out; fails the test unless it gives
 *  exactly one row or when it does not fit in cap. */
void rt_test_query_text(rt_db_t *db, const char *sql, char *out, size_t cap);

/** Polls sql (a count) every 50 ms until it gives want, at most ms; fails the test otherwise,
 *  and at once when watch (NULL: none) names a process (> 0) that has died: then *watch is set
 *  to 0 and log (NULL: none) is named in the message. */
void rt_test_wait_count(rt_db_t *db, const char *sql, int64_t want, int ms, pid_t *watch,
                        const char *log);

/** Publishes a ticker {symbol, price, event_time: now} on market:ticker:<symbol>. */
void rt_test_publish_ticker(rt_bus_t *bus, const char *symbol, const char *price);

/** One request to http://127.0.0.1:port<path>: method, body (NULL: none) of len bytes sent as
 *  "Content-Type: application/json", with "Authorization: Bearer <token>" when token is not
 *  NULL; gives up after timeout_ms. Returns the status (0 when no answer came); *resp (when
 *  resp is not NULL) gets the body, malloc'd (the caller frees; NULL when there was none). */
long rt_test_http(int port, const char *token, const char *method, const char *path,
                  const char *body, size_t len, long timeout_ms, char **resp);

/** The free balance of asset in the simulator's account on 127.0.0.1:sim_port (signed GET
 *  /api/v3/account with RT_TEST_SIM_KEY); 0 when the account does not list it. Needs
 *  rt_exrest_global_init. */
rt_money_t rt_test_sim_free(int sim_port, const char *asset);

/** Starts rt-exchange-sim as rt_test_sim_start does with the live tests' account: SIM_PORT=0
 *  on 127.0.0.1, BTCUSDC and ETHUSDC at SIM_SPEED=60, SIM_SEED=11, SIM_HISTORY=60, the key pair
 *  RT_TEST_SIM_KEY / RT_TEST_SIM_SECRET, USDC=10000 BTC=0, fees 0.1% taker and maker, warnings
 *  only. Each of the n extra "NAME=value" replaces the setting of that name or is added. Returns
 *  0 with *pid and *port written, -1 otherwise (the reason on stderr). */
int rt_test_live_sim_start(const char *const *extra, size_t n, pid_t *pid, int *port);

/* ---- rt-trader under test (rt_test_trader_t, rt_test.h) ----------------------------------- */

/** Starts the quiet simulator a demo-mode trader reads its exchange filters from (BTCUSDC and
 *  DOGEUSDC, SIM_SEED=5, SIM_HISTORY=10) into t->sim / t->sim_port (the teardown stops it).
 *  Fails the test when it does not start. */
void rt_test_trader_demo_sim(rt_test_trader_t *t);

/** Starts rt-trader in demo mode (TRADE_QUANTITY 0.001, DEMO_BALANCES USDC=10000, fee 0.1%,
 *  slippage 5 bps) with the filters from t->sim_port and SYMBOLS BTCUSDC,DOGEUSDC; fault is ""
 *  or a TRADER_FAULT point; extra is NULL or NAME, VALUE, ..., NULL, set after (overriding). */
void rt_test_trader_start_demo(rt_test_trader_t *t, const char *fault, const char *const *extra);

/** Starts rt-trader in live mode on the simulator t->sim_port (EXCHANGE=sim, SYMBOLS
 *  BTCUSDC,ETHUSDC, TRADE_QUANTITY 0.001) with the key pair when keys (else empty keys); fault
 *  and extra as for rt_test_trader_start_demo. */
void rt_test_trader_start_live(rt_test_trader_t *t, const char *fault, bool keys,
                               const char *const *extra);

/** rt_test_wait_count on the trader's database: 15 s at most, not watching the trader. */
void rt_test_trader_wait_count(rt_test_trader_t *t, const char *sql, int64_t want);

/** rt_test_http to the trader's API (t->http_port) with its token when auth, 15 s at most. */
long rt_test_trader_http(rt_test_trader_t *t, const char *method, const char *path,
                         const char *body, size_t len, bool auth, char **resp);

/** Waits at most 20 s for GET /health to answer 200; fails the test otherwise, at once when the
 *  trader dies (showing its log when t->capture_log). */
void rt_test_trader_wait_healthy(rt_test_trader_t *t);

/** POSTs body to /trade (authorized), publishing a BTCUSDC ticker at ticker_price before each
 *  try, until the answer is not "422 no_price" (at most 100 tries). Returns the last status,
 *  *resp its body (caller frees). */
long rt_test_trader_post_priced(rt_test_trader_t *t, const char *ticker_price, const char *body,
                                char **resp);

#endif
