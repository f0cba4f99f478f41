/* rt-trader's shell (not a public API): the context shared by main.c, service.c, store.c and
 * exec_demo.c. The trading logic belongs in the pure core (trader/core, tr_*.h); this shell
 * only moves data between Redis, PostgreSQL and that logic. */
#ifndef TR_SVC_H
#define TR_SVC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/exinfo.h"
#include "rt/http.h"
#include "rt/jsonw.h"
#include "rt/metrics.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/types.h"

#define TR_SVC_GROUP "trader"
#define TR_SVC_EVENTS "trader:events"
#define TR_COID_CAP 40
#define TR_ASSET_NAME_CAP 24
#define TR_REASON_CAP 256

typedef enum { TR_MODE_DEMO = 0, TR_MODE_LIVE = 1 } tr_mode_t;

/* Everything rt-trader reads from the environment / .env (main.c declares the table). */
typedef struct {
    char redis_host[256];
    int redis_port;
    char pghost[256];
    int pgport;
    char pguser[64];
    char pgpassword[128];
    char pgdatabase[64];
    int trading_mode;        /* tr_mode_t */
    char demo_balances[512]; /* "USDC=10000,BTC=0" */
    int port;
    char bind[64]; /* address the API listens on */
    char api_token[128];
    char consumer[64];
    char quote_asset[TR_ASSET_NAME_CAP]; /* what balances are valued in */
    char stream[128];                    /* the signals stream, "signals" (tests use their own) */
    char fault[32]; /* test hook: "after_order_commit" kills the process at that point */
    char log_level[16];
    int64_t run_seconds; /* 0: until SIGTERM; else stop by itself after that long */
    /* live mode */
    int exchange;                   /* 0 sim, 1 binance, 2 binance-testnet */
    char exchange_rest_url[256];    /* "" = the one EXCHANGE implies (resolved in main.c) */
    int sim_port;
    char binance_api_key[128];
    char binance_secret_key[128];
    char symbols[1024];             /* SYMBOLS: whose exchange filters are loaded */
    int64_t balance_seconds;        /* live: re-read the exchange account this often */
} tr_svc_config_t;

/* One order as the shell carries it between the database and execution. */
typedef struct {
    int64_t id;
    char client_order_id[TR_COID_CAP];
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    rt_money_t quantity;
    rt_money_t ref_price;       /* price the demo fill starts from (signal price or last price) */
    char strategy[RT_NAME_CAP]; /* "" for manual */
    char signal_id[RT_ID_CAP];  /* "" for manual */
    rt_money_t stop_loss;       /* 0: none */
    rt_money_t take_profit;     /* 0: none */
    int64_t position_id;        /* SELL: the position it closes; 0 otherwise */
    char reason[64];            /* why it is placed: entry, exit, manual, stop_loss... */
    bool limit;                 /* a LIMIT order (price is its limit price) */
    rt_money_t price;           /* LIMIT: the limit price, on the tick; 0 for MARKET */
    rt_money_t locked;          /* a resting demo LIMIT: the funds it holds; 0 otherwise */
    char locked_asset[TR_ASSET_NAME_CAP];
} tr_svc_order_t;

/* A demo fill, computed by exec_demo.c. */
typedef struct {
    rt_money_t price;
    rt_money_t quantity;
    rt_money_t quote_quantity; /* price * quantity, fees apart */
    rt_money_t fee;            /* in the quote asset */
    char fee_asset[TR_ASSET_NAME_CAP];
    bool maker; /* a resting LIMIT order's fill */
} tr_exec_fill_t;

/* A change of one asset's balance (free and locked deltas), from the core's fill model. */
typedef struct {
    char asset[TR_ASSET_NAME_CAP];
    rt_money_t free;
    rt_money_t locked;
} tr_exec_change_t;

#define TR_EXEC_CHANGES_MAX 4

/* What a demo LIMIT action (place, fill, cancel) does: at most one fill, and the balance
 * changes to apply. */
typedef struct {
    bool filled;
    tr_exec_fill_t fill;
    size_t n;
    tr_exec_change_t changes[TR_EXEC_CHANGES_MAX];
} tr_exec_limit_t;

