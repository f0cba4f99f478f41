#include "rt/exchange.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rt/err.h"

const char *const rt_exchange_names[] = {"sim", "binance", "binance-testnet", NULL};

/* The override when set, else the default. */
static const char *choose(const char *override, const char *def)
{
    return override != NULL && override[0] != '\0' ? override : def;
}

int rt_exchange_urls(rt_exchange_t ex, int sim_port, const char *rest_override,
                     const char *ws_override, char *rest, size_t rest_cap, char *ws,
                     size_t ws_cap)
{
    char sim_rest[32], sim_ws[32];
    const char *r, *w;
    if (rest == NULL || rest_cap == 0 || (ws != NULL && ws_cap == 0))
        return RT_EINVAL;
    switch (ex) {
    case RT_EXCHANGE_SIM:
        snprintf(sim_rest, sizeof sim_rest, "http://127.0.0.1:%d", sim_port);
        snprintf(sim_ws, sizeof sim_ws, "ws://127.0.0.1:%d", sim_port);
        r = sim_rest;
        w = sim_ws;
        break;
    case RT_EXCHANGE_BINANCE:
        r = "https://api.binance.com";
        w = "wss://stream.binance.com:9443";
        break;
    case RT_EXCHANGE_TESTNET:
        r = "https://testnet.binance.vision";
        w = "wss://stream.testnet.binance.vision";
        break;
    default:
        return RT_EINVAL;
    }
    r = choose(rest_override, r);
    w = ws != NULL ? choose(ws_override, w) : NULL;
    bool bad_port = sim_port < 1 || sim_port > 65535;
    if (ex == RT_EXCHANGE_SIM && bad_port && (r == sim_rest || w == sim_ws))
        return RT_EINVAL;
    if (strlen(r) >= rest_cap || (w != NULL && strlen(w) >= ws_cap))
        return RT_ETOOBIG;
    memcpy(rest, r, strlen(r) + 1);
    if (w != NULL)
        memcpy(ws, w, strlen(w) + 1);
    return RT_OK;
}
