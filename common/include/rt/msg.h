/* Codecs of every Redis bus message (ARCHITECTURE.md section 5; shapes in docs/MESSAGES.md).
 *
 * Parsing is strict: wrong type, missing required field, unknown enum value, non-finite or
 * out-of-range number, a money amount with more than 8 decimals, a broken rule (negative
 * quantity, high < low, ...), a string longer than its buffer, invalid UTF-8, trailing garbage
 * and a message over RT_MSG_MAX_LEN are refused, with an rt_msg_error_t naming the field and
 * the reason. Unknown extra fields are ignored (forward compatibility).
 *
 * Money is accepted as a JSON number or as a decimal string ("0.00100000", as the exchange
 * sends it) and always written as an exact JSON number. Times are integers, milliseconds since
 * the epoch (UTC).
 *
 * Formatting validates the struct with the same rules first (a message we would refuse is never
 * published) and writes one JSON value at the writer's current position: call rt_jsonw_reset
 * first for a standalone message, or nest it inside a larger document.
 *
 * Error codes of parse and validate: RT_EINVAL malformed JSON, wrong type, missing field,
 * unknown enum value, broken rule; RT_ERANGE number out of range (1e999, an amount beyond
 * rt_money_t, an integer beyond int64); RT_ETOOBIG message over RT_MSG_MAX_LEN, string longer
 * than its buffer, too many metadata entries or balances; RT_ENOMEM out of memory.
 *
 * No I/O, no global state: safe from any thread. */
#ifndef RT_MSG_H
#define RT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/money.h"
#include "rt/types.h"

/** Largest message accepted by a parser, in bytes; checked before the JSON is read. */
#define RT_MSG_MAX_LEN 65536

/** Buffer sizes (including the NUL); the rules are in docs/MESSAGES.md. */
#define RT_CLIENT_ID_CAP 40   /* Binance newClientOrderId: 1..36 of [.A-Z:/a-z0-9_-] */
#define RT_MSG_TEXT_CAP 256   /* an order's reason and error, the risk reason */
#define RT_EXIT_REASON_CAP 65 /* positions.exit_reason VARCHAR(64) */
#define RT_SERVICE_CAP 65     /* 1..64 printable ASCII without spaces, as rt_bus_log_attach */
#define RT_LOG_MODULE_CAP 64  /* a log line's module */
#define RT_LOG_MSG_CAP 4096   /* a log line's message: rt_log's longest */
#define RT_MSG_FIELD_CAP 64
#define RT_MSG_ERROR_CAP 192

/** Longest signal id (signals.id is VARCHAR(64)); rt_signal_t's buffer has room for more. */
#define RT_SIGNAL_ID_MAX 64

/** Why a message was refused. `field` is the path of the offending field ("volume",
 *  "metadata.rsi", "data.quantity", "[2].free"), "" for the message as a whole; `text` is a
 *  sentence for the log: "field 'volume': must be >= 0". */
typedef struct {
    char field[RT_MSG_FIELD_CAP];
    char text[RT_MSG_ERROR_CAP];
} rt_msg_error_t;

/* ---- enums and their wire names ---------------------------------------------------------- */

typedef enum { RT_ORDER_MARKET = 0, RT_ORDER_LIMIT = 1 } rt_order_type_t;

typedef enum {
    RT_ORDER_NEW = 0,
    RT_ORDER_PARTIALLY_FILLED = 1,
    RT_ORDER_FILLED = 2,
    RT_ORDER_CANCELED = 3,
    RT_ORDER_REJECTED = 4,
    RT_ORDER_EXPIRED = 5,
    RT_ORDER_PENDING = 6, /* recorded, not yet acknowledged by the exchange */
} rt_order_status_t;

typedef enum { RT_SOURCE_MANUAL = 0, RT_SOURCE_STRATEGY = 1 } rt_order_source_t;

typedef enum { RT_ROLE_MAKER = 0, RT_ROLE_TAKER = 1 } rt_trade_role_t;

