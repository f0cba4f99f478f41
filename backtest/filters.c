/* Exchange filters for a backtest from a saved or fetched exchangeInfo reply: see fetch.h.
 * Apart from fetch.c so that rt-backtest, which leaves the REST calls to rt-backtest-fetch,
 * does not link the REST client (libcurl, OpenSSL). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/fetch.h"
#include "rt/err.h"
#include "rt/exparse.h"

int bt_parse_exchange_info(const char *json, size_t len, const char *from, rt_exinfo_t *out,
                           char *err, size_t cap)
{
    int rc = rt_exparse_exchange_info(json, len, out);
    if (rc != RT_OK)
        snprintf(err, cap, "exchangeInfo: unreadable reply from %s: %s", from, rt_strerror(rc));
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