/* An open position as stored. */
typedef struct {
    int64_t id;
    rt_money_t entry_price;
    rt_money_t quantity;
    rt_money_t initial_quantity;
    rt_money_t fees;
} tr_store_position_t;

/* A connection pair: one thread uses one at a time. */
typedef struct {
    rt_db_t *db;
    rt_bus_t *bus;
} tr_io_t;

#define TR_PRICES_MAX 256
#define TR_ENTRY_CACHE 256

/* Latest prices from market:ticker:* and market:data:* (written by the loop, read by the API:
 * guarded by lock). */
typedef struct {
    pthread_mutex_t lock;
    size_t n;
    struct {
        char symbol[RT_SYMBOL_CAP];
        rt_money_t price;
        int64_t time_ms;
    } at[TR_PRICES_MAX];
} tr_prices_t;

/* What the loop keeps per symbol (service.c sym_state). */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    int64_t open_time; /* of the last candle update seen; INT64_MIN: none yet */
    rt_money_t low, high;
    bool no_resting;        /* no resting demo order at the last look... */
    uint64_t no_resting_at; /* ...as of this count of placements (tr_svc_t.limit_placed) */
} tr_sym_state_t;

/* Metric series the service updates. */
typedef struct {
    rt_series_t *signals_accepted, *signals_rejected, *signals_duplicate, *signals_malformed;
    rt_series_t *orders_filled, *orders_failed, *fills;
    rt_series_t *fees_unvalued; /* live commissions in a third asset left out of the books */
    rt_series_t *signal_to_order, *order_to_commit; /* seconds */
} tr_svc_metrics_t;

/* What an order is asked for, by a signal, the API or the position manager. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    char strategy[RT_NAME_CAP]; /* "" = manual */
    char signal_id[RT_ID_CAP];  /* "" = none */
    rt_money_t quantity;        /* base; 0 = from the sizing rule (or quote_quantity) */
    rt_money_t quote_quantity;  /* quote to spend; 0 = none */
    rt_money_t ref_price;       /* price to fill from (signal price or latest price) */
    rt_money_t stop_loss, take_profit;
    int64_t position_id; /* SELL: this position (0: the strategy's open one) */
    char reason[64];     /* entry, exit, manual, stop_loss, take_profit, trailing_stop... */
    bool limit;          /* a LIMIT order at limit_price (manual only) */
    rt_money_t limit_price;
} tr_svc_intent_t;

/* The risk decision: accept with the order to place, or reject with a code and a sentence. */
typedef struct {
    bool accept;
    char code[48];
    char reason[TR_REASON_CAP];
    tr_svc_order_t order;
} tr_svc_decision_t;

/* Room for the core's tr_exit_config_t (exits.c checks the size): this header does not
 * depend on the core, which may be absent from a build. */
#define TR_EXIT_CFG_SIZE 256
#define TR_FILL_CFG_SIZE 64

/* The service's one context. */
typedef struct {
    tr_svc_config_t cfg;
    tr_io_t io;     /* the consumer loop's */
    tr_io_t api_io; /* the API handlers', under api_lock */
    pthread_mutex_t api_lock;
    rt_bus_sub_t *sub; /* market data for exits and prices */
    rt_metrics_t *metrics;
    tr_svc_metrics_t m;
    rt_http_server_t *http;
    tr_prices_t prices;
    /* Per symbol, the loop thread's own (service.c sym_state): the last candle update seen
     * (what a new update adds to the prices traded since: candle_news) and whether the symbol
     * had no resting demo order at the last look, as of which count of placements
     * (limit_on_price skips the database until a LIMIT order is placed again). */
    size_t seen_n;
    tr_sym_state_t seen[TR_PRICES_MAX];
    atomic_uint_fast64_t limit_placed; /* demo LIMIT orders committed NEW since start */
    /* When each open position's entry candle ended (exits.c stale_for), so the entry signal is
     * read once a position, not on every price: direct-mapped by id, the loop thread's own. */
    struct {
        int64_t id;      /* 0: empty */
        int64_t from_ms; /* prices before this are older than the entry; 0: none are */
    } entry_from[TR_ENTRY_CACHE];
    atomic_bool paused;
    atomic_uint_fast64_t manual_seq;
    atomic_bool db_ok, redis_ok;
    atomic_bool halt_sell; /* the halt fired: the loop sells every open position */
    bool exits_on;         /* the position manager runs (trader core present, settings valid) */
    void *core_risk;       /* the core's risk config and state (exits.c), NULL without the core */
    _Alignas(8) unsigned char exit_cfg[TR_EXIT_CFG_SIZE]; /* a tr_exit_config_t */
    _Alignas(8) unsigned char fill_cfg[TR_FILL_CFG_SIZE]; /* a tr_fill_config_t */
    struct tr_live *live;         /* live mode's exchange client (exec_live.c); NULL in demo */
    struct tr_exfilters *filters; /* the exchange filters of SYMBOLS (exfilters.c) */
} tr_svc_t;

