/* rt-portfolio's context and the parts of the program (main.c reads like a table of contents:
 * config, database pool, market state, SSE hub, recorder thread, HTTP API). */
#ifndef PF_H
#define PF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pf_core.h"
#include "rt/bus.h"
#include "rt/config.h"
#include "rt/db.h"
#include "rt/http.h"
#include "rt/jsonw.h"
#include "rt/metrics.h"
#include "rt/msg.h"

/** Configuration (one table in main.c). */
typedef struct {
    char pghost[256];
    int pgport;
    char pguser[64];
    char pgpassword[128];
    char pgdatabase[64];
    char redis_host[256];
    int redis_port;
    char bind[64];
    int port;
    int mode; /* 0 demo, 1 live */
    char quote_asset[RT_ASSET_CAP];
    rt_config_list_t symbols;
    char interval[RT_INTERVAL_CAP];
    int64_t snapshot_s;
    int64_t throttle_ms;
    int64_t http_threads;
    int64_t sse_clients;
    char log_level[16];
} pf_config_t;

/* ---- database pool (dbpool.c): one connection per server thread ---- */

typedef struct pf_dbpool pf_dbpool_t;

/** Opens n connections with conninfo. Returns 0 and *out (pf_dbpool_free), or rt_db_connect's
 *  error, RT_ENOMEM, RT_EINVAL. */
int pf_dbpool_new(const char *conninfo, int n, pf_dbpool_t **out);
/** Closes every connection. NULL is a no-op. No connection may be held. */
void pf_dbpool_free(pf_dbpool_t *p);
/** Takes a connection, waiting at most timeout_ms. Returns 0 and *out, RT_EAGAIN (busy). */
int pf_dbpool_get(pf_dbpool_t *p, int64_t timeout_ms, rt_db_t **out);
/** Gives a connection back. */
void pf_dbpool_put(pf_dbpool_t *p, rt_db_t *db);

/* ---- SSE hub (hub.c) ---- */

#define PF_HUB_MAX 256

typedef struct {
    pthread_mutex_t lock;
    rt_http_stream_t *clients[PF_HUB_MAX];
    size_t count;
    size_t max; /* <= PF_HUB_MAX */
    uint64_t dropped;
    rt_series_t *m_events; /* counter of events relayed (may be NULL) */
    rt_series_t *m_dropped;
} pf_hub_t;

/** Initializes an empty hub that accepts at most max clients (1..PF_HUB_MAX). */
int pf_hub_init(pf_hub_t *h, size_t max);
/** Releases the hub's references (the server must be stopped first). */
void pf_hub_cleanup(pf_hub_t *h);
/** Sends one event to every client; a client that cannot take it is dropped by the server and
 *  leaves the hub through its close callback. */
void pf_hub_broadcast(pf_hub_t *h, const char *event, const char *data);
/** Adds a client (the hub takes over the caller's reference). Returns 0 or RT_ERANGE (full:
 *  the caller keeps its reference). */
int pf_hub_add(pf_hub_t *h, rt_http_stream_t *s);
/** The streams' close callback (ud is the hub): removes the client and drops its reference. */
void pf_hub_closed(void *ud, rt_http_stream_t *s);
/** Number of clients now. */
size_t pf_hub_count(pf_hub_t *h);

/* ---- the program's context ---- */

/** Balances of the account as last published on account:balances (live mode). */
typedef struct {
    size_t n;
    int64_t at_ms; /* 0 = none received */
    rt_balance_t b[64];
} pf_bus_balances_t;

typedef struct {
    pf_config_t cfg;
    pf_dbpool_t *pool;
    char conninfo[1024];

    pthread_mutex_t market_lock; /* guards market and bus_balances */
    pf_market_t market;
    pf_bus_balances_t bus_balances;

    pf_hub_t hub;
    rt_metrics_t *metrics;
    rt_series_t *m_candles_saved;
    rt_series_t *m_snapshots;
    rt_series_t *m_bad_messages;

    _Atomic bool bus_up;
    _Atomic bool db_up;
    pthread_t recorder;
    bool recorder_started;
} pf_ctx_t;

/* ---- books (books.c): what API and recorder both read ---- */

#define PF_BAL_MAX 64

typedef struct {
    char asset[RT_ASSET_CAP];
    rt_money_t free, locked, total;
    rt_money_t quote_value;
    bool priced; /* quote_value known */
} pf_balance_t;

typedef struct {
    size_t n;
    bool from_bus; /* true: the last account:balances message; false: the balances table */
    rt_money_t total_quote; /* sum of the priced rows */
    size_t unpriced;        /* rows without a price */
    pf_balance_t b[PF_BAL_MAX];
} pf_balances_t;

/** The account's balances valued in the quote asset: the balances table (demo account) when it
 *  has rows, else the last account:balances message. Returns 0 or the database's error. */
int pf_books_balances(pf_ctx_t *ctx, rt_db_t *db, pf_balances_t *out);

/** Writes the current prices as a JSON object {"BTCUSDC":55000.1,...} into w (reset first),
 *  for queries that value positions. Returns 0 or the writer's error. */
int pf_books_prices_json(pf_ctx_t *ctx, rt_jsonw_t *w);

/** Writes one balance snapshot (a row per asset and the '*' account row, one timestamp).
 *  Nothing is written when no balance is known. Returns 0 or the database's error. */
int pf_books_snapshot(pf_ctx_t *ctx, rt_db_t *db);

/** Reads the latest close of each symbol from the candles table into the market (at start).
 *  Returns 0 or the database's error. */
int pf_books_seed_prices(pf_ctx_t *ctx, rt_db_t *db);

/* ---- recorder (recorder.c) and API (api.c) ---- */

/** Starts the recorder thread (bus subscriber, candle persistence, snapshots, relay to the hub).
 *  It runs until rt_sig_stopping(). Returns 0, RT_ENOMEM. */
int pf_recorder_start(pf_ctx_t *ctx);
/** Joins the recorder thread (after a stop request). */
void pf_recorder_join(pf_ctx_t *ctx);

/** Adds every route of the API to srv. Returns 0 or rt_http_server_route's error. */
int pf_api_routes(pf_ctx_t *ctx, rt_http_server_t *srv);

/** Health check for GET /health. */
int pf_api_health(void *ud, json_t *details);

#endif
