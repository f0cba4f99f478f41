/* Candles from REST klines, filters from exchangeInfo: see fetch.h. */
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
    /* A candle is closed when its close time is before the exchange's clock, not ours: the
     * simulator's runs SIM_SPEED times faster (its candles are in our future). An exchange that
     * does not tell its time leaves the offset at 0 (our clock). */
    int64_t offset = 0;
    if (rt_exrest_sync_time(c) == RT_OK)
        offset = rt_exrest_time_offset(c);
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
        rc = rt_exparse_klines(resp.body, resp.body_len, symbol, interval,
                               rt_time_now_ms() + offset, &page, &pn);
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

int bt_fetch_exchange_info_json(const char *base_url, const char *const *symbols, size_t n,
                                char **body, size_t *len_out, char *err, size_t cap)
{
    if (base_url == NULL || symbols == NULL || n == 0 || n > 16 || body == NULL ||
        len_out == NULL) {
        snprintf(err, cap, "exchangeInfo: a URL and 1..16 symbols are needed");
        return RT_EINVAL;
    }
    char arr[16 * 24 + 8];
    size_t len = 0;
    arr[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(symbols[i]);
        if (k == 0 || k > 20 || strspn(symbols[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != k) {
            snprintf(err, cap, "exchangeInfo: bad symbol %s", symbols[i]);
            return RT_EINVAL;
        }
        int w = snprintf(arr + len, sizeof arr - len, "%s\"%s\"", i ? "," : "", symbols[i]);
        if (w < 0 || (size_t)w >= sizeof arr - len)
            return RT_EINVAL; /* cannot happen: 16 symbols of 20 fit */
        len += (size_t)w;
    }
    arr[len++] = ']';
    arr[len] = '\0';
    rt_exrest_t *c = NULL;
    rt_exrest_params_t p;
    rt_exrest_response_t resp;
    rt_exrest_params_init(&p);
    rt_exrest_response_init(&resp);
    rt_exrest_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base_url;
    int rc = rt_exrest_new(&cfg, &c);
    if (rc != RT_OK) {
        snprintf(err, cap, "exchangeInfo: bad exchange URL %s", base_url);
        goto out;
    }
    rc = rt_exrest_params_add(&p, "symbols", arr);
    if (rc == RT_OK)
        rc = rt_exrest_get(c, "/api/v3/exchangeInfo", &p, false, &resp);
    if (rc != RT_OK) {
        snprintf(err, cap, "exchangeInfo: GET %s/api/v3/exchangeInfo %s: %s (HTTP %ld%s%s)",
                 base_url, arr, rt_strerror(rc), resp.status, resp.exchange_msg[0] ? ": " : "",
                 resp.exchange_msg);
        goto out;
    }
    char *copy = malloc(resp.body_len + 1);
    if (copy == NULL) {
        rc = RT_ENOMEM;
        snprintf(err, cap, "exchangeInfo: out of memory");
        goto out;
    }
    memcpy(copy, resp.body, resp.body_len);
    copy[resp.body_len] = '\0';
    *body = copy;
    *len_out = resp.body_len;
out:
    rt_exrest_response_cleanup(&resp);
    rt_exrest_params_cleanup(&p);
    rt_exrest_free(c);
    return rc;
}

int bt_fetch_exchange_info(const char *base_url, const char *const *symbols, size_t n,
                           rt_exinfo_t *out, char *err, size_t cap)
{
    if (out == NULL) {
        snprintf(err, cap, "exchangeInfo: a URL and 1..16 symbols are needed");
        return RT_EINVAL;
    }
    char *body = NULL;
    size_t len = 0;
    int rc = bt_fetch_exchange_info_json(base_url, symbols, n, &body, &len, err, cap);
    if (rc == RT_OK)
        rc = bt_parse_exchange_info(body, len, base_url, out, err, cap);
    free(body);
    return rc;
}