/* ---- exec_demo.c ---------------------------------------------------------------------- */

/** Splits symbol into base and quote by its quote suffix (USDC, USDT, FDUSD, BUSD, BTC, ETH,
 *  BNB, EUR, TRY). Returns 0, RT_EINVAL when no known quote ends it or nothing is left. */
int tr_exec_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote,
                         size_t quote_cap);

/** The demo fill of a MARKET order at o->ref_price, by the core's fill model with the
 *  DEMO_SLIPPAGE_BPS / DEMO_FEE_RATE settings (slippage against the taker, fee in the quote
 *  asset, rounded in the exchange's favour). Returns 0 or the core's error; out is written
 *  only on success. */
int tr_exec_demo_fill(const tr_svc_t *svc, const tr_svc_order_t *o, tr_exec_fill_t *out);

/** Places a demo LIMIT order o (o->price on the tick): out gets the change that locks its
 *  funds, and o->locked / o->locked_asset what it locks (the core's tr_fill_limit_place).
 *  Returns 0, RT_EAGAIN / RT_ENOTFOUND without the symbol's filters, or the core's error. */
int tr_exec_demo_limit_place(const tr_svc_t *svc, tr_svc_order_t *o, tr_exec_limit_t *out);
/** Tries the resting order o against the market range [low, high] (a ticker: low == high):
 *  0 with out->filled and the changes (maker fee, lock released) when it fills, RT_EAGAIN
 *  when the market did not reach it, or the core's error. */
int tr_exec_demo_limit_try(const tr_svc_t *svc, const tr_svc_order_t *o, rt_money_t low,
                           rt_money_t high, tr_exec_limit_t *out);
/** The change that unlocks a canceled resting order's funds. Returns 0 or RT_EINVAL. */
int tr_exec_demo_limit_cancel(const tr_svc_t *svc, const tr_svc_order_t *o, tr_exec_limit_t *out);

/* ---- exfilters.c: the exchange filters of SYMBOLS, both modes ------------------------- */

struct rt_exrest;
/** GET /api/v3/exchangeInfo?symbols=[...] for the comma-separated symbols through rest, parsed
 *  into *out (caller frees with rt_exinfo_cleanup; written only on success). Failures are
 *  logged. Returns 0 or the client's / parser's error. */
int tr_exfilters_fetch(struct rt_exrest *rest, const char *symbols, rt_exinfo_t *out);
/** Creates svc->filters (empty: every symbol RT_EAGAIN until loaded). RT_ENOMEM. */
int tr_exfilters_new(tr_svc_t *svc);
/** Makes *info the filters in force (taken over: *info is zeroed) and logs it. */
void tr_exfilters_set(tr_svc_t *svc, rt_exinfo_t *info);
/** Demo: starts the background loader (public client to EXCHANGE_REST_URL, retried with
 *  backoff 0.5 s .. 30 s until loaded or stopping; each failure logged). Returns 0 or the
 *  client's error. */
int tr_exfilters_start_loader(tr_svc_t *svc);
/** Waits up to ms for the filters to be loaded; true when they are. */
bool tr_exfilters_wait(tr_svc_t *svc, int64_t ms);
/** Stops the loader and frees svc->filters. NULL is a no-op. */
void tr_exfilters_free(tr_svc_t *svc);
/** The filters of symbol into out (a tr_filters_t): 0, RT_EAGAIN while none are loaded yet,
 *  RT_ENOTFOUND when loaded but symbol is not among them (not in SYMBOLS, or unknown to the
 *  exchange). */