typedef enum { RT_POSITION_OPEN = 0, RT_POSITION_CLOSED = 1 } rt_position_status_t;

/** Wire names ("BUY", "LIMIT", "PARTIALLY_FILLED", "strategy", "taker", "closed"): the text
 *  the database stores too, except the trade role, which 001_init keeps upper-case
 *  ("TAKER"). An out-of-range value gives "?". Never NULL. */
const char *rt_side_name(rt_side_t v);
const char *rt_order_type_name(rt_order_type_t v);
const char *rt_order_status_name(rt_order_status_t v);
const char *rt_order_source_name(rt_order_source_t v);
const char *rt_trade_role_name(rt_trade_role_t v);
const char *rt_position_status_name(rt_position_status_t v);

/** Parse a wire name (exact case). Return 0, or RT_EINVAL for any other text (and NULL);
 *  *out is written only on success. */
int rt_side_parse(const char *s, rt_side_t *out);
int rt_order_type_parse(const char *s, rt_order_type_t *out);
int rt_order_status_parse(const char *s, rt_order_status_t *out);
int rt_order_source_parse(const char *s, rt_order_source_t *out);
int rt_trade_role_parse(const char *s, rt_trade_role_t *out);
int rt_position_status_parse(const char *s, rt_position_status_t *out);

/** True when s is a symbol: 1..20 of [A-Z0-9]. */
bool rt_msg_symbol_valid(const char *s);

/** True when s is one of the exchange's kline intervals: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h
 *  12h 1d 3d 1w 1M. */
bool rt_msg_interval_valid(const char *s);

/* ---- trader:events ----------------------------------------------------------------------- */

/** An order as the orders table keeps it (db/migrations/001_init.sql). Row ids are int64
 *  (> 0); ids that are text at their origin (client order id, signal id) are strings.
 *  Optional values: 0 or "" = none (null on the wire). */
typedef struct {
    int64_t id; /* orders.id, > 0 */
    char client_order_id[RT_CLIENT_ID_CAP];
    int64_t exchange_order_id; /* the exchange's orderId; 0 until it acks (demo) */
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    rt_order_type_t type;
    rt_order_status_t status;
    rt_money_t quantity;              /* requested, base; 0 = given as quote_quantity */
    rt_money_t quote_quantity;        /* requested, quote; 0 = none */
    rt_money_t price;                 /* limit price; 0 for MARKET, > 0 for LIMIT */
    rt_money_t filled_quantity;       /* >= 0, <= quantity when given */
    rt_money_t filled_quote_quantity; /* >= 0 */
    rt_money_t avg_price;             /* 0 = nothing filled yet */
    rt_order_source_t source;
    char strategy[RT_NAME_CAP];   /* required when source is strategy */
    char signal_id[RT_ID_CAP];    /* "" = none */
    int64_t position_id;          /* 0 = none */
    char reason[RT_MSG_TEXT_CAP]; /* why it was placed (entry, stop_loss, ...); "" */
    char error[RT_MSG_TEXT_CAP];  /* why it failed; "" = none */
    bool demo;
    int64_t created_at;
    int64_t updated_at; /* >= created_at */
} rt_order_t;

/** A fill as the trades table keeps it. */
typedef struct {
    int64_t id;       /* trades.id, > 0 */
    int64_t order_id; /* orders.id; 0 = none */
    char client_order_id[RT_CLIENT_ID_CAP];
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    rt_order_status_t status;     /* PARTIALLY_FILLED or FILLED */
    rt_money_t price;             /* > 0 */
    rt_money_t quantity;          /* > 0 */
    rt_money_t quote_quantity;    /* >= 0 (price * quantity as executed) */
    rt_money_t fee;               /* >= 0 */
    char fee_asset[RT_ASSET_CAP]; /* "" = none (only when fee is 0) */
    rt_trade_role_t role;
    char strategy[RT_NAME_CAP]; /* "" = none (manual) */
    int64_t position_id;        /* 0 = none */
    int64_t exchange_trade_id;  /* 0 = none (demo) */
    bool demo;
    int64_t timestamp;
} rt_trade_t;

