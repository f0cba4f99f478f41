/* Plain value types shared by every part: a candle, a ticker, a signal. Money fields are
 * fixed-point (rt/money.h); times are milliseconds since the epoch (UTC). */
#ifndef RT_TYPES_H
#define RT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"

/** Buffer sizes (including the NUL). A symbol is 1..20 upper-case letters or digits. */
#define RT_SYMBOL_CAP 24
#define RT_INTERVAL_CAP 8
#define RT_ID_CAP 72
#define RT_NAME_CAP 40
/** An asset name ("BTC", "USDC"): 1..20 of [A-Z0-9] as the exchange may list them; our
 *  books and messages accept 1..RT_ASSET_MAX_LEN (the database's limit). */
#define RT_ASSET_CAP 24
#define RT_ASSET_MAX_LEN 16

typedef enum { RT_SIDE_BUY = 0, RT_SIDE_SELL = 1 } rt_side_t;

/** A kline: every update of the forming candle, and the final one (closed = true). */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char interval[RT_INTERVAL_CAP]; /* "1m", "5m", ... */
    int64_t open_time;              /* "startTime" */
    int64_t close_time;             /* "closeTime" */
    rt_money_t open, high, low, close, volume;
    bool closed;
} rt_candle_t;

/** The latest price of a symbol (miniTicker close). */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_money_t price;
    int64_t event_time;
} rt_ticker_t;

#define RT_SIGNAL_META_MAX 16
#define RT_META_KEY_CAP 32

/** One indicator value a strategy attaches to its signal (metadata). */
typedef struct {
    char key[RT_META_KEY_CAP];
    double value;
} rt_meta_t;

/** A strategy's decision. stop_loss and take_profit are 0 when the strategy has none. */
typedef struct {
    char id[RT_ID_CAP]; /* deterministic: strategy, symbol, interval, candle open time */
    char strategy[RT_NAME_CAP];
    char symbol[RT_SYMBOL_CAP];
    char interval[RT_INTERVAL_CAP]; /* may be empty when not known */
    rt_side_t side;
    int64_t timestamp; /* the candle's open time */
    rt_money_t price;
    rt_money_t stop_loss;
    rt_money_t take_profit;
    size_t meta_count;
    rt_meta_t meta[RT_SIGNAL_META_MAX];
} rt_signal_t;

#endif