int tr_svc_filters(const tr_svc_t *svc, const char *symbol, void *out);

/* ---- exec_live.c ---------------------------------------------------------------------- */

#define TR_LIVE_FILLS_MAX 32

typedef enum { TR_LIVE_FILLED = 1, TR_LIVE_REJECTED = 2, TR_LIVE_RESTING = 3 } tr_live_outcome_t;

/* One exchange fill: price, qty, commission (fee, in fee_asset: the asset received for a
 * BUY on the simulator and Binance) and the exchange's tradeId (0 when unknown). */
typedef struct {
    tr_exec_fill_t f;
    int64_t trade_id;
    bool fee_unvalued; /* a third-asset commission with no price to value it (service.c) */
} tr_live_fill_t;

/* What became of a live order: FILLED with its fills, REJECTED, or RESTING (a LIMIT order
 * the exchange holds as NEW / PARTIALLY_FILLED: its fills are followed by tr_live_state and
 * tr_live_trades). */
typedef struct {
    tr_live_outcome_t outcome;
    int64_t exchange_order_id; /* 0 when none */
    int exchange_code;         /* the exchange's error code of a rejection, 0 otherwise */
    char reason[TR_REASON_CAP];
    size_t n;
    tr_live_fill_t fills[TR_LIVE_FILLS_MAX];
} tr_live_result_t;

/** Live start: refuses without BINANCE_API_KEY / BINANCE_SECRET_KEY (RT_EAUTH, both named
 *  in the log), warns that real orders go to the REST URL, syncs time and loads the
 *  exchangeInfo filters of SYMBOLS. Returns 0 or the client's error; svc->live is set (freed
 *  by tr_live_free, also after a failure). */
int tr_live_init(tr_svc_t *svc);
/** Frees svc->live. NULL is a no-op. */
void tr_live_free(tr_svc_t *svc);
/** GET /api/v3/account: up to cap balances into out, *n how many. Returns 0 or the client's
 *  error (RT_EPROTO for a malformed reply); out and *n are written only on success. */
int tr_live_balances(tr_svc_t *svc, rt_balance_t *out, size_t cap, size_t *n);
/** Sends o as a MARKET order (newClientOrderId = o->client_order_id, FULL reply) and writes
 *  its outcome into *res: FILLED with its fills, or REJECTED with the reason (exchange
 *  errors, rate limits, unreachable). An uncertain outcome (5xx, timeout after sending) is
 *  looked up, never resent. Returns 0 when *res is known, RT_EUNKNOWN when the order's fate is
 *  still unknown (leave it PENDING), or RT_EPROTO / RT_EINVAL. */
int tr_live_send(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res);
/* An order's state at the exchange (GET or DELETE /api/v3/order). */
typedef struct {
    char status[24]; /* NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, REJECTED... */
    int64_t exchange_order_id;
    rt_money_t executed_qty;
} tr_live_state_t;

/** GET /api/v3/order of o (by its client order id), once. Returns 0 and *st, RT_ENOTFOUND
 *  when the exchange does not know it (-2013), RT_EPROTO for a malformed reply, or the
 *  client's error. */
int tr_live_state(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_state_t *st);
/** GET /api/v3/myTrades of the exchange order: up to cap fills (price, qty, commission and
 *  its asset, maker or not, trade id) into out, *n how many. Returns 0, RT_EPROTO, or the
 *  client's error; out and *n written only on success. */
int tr_live_trades(tr_svc_t *svc, const char *symbol, int64_t exchange_order_id,
                   tr_live_fill_t *out, size_t cap, size_t *n);
/** DELETE /api/v3/order of o (by origClientOrderId). Returns 0 and the canceled order's
 *  *st, RT_ENOTFOUND when the exchange has no open order by that id (-2011: filled or
 *  canceled already, or unknown), or the client's error. */
int tr_live_cancel(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_state_t *st);
/** Looks o up by its client order id (with backoff): FILLED (fills from the reply's totals
 *  when it has none, commission unknown = 0) or REJECTED (-2013: never at the exchange).
 *  Returns as tr_live_send. */
int tr_live_lookup(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res);

/* ---- store.c (all SQL) -------------------------------------------------------------- */