/** A position as the positions table keeps it. */
typedef struct {
    int64_t id; /* positions.id, > 0 */
    char symbol[RT_SYMBOL_CAP];
    char strategy[RT_NAME_CAP]; /* "" = none (manual) */
    rt_position_status_t status;
    rt_money_t entry_price;      /* > 0 */
    rt_money_t quantity;         /* still held: 0..initial_quantity */
    rt_money_t initial_quantity; /* > 0 */
    rt_money_t stop_loss;        /* 0 = none */
    rt_money_t take_profit;      /* 0 = none */
    bool trailing_active;
    rt_money_t highest_price; /* highest since opened; 0 = not tracked */
    rt_money_t trailing_stop; /* current trailing stop level; 0 = none */
    bool partial_taken;
    bool breakeven_armed;
    rt_money_t exit_price;   /* average of the exits; 0 = none */
    rt_money_t realized_pnl; /* quote, after fees; any sign */
    rt_money_t fees;         /* quote, >= 0 */
    bool demo;
    int64_t opened_at;
    int64_t closed_at;                    /* 0 while open; >= opened_at once closed */
    char exit_reason[RT_EXIT_REASON_CAP]; /* "" = none */
    int64_t updated_at;
} rt_position_t;

/** The risk manager's state. */
typedef struct {
    bool paused;                  /* new entries stopped by an operator */
    bool halted;                  /* stopped by a risk limit */
    char reason[RT_MSG_TEXT_CAP]; /* "" = none */
} rt_risk_t;

typedef enum {
    RT_EVENT_ORDER = 0,
    RT_EVENT_TRADE = 1,
    RT_EVENT_POSITION = 2,
    RT_EVENT_RISK = 3,
} rt_event_type_t;

/** One trader:events message: {"type":"order","data":{...}}. */
typedef struct {
    rt_event_type_t type;
    union {
        rt_order_t order;
        rt_trade_t trade;
        rt_position_t position;
        rt_risk_t risk;
    } u;
} rt_event_t;

/** Wire name of an event type ("order", "trade", "position", "risk"; "?" otherwise). */
const char *rt_event_type_name(rt_event_type_t v);

/* ---- account:balances, account:total_balance, logs:{service} ---------------------------- */

/** One asset's balance, all >= 0: total is free + locked (as the publisher computed it: not
 *  re-checked, see docs/MESSAGES.md); quote_value is total in the quote asset. */
typedef struct {
    char asset[RT_ASSET_CAP];
    rt_money_t free;
    rt_money_t locked;
    rt_money_t total;
    rt_money_t quote_value;
} rt_balance_t;

/** The account's value in one quote asset. */
typedef struct {
    rt_money_t total_quote; /* >= 0 */
    char asset[RT_ASSET_CAP];
} rt_total_balance_t;

/** One log line as rt_bus_log_attach publishes it on logs:{service}. */
typedef struct {
    int64_t ts;                     /* ms since the epoch */
    char service[RT_SERVICE_CAP];   /* 1..64 printable ASCII without spaces */
    rt_log_level_t level;           /* "DEBUG" | "INFO" | "WARN" | "ERROR" on the wire */
    char module[RT_LOG_MODULE_CAP]; /* "" = none */
    char msg[RT_LOG_MSG_CAP];       /* any text (the writer replaces invalid UTF-8) */
} rt_logline_t;

