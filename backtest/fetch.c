/* Candles from REST klines, filters from exchangeInfo: see fetch.h. */
#include "backtest/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/time.h"

int bt_parse_time(const char *s, int64_t *out)
{
    if (s == NULL || out == NULL || *s == '\0')
        return RT_EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return RT_OK;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    char sep = 0, extra = 0;
    int n = sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%c", &y, &mo, &d, &sep, &h, &mi, &sec, &extra);
    if (!(n == 3 || ((n == 6 || n == 7) && (sep == 'T' || sep == ' '))))
        return RT_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 ||
        h < 0 || mi < 0 || sec < 0)
        return RT_EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return RT_EINVAL;
    *out = (int64_t)t * 1000;
    return RT_OK;
}

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

int bt_fetch_exchange_info(const char *base_url, const char *const *symbols, size_t n,
                           rt_exinfo_t *out, char *err, size_t cap)
{
    if (base_url == NULL || symbols == NULL || n == 0 || n > 16 || out == NULL) {
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
    rc = rt_exparse_exchange_info(resp.body, resp.body_len, out);
    if (rc != RT_OK)
        snprintf(err, cap, "exchangeInfo: unreadable reply from %s: %s", base_url, rt_strerror(rc));
out:
    rt_exrest_response_cleanup(&resp);
    rt_exrest_params_cleanup(&p);
    rt_exrest_free(c);
    return rc;
}

int bt_load_exchange_info(const char *path, rt_exinfo_t *out, char *err, size_t cap)
{
    if (path == NULL || out == NULL) {
        snprintf(err, cap, "exchangeInfo: no file");
        return RT_EINVAL;
    }
    char *buf = NULL;
    size_t len = 0;
    int rc = RT_EIO;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        char why[128];
        if (strerror_r(errno, why, sizeof why) != 0)
            snprintf(why, sizeof why, "error %d", errno);
        snprintf(err, cap, "--exchange-info %s: %s", path, why);
        return RT_EIO;
    }
    size_t bcap = 0;
    for (;;) {
        if (len == bcap) {
            size_t nc = bcap ? bcap * 2 : 65536;
            if (bcap >= RT_EXPARSE_MAX_INPUT) {
                rc = RT_ETOOBIG;
                snprintf(err, cap, "--exchange-info %s: larger than %zu bytes", path,
                         (size_t)RT_EXPARSE_MAX_INPUT);
                goto out;
            }
            char *g = realloc(buf, nc + 1);
            if (g == NULL) {
                rc = RT_ENOMEM;
                snprintf(err, cap, "--exchange-info %s: out of memory", path);
                goto out;
            }
            buf = g;
            bcap = nc;
        }
        size_t got = fread(buf + len, 1, bcap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, cap, "--exchange-info %s: read error", path);
                goto out;
            }
            break;
        }
    }
    buf[len] = '\0';
    rc = rt_exparse_exchange_info(buf, len, out);
    if (rc != RT_OK)
        snprintf(err, cap,
                 "--exchange-info %s: not an exchangeInfo reply (%s; the reason is logged "
                 "under exparse)",
                 path, rt_strerror(rc));
out:
    free(buf);
    fclose(f);
    return rc;
}

int bt_filters_for(const rt_exinfo_t *info, const char *symbol, tr_filters_t *out, char *err,
                   size_t cap)
{
    if (info == NULL || symbol == NULL || out == NULL)
        return RT_EINVAL;
    const rt_symbol_info_t *si = rt_exinfo_find(info, symbol);
    if (si == NULL) {
        snprintf(err, cap, "exchangeInfo lists no %s (%zu symbols)", symbol, info->count);
        return RT_ENOTFOUND;
    }
    tr_filters_t f;
    int rc = tr_filters_from_symbol_info(si, &f);
    if (rc != RT_OK) {
        snprintf(err, cap, "exchangeInfo of %s: unusable (%s)", symbol, rt_strerror(rc));
        return rc;
    }
    *out = f;
    return RT_OK;
}