/** Seeds balances from "ASSET=amount,..." when the balances table is empty. */
int tr_store_seed_balances(rt_db_t *db, const char *list);
/** Inserts the signal as pending; *inserted is false when its id was already recorded. */
int tr_store_signal_insert(rt_db_t *db, const rt_signal_t *s, const char *metadata_json, bool demo,
                           bool *inserted);
/** Sets a recorded signal's outcome ("accepted"/"rejected"), reason and order id. */
int tr_store_signal_outcome(rt_db_t *db, const char *id, const char *outcome, const char *code,
                            const char *reason, const char *coid);
/** Inserts the order row as PENDING (demo flag as given; type, limit price, stop and target
 *  from o); writes o->id. */
int tr_store_order_insert(rt_db_t *db, tr_svc_order_t *o, bool demo);
/** Adds free_delta and locked_delta (either may be negative) to asset's balance, creating
 *  the row when absent; RT_EINVAL (the table's check) when either would go negative. */
int tr_store_balance_change(rt_db_t *db, const char *asset, rt_money_t free_delta,
                            rt_money_t locked_delta);
/** A demo LIMIT order placed: PENDING -> NEW with o->locked / o->locked_asset. RT_ESTATE when
 *  the row is not PENDING any more. */
int tr_store_order_resting(rt_db_t *db, const tr_svc_order_t *o);
/** A resting order canceled: NEW / PARTIALLY_FILLED -> CANCELED; RT_ESTATE otherwise. */
int tr_store_order_canceled(rt_db_t *db, int64_t id);
/** Loads order id as the shell carries it, locked FOR UPDATE (inside the caller's
 *  transaction), and its status text into status. RT_ENOTFOUND when absent. */
int tr_store_order_lock(rt_db_t *db, int64_t id, tr_svc_order_t *out, char *status,
                        size_t status_cap);
/** The base quantity still to buy by resting LIMIT BUY orders of symbol (0 when none). */
int tr_store_resting_buy_qty(rt_db_t *db, const char *symbol, rt_money_t *out);
/** Loads up to cap resting LIMIT orders (demo ones when demo, else live ones) of symbol ("" =
 *  every symbol; NEW / PARTIALLY_FILLED), oldest first; *n gets how many. */
int tr_store_resting_orders(rt_db_t *db, const char *symbol, bool demo, tr_svc_order_t *out,
                            size_t cap, size_t *n);
/** Live: a LIMIT order the exchange holds: PENDING -> NEW with its exchange order id (0 keeps
 *  the one stored). RT_ESTATE when the row is not PENDING any more. */
int tr_store_order_live_resting(rt_db_t *db, int64_t id, int64_t exchange_order_id);
/** The sums of an order's trades: base quantity and quote quantity (0 when none). */
int tr_store_order_fill_totals(rt_db_t *db, int64_t id, rt_money_t *qty, rt_money_t *quote);
/** Sets an order's status and fill totals (avg_price 0 = none; position_id 0 keeps it). */
int tr_store_order_progress(rt_db_t *db, int64_t id, const char *status, rt_money_t filled,
                            rt_money_t filled_quote, rt_money_t avg_price, int64_t position_id);
/** Points every trade of an order at position_id. */
int tr_store_trades_set_position(rt_db_t *db, int64_t order_id, int64_t position_id);
/** Adds delta (may be negative) to asset's free balance, creating the row when absent;
 *  RT_EDB when it would go negative (the table's check). */
int tr_store_balance_add(rt_db_t *db, const char *asset, rt_money_t delta);
/** The open position on (symbol, strategy) (strategy "" = manual), locked; RT_ENOTFOUND. */
int tr_store_position_open_get(rt_db_t *db, const char *symbol, const char *strategy,
                               tr_store_position_t *out);
/** Opens a position from a BUY fill; writes its id. */
int tr_store_position_open(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                           int64_t *id);
/** Reduces / closes a position after a SELL fill (realized PnL and fees updated). */
int tr_store_position_reduce(rt_db_t *db, int64_t id, const tr_exec_fill_t *f, rt_money_t realized,
                             const char *reason);
