/* Binance's payloads, byte for byte: the stream events (kline, miniTicker, trade,
 * serverShutdown), the combined-stream wrapper, and the REST kline row. Prices and quantities
 * are strings with 8 decimals; ids and times are numbers; keys in Binance's order; no spaces.
 * Every function appends to b and returns 0 or the buffer's sticky error. Pure. */
#ifndef SIM_PAYLOAD_H
#define SIM_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "klines.h"
#include "market.h"

/** {"e":"kline","E":..,"s":"BTCUSDC","k":{"t":..,"T":..,"s":..,"i":"1m","f":..,"L":..,"o":..,
 *  "c":..,"h":..,"l":..,"v":..,"n":..,"x":false,"q":..,"V":..,"Q":..,"B":"0"}} */
int sim_payload_kline(sim_buf_t *b, const char *symbol, sim_interval_t iv, const sim_kline_t *k,
                      bool closed, int64_t event_time);

/** {"e":"24hrMiniTicker","E":..,"s":..,"c":..,"o":..,"h":..,"l":..,"v":..,"q":..} */
int sim_payload_mini_ticker(sim_buf_t *b, const char *symbol, const sim_ticker24_t *t,
                            int64_t event_time);

/** {"e":"trade","E":..,"s":..,"t":..,"p":..,"q":..,"T":..,"m":true,"M":true} */
int sim_payload_trade(sim_buf_t *b, const char *symbol, const sim_trade_t *t, int64_t event_time);

/** {"e":"serverShutdown","E":..} */
int sim_payload_shutdown(sim_buf_t *b, int64_t event_time);

/** {"stream":"<stream>","data":<data>}: data is one JSON value (n bytes), stream a checked
 *  stream name (no quotes or backslashes). */
int sim_payload_combined(sim_buf_t *b, const char *stream, const char *data, size_t n);

/** One row of GET /api/v3/klines: [openTime,"open","high","low","close","volume",closeTime,
 *  "quoteVolume",trades,"takerBase","takerQuote","0"] */
int sim_payload_kline_row(sim_buf_t *b, const sim_kline_t *k);

#endif
