/* rt-backtest-fetch: rt-backtest's REST calls as a program of its own. The REST client brings
 * libcurl, OpenSSL and about 30 shared libraries that cost ~3 ms to load: more than a whole
 * backtest of 30k candles. rt-backtest therefore links none of them and runs this program
 * for --fetch, reading the candles (and the exchangeInfo reply) it prints.
 *
 * usage: rt-backtest-fetch URL SYMBOL INTERVAL SINCE_MS UNTIL_MS
 *        rt-backtest-fetch --exchange-info URL SYMBOL...
 *
 * Prints the closed candles (bt_fetch_klines) on stdout in the shared-data CSV format, prices
 * exact (rt_money_format), or the exchange's exchangeInfo reply for the symbols as it came,
 * and exits 0; on any error, one line on stderr (the words rt-backtest printed when it
 * fetched itself) and status 1. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/fetch.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/money.h"

static int parse_ms(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        return RT_EINVAL;
    *out = (int64_t)v;
    return RT_OK;
}

static int print_candles(const rt_candle_t *c, size_t n)
{
    if (fprintf(stdout, "%s\n", RT_CSV_CANDLE_HEADER) < 0)
        return RT_EIO;
    for (size_t i = 0; i < n; i++) {
        char o[RT_MONEY_FMT_MAX], h[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX], cl[RT_MONEY_FMT_MAX],
            v[RT_MONEY_FMT_MAX];
        rt_money_format(c[i].open, o, sizeof o);
        rt_money_format(c[i].high, h, sizeof h);
        rt_money_format(c[i].low, l, sizeof l);
        rt_money_format(c[i].close, cl, sizeof cl);
        rt_money_format(c[i].volume, v, sizeof v);
        if (fprintf(stdout, "%" PRId64 ",%s,%s,%s,%s,%s\n", c[i].open_time, o, h, l, cl, v) < 0)
            return RT_EIO;
    }
    return fflush(stdout) == 0 ? RT_OK : RT_EIO;
}

static int exchange_info(const char *url, const char *const *symbols, size_t n)
{
    char *body = NULL;
    size_t len = 0;
    char why[512];
    why[0] = '\0';
    int rc = bt_fetch_exchange_info_json(url, symbols, n, &body, &len, why, sizeof why);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: %s (--no-filters runs without them)\n",
                why[0] ? why : rt_strerror(rc));
        return 1;
    }
    bool ok = fwrite(body, 1, len, stdout) == len && fflush(stdout) == 0;
    free(body);
    if (!ok) {
        fprintf(stderr, "rt-backtest: exchangeInfo: cannot write the reply\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--exchange-info") == 0) {
        if (rt_exrest_global_init() != RT_OK) {
            fprintf(stderr, "rt-backtest: cannot initialise libcurl\n");
            return 1;
        }
        return exchange_info(argv[2], (const char *const *)(argv + 3), (size_t)(argc - 3));
    }
    int64_t since = 0, until = 0;
    if (argc != 6 || parse_ms(argv[4], &since) != RT_OK || parse_ms(argv[5], &until) != RT_OK) {
        fprintf(stderr, "usage: rt-backtest-fetch URL SYMBOL INTERVAL SINCE_MS UNTIL_MS, or "
                        "--exchange-info URL SYMBOL... (run by rt-backtest --fetch)\n");
        return 2;
    }
    if (rt_exrest_global_init() != RT_OK) {
        fprintf(stderr, "rt-backtest: cannot initialise libcurl\n");
        return 1;
    }
    rt_candle_t *c = NULL;
    size_t n = 0;
    char why[512];
    why[0] = '\0';
    int rc = bt_fetch_klines(argv[1], argv[2], argv[3], since, until, &c, &n, why, sizeof why);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: %s\n", why[0] ? why : rt_strerror(rc));
        return 1;
    }
    rc = print_candles(c, n);
    free(c);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: fetch: cannot write the candles: %s\n", rt_strerror(rc));
        return 1;
    }
    return 0;
}
