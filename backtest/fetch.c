/* Candles from REST klines: see fetch.h. */
#include "backtest/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/time.h"

int bt_fetch_klines(const char *base_url, const char *symbol, const char *interval,
                    int64_t since_ms, int64_t until_ms, rt_candle_t **out, size_t *count, char *err,
                    size_t cap)
{
    if (base_url == NULL || symbol == NULL || interval == NULL || out == NULL || count == NULL ||
        since_ms < 0 || until_ms <= since_ms) {
        snprintf(err, cap, "fetch: a symbol, an interval and --since < --until are needed");
        return RT_EINVAL;
    }
    rt_exrest_t *c = NULL;
    rt_exrest_params_t p;
    rt_exrest_response_t resp;
    rt_exrest_params_init(&p);
    rt_exrest_response_init(&resp);
    rt_candle_t *all = NULL;
    size_t n = 0, capn = 0;
    rt_exrest_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base_url;
    int rc = rt_exrest_new(&cfg, &c);
    if (rc != RT_OK) {
        snprintf(err, cap, "fetch: bad exchange URL %s", base_url);
        goto out;
    }
    int64_t next = since_ms;
    while (next < until_ms) {
        rt_exrest_params_cleanup(&p);
        rt_exrest_params_add(&p, "symbol", symbol);
        rt_exrest_params_add(&p, "interval", interval);
        rt_exrest_params_add_i64(&p, "startTime", next);
        rt_exrest_params_add_i64(&p, "endTime", until_ms - 1);
        rt_exrest_params_add_i64(&p, "limit", 1000);
        rc = rt_exrest_get(c, "/api/v3/klines", &p, false, &resp);
        if (rc != RT_OK) {
            snprintf(err, cap, "fetch: GET %s/api/v3/klines %s: %s (HTTP %ld%s%s)", base_url,
                     symbol, rt_strerror(rc), resp.status, resp.exchange_msg[0] ? ": " : "",
                     resp.exchange_msg);
            goto out;
        }
        rt_candle_t *page = NULL;
        size_t pn = 0;
        rc = rt_exparse_klines(resp.body, resp.body_len, symbol, interval, rt_time_now_ms(), &page,
                               &pn);
        if (rc != RT_OK) {
            snprintf(err, cap, "fetch: unreadable klines reply: %s", rt_strerror(rc));
            goto out;
        }
        size_t kept = 0;
        for (size_t i = 0; i < pn; i++) {
            const rt_candle_t *k = &page[i];
            if (!k->closed || k->open_time < next || k->open_time >= until_ms)
                continue;
            if (n == capn) {
                size_t nc = capn ? capn * 2 : 1024;
                rt_candle_t *grown = nc <= BT_FETCH_MAX ? realloc(all, nc * sizeof *grown) : NULL;
                if (grown == NULL) {
                    free(page);
                    rc = nc <= BT_FETCH_MAX ? RT_ENOMEM : RT_ETOOBIG;
                    snprintf(err, cap, "fetch: %s", rt_strerror(rc));
                    goto out;
                }
                all = grown;
                capn = nc;
            }
            all[n++] = *k;
            kept++;
        }
        free(page);
        if (kept == 0)
            break; /* nothing more (or only a forming candle) */
        next = all[n - 1].open_time + 1;
    }
    *out = all;
    *count = n;
    all = NULL;
    rc = RT_OK;
out:
    free(all);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_params_cleanup(&p);
    rt_exrest_free(c);
    return rc;
}
