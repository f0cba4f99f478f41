/* Which exchange a program talks to, and where it is: the one place that turns EXCHANGE
 * (sim, binance, binance-testnet), SIM_PORT and the *_URL overrides into base URLs, so every
 * program (gateway, analyzer, trader, backtest) reaches the same market. Pure: no I/O. */
#ifndef RT_EXCHANGE_H
#define RT_EXCHANGE_H

#include <stddef.h>

/* The order is the one of the EXCHANGE choices in every config table. */
typedef enum {
    RT_EXCHANGE_SIM = 0,     /* rt-exchange-sim on 127.0.0.1:<sim_port> */
    RT_EXCHANGE_BINANCE = 1, /* api.binance.com, stream.binance.com:9443 */
    RT_EXCHANGE_TESTNET = 2, /* testnet.binance.vision */
} rt_exchange_t;

/* The EXCHANGE choices in rt_exchange_t's order, NULL-terminated (for RT_CONFIG_ENUM). */
extern const char *const rt_exchange_names[];

/** The REST base URL (rest, rest_cap) and, when ws is not NULL, the WebSocket base URL
 *  (ws, ws_cap) of exchange ex: the override when it is non-empty, else the one ex implies
 *  (sim: http:// and ws://127.0.0.1:<sim_port>). Returns 0; RT_EINVAL on a NULL rest, an
 *  unknown ex, or sim_port outside 1-65535 when the sim's URL is needed; RT_ETOOBIG when a URL
 *  does not fit its buffer. Nothing is written on error. */
int rt_exchange_urls(rt_exchange_t ex, int sim_port, const char *rest_override,
                     const char *ws_override, char *rest, size_t rest_cap, char *ws,
                     size_t ws_cap);

#endif