/** Inserts one trade row (demo; role MAKER when f->maker). */
int tr_store_trade_insert(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id);
/** Marks the order FILLED with its fill. */
int tr_store_order_filled(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id);
/** Loads an order row. RT_ENOTFOUND when absent. */
int tr_store_order_get(rt_db_t *db, int64_t id, rt_order_t *out);
/** Loads up to cap trades of an order; *n gets how many. */
int tr_store_trades_of_order(rt_db_t *db, int64_t order_id, rt_trade_t *out, size_t cap, size_t *n);
/** Loads a position row. RT_ENOTFOUND when absent. */
int tr_store_position_get(rt_db_t *db, int64_t id, rt_position_t *out);
/** Loads up to cap orders, newest first, filtered by status and symbol ("" = any), skipping
 *  offset rows; *n gets how many. */
int tr_store_orders_list(rt_db_t *db, const char *status, const char *symbol, int64_t limit,
                         int64_t offset, rt_order_t *out, size_t *n);
/** Loads up to cap balances; *n gets how many. */
int tr_store_balances(rt_db_t *db, rt_balance_t *out, size_t cap, size_t *n);
/** Loads up to cap open positions; *n gets how many. */
int tr_store_open_positions(rt_db_t *db, rt_position_t *out, size_t cap, size_t *n);
/** Loads up to cap open positions of symbol; *n gets how many. */
int tr_store_open_positions_of(rt_db_t *db, const char *symbol, rt_position_t *out, size_t cap,
                               size_t *n);
/** The candle a position's first BUY was decided on: the open time (ms) and interval ("1m";
 *  "" when the signal had none) of its signal. Returns 0, RT_ENOTFOUND for a position opened
 *  without a signal (manual), or the database's error; the outputs are written only on
 *  success. */
int tr_store_position_entry_signal(rt_db_t *db, int64_t position_id, int64_t *open_ms,
                                   char *interval, size_t cap);
/** Time of the last trade on symbol in ms (0 when none). */
int tr_store_last_trade_ms(rt_db_t *db, const char *symbol, int64_t *out);
/** Writes the exit state of a position (stop, trailing, flags). */
int tr_store_position_exit_state(rt_db_t *db, const rt_position_t *p);
/** Records a stream entry that is not a valid signal (003_trader's malformed_signals; payload
 *  kept as bytes, cut to 4096; field and reason reduced to printable ASCII). Idempotent per
 *  entry id. */
int tr_store_malformed(rt_db_t *db, const char *stream, const char *entry_id, const char *data,
                       size_t len, const char *field, const char *reason);
/** The persisted pause flag (trader_risk_state). */
int tr_store_risk_state_get(rt_db_t *db, bool *paused);
/** Persists the pause flag and why. */
int tr_store_risk_state_set(rt_db_t *db, bool paused, const char *reason);
/** Live: marks the trade of order_id with the exchange's trade id (0: the one without) as
 *  having a commission that could not be valued in the quote asset. Returns 0 or the
 *  database's error. */
int tr_store_trade_fee_unvalued(rt_db_t *db, int64_t order_id, int64_t trade_id);
/** Live: inserts one trade row with demo=false, the exchange's trade id (0 = NULL) and role
 *  (f->maker); a trade id already recorded for the symbol is ignored (replayed fills). */
int tr_store_trade_insert_live(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                               int64_t position_id, int64_t trade_id);
/** Live: sets the order's exchange order id (before it is marked FILLED). */
int tr_store_order_exchange_id(rt_db_t *db, int64_t id, int64_t exchange_order_id);
/** Live: marks a position as not demo. */
int tr_store_position_live(rt_db_t *db, int64_t id);
/** Live: the balances table mirrors the exchange account (rows demo=false, upserted; assets
 *  the account no longer lists are set to 0). */
int tr_store_balances_replace(rt_db_t *db, const rt_balance_t *b, size_t n);
/** Marks the order REJECTED with error text. */
int tr_store_order_failed(rt_db_t *db, int64_t id, const char *error);
/** Loads up to cap orders left PENDING (demo ones when demo) with their reference price;
 *  *n gets how many. */
int tr_store_pending_orders(rt_db_t *db, bool demo, tr_svc_order_t *out, size_t cap, size_t *n);

/* ---- service.c ---------------------------------------------------------------------- */

