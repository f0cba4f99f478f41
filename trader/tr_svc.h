/* rt-trader's shell (not a public API): the context shared by main.c, service.c, store.c and
 * exec_demo.c. The trading logic belongs in the pure core (trader/core, tr_*.h); this shell
 * only moves data between Redis, PostgreSQL and that logic. */
#ifndef TR_SVC_H
#define TR_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/money.h"
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
    int trading_mode; /* tr_mode_t */
    rt_money_t trade_quantity;
    char demo_balances[512]; /* "USDC=10000,BTC=0" */
    rt_money_t demo_fee_rate;
    int64_t demo_slippage_bps;
    int port;
    char api_token[128];
    char consumer[64];
    char stream[128]; /* the signals stream, "signals" (tests use their own) */
    char fault[32];   /* test hook: "after_order_commit" kills the process at that point */
    char log_level[16];
    int64_t run_seconds; /* 0: until SIGTERM; else stop by itself after that long */
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
} tr_order_t;

/* A demo fill, computed by exec_demo.c. */
typedef struct {
    rt_money_t price;
    rt_money_t quantity;
    rt_money_t quote_quantity; /* price * quantity, fees apart */
    rt_money_t fee;            /* in the quote asset */
    char fee_asset[TR_ASSET_NAME_CAP];
} tr_exec_fill_t;

/* An open position as stored. */
typedef struct {
    int64_t id;
    rt_money_t entry_price;
    rt_money_t quantity;
    rt_money_t initial_quantity;
    rt_money_t fees;
} tr_store_position_t;

/* The service's one context. */
typedef struct {
    tr_svc_config_t cfg;
    rt_bus_t *bus;
    rt_db_t *db;
} tr_svc_t;

/* ---- exec_demo.c ---------------------------------------------------------------------- */

/** Splits symbol into base and quote by its quote suffix (USDC, USDT, FDUSD, BUSD, BTC, ETH,
 *  BNB, EUR, TRY). Returns 0, RT_EINVAL when no known quote ends it or nothing is left. */
int tr_exec_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote,
                         size_t quote_cap);

/** Computes the demo fill of a MARKET order at ref_price moved by slippage_bps against the
 *  taker, with fee_rate of the quote amount as fee (rounded up). Returns 0, RT_EINVAL on a
 *  non-positive quantity or price, RT_ERANGE on overflow; out written only on success. */
int tr_exec_demo_fill(const tr_order_t *o, int64_t slippage_bps, rt_money_t fee_rate,
                      tr_exec_fill_t *out);

/* ---- store.c (all SQL) -------------------------------------------------------------- */

/** Seeds balances from "ASSET=amount,..." when the balances table is empty. */
int tr_store_seed_balances(rt_db_t *db, const char *list);
/** Inserts the signal as pending; *inserted is false when its id was already recorded. */
int tr_store_signal_insert(rt_db_t *db, const rt_signal_t *s, const char *metadata_json, bool demo,
                           bool *inserted);
/** Sets a recorded signal's outcome ("accepted"/"rejected"), reason and order id. */
int tr_store_signal_outcome(rt_db_t *db, const char *id, const char *outcome, const char *code,
                            const char *reason, const char *coid);
/** Inserts the order row as PENDING (demo flag as given); writes o->id. */
int tr_store_order_insert(rt_db_t *db, tr_order_t *o, bool demo);
/** Free balance of asset, row locked FOR UPDATE; 0 when there is no row. */
int tr_store_balance_free(rt_db_t *db, const char *asset, rt_money_t *out);
/** Adds delta (may be negative) to asset's free balance, creating the row when absent;
 *  RT_EDB when it would go negative (the table's check). */
int tr_store_balance_add(rt_db_t *db, const char *asset, rt_money_t delta);
/** The open position on (symbol, strategy) (strategy "" = manual), locked; RT_ENOTFOUND. */
int tr_store_position_open_get(rt_db_t *db, const char *symbol, const char *strategy,
                               tr_store_position_t *out);
/** Opens a position from a BUY fill; writes its id. */
int tr_store_position_open(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f, int64_t *id);
/** Reduces / closes a position after a SELL fill (realized PnL and fees updated). */
int tr_store_position_reduce(rt_db_t *db, int64_t id, const tr_exec_fill_t *f, rt_money_t realized,
                             const char *reason);
/** Inserts one trade row (demo). */
int tr_store_trade_insert(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id);
/** Marks the order FILLED with its fill. */
int tr_store_order_filled(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id);
/** Marks the order REJECTED with error text. */
int tr_store_order_failed(rt_db_t *db, int64_t id, const char *error);
/** Loads up to cap orders left PENDING (demo ones when demo) with their reference price;
 *  *n gets how many. */
int tr_store_pending_orders(rt_db_t *db, bool demo, tr_order_t *out, size_t cap, size_t *n);
/** All balances as a JSON array text [{asset, free, locked, total}] (malloc'd, caller frees). */
int tr_store_balances_json(rt_db_t *db, char **out);

/* ---- service.c ---------------------------------------------------------------------- */

/** Connects, recovers (pending orders, pending stream entries) and runs the consumer loop
 *  until the stop flag. Returns 0 on a clean stop, a negative code when it cannot run. */
int tr_svc_run(tr_svc_t *svc);

#endif