/* ---- parse / validate / format ------------------------------------------------------------
 *
 * parse(json, len, out, err): reads exactly len bytes (no NUL needed, nothing copied). Returns
 *   0 or a negative code (see the top of this file); *out is written only on success, *err
 *   (may be NULL) only on failure.
 * validate(v, err): the same rules as parse, on a struct: 0 or RT_EINVAL (a string not
 *   NUL-terminated within its buffer, a bad value), RT_ETOOBIG (too many entries); *err (may
 *   be NULL) only on failure.
 * format(w, v): validates, then writes one JSON value; returns 0, RT_EINVAL when v does not
 *   validate (nothing is written: call validate for the reason), or the writer's error. */

/** market:data:{SYMBOL}: {"symbol","interval","startTime","closeTime","open","high","low",
 *  "close","volume","closed"}. */
int rt_msg_candle_parse(const char *json, size_t len, rt_candle_t *out, rt_msg_error_t *err);
/** Checks a candle with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_candle_validate(const rt_candle_t *c, rt_msg_error_t *err);
/** Writes a candle as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_candle_format(rt_jsonw_t *w, const rt_candle_t *c);

/** market:ticker:{SYMBOL}: {"symbol","price","event_time"}. */
int rt_msg_ticker_parse(const char *json, size_t len, rt_ticker_t *out, rt_msg_error_t *err);
/** Checks a ticker with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_ticker_validate(const rt_ticker_t *t, rt_msg_error_t *err);
/** Writes a ticker as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_ticker_format(rt_jsonw_t *w, const rt_ticker_t *t);

/** analyze:signal and the signals stream: {"id","strategy","symbol","side","timestamp",
 *  "price"} plus optional "interval", "stop_loss", "take_profit", "metadata" (absent or null =
 *  none; format omits them when none). */
int rt_msg_signal_parse(const char *json, size_t len, rt_signal_t *out, rt_msg_error_t *err);
/** Checks a signal with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_signal_validate(const rt_signal_t *s, rt_msg_error_t *err);
/** Writes a signal as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_signal_format(rt_jsonw_t *w, const rt_signal_t *s);

/** trader:events: {"type":"order"|"trade"|"position"|"risk","data":{...}}. Every field of
 *  data is written; a value that is none is written as null. */
int rt_msg_event_parse(const char *json, size_t len, rt_event_t *out, rt_msg_error_t *err);
/** Checks a event with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_event_validate(const rt_event_t *ev, rt_msg_error_t *err);
/** Writes a event as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_event_format(rt_jsonw_t *w, const rt_event_t *ev);

/** account:balances: an array of {"asset","free","locked","total","quote_value"}. Parse
 *  writes up to cap entries into out and their number into *count (RT_ETOOBIG when the
 *  message holds more); out and *count are written only on success. Assets must be distinct. */
int rt_msg_balances_parse(const char *json, size_t len, rt_balance_t *out, size_t cap,
                          size_t *count, rt_msg_error_t *err);
/** Checks a balances with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_balances_validate(const rt_balance_t *b, size_t n, rt_msg_error_t *err);
/** Writes a balances as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_balances_format(rt_jsonw_t *w, const rt_balance_t *b, size_t n);

/** account:total_balance: {"total_quote","asset"}. */
int rt_msg_total_balance_parse(const char *json, size_t len, rt_total_balance_t *out,
                               rt_msg_error_t *err);
/** Checks a total balance with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_total_balance_validate(const rt_total_balance_t *t, rt_msg_error_t *err);
/** Writes a total balance as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_total_balance_format(rt_jsonw_t *w, const rt_total_balance_t *t);

/** logs:{service}: {"ts","service","level","module","msg"} (module optional). */
int rt_msg_logline_parse(const char *json, size_t len, rt_logline_t *out, rt_msg_error_t *err);
/** Checks a logline with the parse rules: 0, RT_EINVAL or RT_ETOOBIG, reason in *err. */
int rt_msg_logline_validate(const rt_logline_t *l, rt_msg_error_t *err);
/** Writes a logline as one JSON value: 0, RT_EINVAL (invalid, nothing written) or the
 *  writer's error. */
int rt_msg_logline_format(rt_jsonw_t *w, const rt_logline_t *l);

#endif