/** Runs the risk decision for intent and, when accepted, commits the order row, executes it
 *  (demo) and commits its fill. The whole of it happens on io. On success *d tells the
 *  decision (when accepted, d->order.id is the committed order). A refusal writes nothing
 *  (manual) and returns 0 with d->accept false. Returns a negative code on a database or bus
 *  failure. */
int tr_svc_place(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *intent, tr_svc_decision_t *d);

/** Cancels resting order id (API thread, on io): demo: its funds unlocked and the row
 *  CANCELED in one transaction, then published on trader:events. *status gets the order's
 *  status text when it is not cancellable (then RT_ESTATE, nothing written). Returns 0,
 *  RT_ENOTFOUND, RT_ESTATE, or a database error. */
int tr_svc_cancel(tr_svc_t *svc, tr_io_t *io, int64_t id, char *status, size_t status_cap);

/** The latest price of symbol (from tickers and candles); RT_ENOTFOUND when none yet. */
int tr_svc_price(tr_svc_t *svc, const char *symbol, rt_money_t *out);

/** Publishes the risk state (paused / resumed) on trader:events. */
void tr_svc_publish_risk(tr_svc_t *svc, tr_io_t *io, const char *reason);

/** Connects, recovers (pending orders, pending stream entries) and runs the consumer loop
 *  until the stop flag. Returns 0 on a clean stop, a negative code when it cannot run. */
int tr_svc_run(tr_svc_t *svc);

/* ---- exits.c: the position manager (the core's tr_position) ------------------------- */

/** Loads the exit settings (STOP_LOSS_PCT...) and turns the position manager on; without the
 *  trader core in the build it stays off and says so. Returns 0 or RT_EINVAL (bad settings,
 *  reported in the log). */
int tr_exits_init(tr_svc_t *svc);
/** One price (high == low == close for a ticker) of symbol, of market time until_ms (a
 *  candle's close time, a ticker's event time): evaluates its open positions and places the
 *  exits due. A position opened from a signal is not evaluated on prices that its signal's
 *  candle already held (until_ms before that candle's end): such prices came before the entry
 *  (a candle or ticker read after the signal that followed it). Errors are logged; the next
 *  price tries again. Loop thread only. */
void tr_exits_on_price(tr_svc_t *svc, const char *symbol, rt_money_t high, rt_money_t low,
                       rt_money_t close, int64_t until_ms);
/** The stop and target a BUY filled at fill_price gets (the signal's when valid, else the exit
 *  settings'); leaves them as they are when the position manager is off. */
int tr_exits_entry_levels(tr_svc_t *svc, const tr_svc_order_t *o, rt_money_t fill_price,
                          rt_money_t qty, rt_money_t *stop, rt_money_t *target);

/** Decides with the core's risk manager (tr_risk_evaluate) when the core is in the build:
 *  *done true and *d filled (quantity, position, levels; or the refusal's reason name and
 *  sentence). Without the core, *done is false and the caller decides. Returns a negative code
 *  on a database error. */
int tr_core_decide(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *in, tr_svc_decision_t *d,
                   bool *done);
/** Records the equity after a fill (drawdown brake) and halts when HALT_EQUITY_RATIO fires. */
void tr_core_observe(tr_svc_t *svc, tr_io_t *io);
/** Sells every open position after a halt (reason "halt"), persists and publishes the halt.
 *  Loop thread, outside any transaction. */
void tr_core_halt_sell(tr_svc_t *svc);
/** Tells the core's risk state of a pause or resume. */
void tr_core_set_paused(tr_svc_t *svc, tr_io_t *io, bool paused);
/** Writes "paused", "halted", "reason", "limits" {...} and "status" {equity, peak, drawdown,
 *  brake, halt level} into the open object of w (GET /risk). Returns 0 or a database error. */
int tr_core_risk_write(tr_svc_t *svc, tr_io_t *io, rt_jsonw_t *w);
/** Frees the core's state. */
void tr_core_free(tr_svc_t *svc);

/* ---- api.c -------------------------------------------------------------------------- */

/** Creates and starts the REST server on cfg.port (write routes only when API_TOKEN is set).
 *  Returns 0 or the server's error. */
int tr_api_start(tr_svc_t *svc);

#endif
