/* Exchange reply parsers on recorded payloads (tests/fixtures/binance/: the reference's
 * examples verbatim, plus realistic replies) and on malformed ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/exinfo.h"
#include "rt/exparse.h"
#include "rt_test.h"

static char *fixture(const char *name, size_t *len)
{
    char rel[256], path[1024];
    int n = snprintf(rel, sizeof rel, "tests/fixtures/binance/%s", name);
    assert_true(n > 0 && (size_t)n < sizeof rel);
    return rt_test_read_file(rt_test_source_path(path, sizeof path, rel), len);
}

static rt_money_t money(const char *s)
{
    rt_money_t v;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

/* ---- klines ---------------------------------------------------------------------------- */

static void test_klines_doc(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("klines_doc.json", &len);
    rt_candle_t *c = NULL;
    size_t n = 0;
    assert_int_equal(rt_exparse_klines(json, len, "BNBBTC", "1w", 1499644800000, &c, &n), RT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].symbol, "BNBBTC");
    assert_string_equal(c[0].interval, "1w");
    assert_int_equal(c[0].open_time, 1499040000000);
    assert_int_equal(c[0].close_time, 1499644799999);
    assert_int_equal(c[0].open, money("0.01634790"));
    assert_int_equal(c[0].high, money("0.80000000"));
    assert_int_equal(c[0].low, money("0.01575800"));
    assert_int_equal(c[0].close, money("0.01577100"));
    assert_int_equal(c[0].volume, money("148976.11427815"));
    assert_true(c[0].closed);
    free(c);

    /* the same kline seen while it forms: now is not after its close time */
    assert_int_equal(rt_exparse_klines(json, len, "BNBBTC", "1w", 1499644799999, &c, &n), RT_OK);
    assert_false(c[0].closed);
    free(c);
    free(json);
}

static void test_klines_realistic(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("klines_btcusdt_1m.json", &len);
    rt_candle_t *c = NULL;
    size_t n = 0;
    int64_t now = 1700000300000; /* inside the last minute */
    assert_int_equal(rt_exparse_klines(json, len, "BTCUSDT", "1m", now, &c, &n), RT_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        if (c[i].closed != (i < 4))
            fail_msg("row %zu closed=%d want %d", i, c[i].closed, i < 4);
        if (i > 0 && c[i].open_time != c[i - 1].open_time + 60000)
            fail_msg("row %zu open_time=%lld", i, (long long)c[i].open_time);
    }
    assert_int_equal(c[3].volume, 0); /* a minute without trades */
    assert_int_equal(c[2].low, money("37180"));
    assert_int_equal(c[4].close, money("37195.12"));
    free(c);
    free(json);

    /* an empty reply is a valid empty list */
    rt_candle_t sentinel;
    c = &sentinel;
    assert_int_equal(rt_exparse_klines("[]", 2, "BTCUSDT", "1m", now, &c, &n), RT_OK);
    assert_null(c);
    assert_int_equal(n, 0);
}

#define ROW_TAIL "\"2434.19\",308,\"1756.87\",\"28.46\",\"0\""

static void test_klines_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *json;
        int rc;
    } cases[] = {
        {"empty input", "", RT_EINVAL},
        {"not JSON", "klines", RT_EINVAL},
        {"truncated", "[[1499040000000,\"0.1\",\"0.2\"", RT_EINVAL},
        {"trailing garbage", "[] x", RT_EINVAL},
        {"error object instead of array", "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}",
         RT_EINVAL},
        {"row is an object", "[{}]", RT_EINVAL},
        {"row of 6", "[[1,\"1\",\"1\",\"1\",\"1\",\"1\"]]", RT_EINVAL},
        {"row of 11", "[[1,\"1\",\"1\",\"1\",\"1\",\"1\",2,\"0\",1,\"0\",\"0\"]]", RT_EINVAL},
        {"price as number",
         "[[1499040000000,0.0163479,\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"volume as number",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",148976,1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"open time as string",
         "[[\"1499040000000\",\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL
         "]]",
         RT_EINVAL},
        {"open time as real",
         "[[1499040000000.0,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"close time null",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",null," ROW_TAIL "]]", RT_EINVAL},
        {"close before open",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499040000000," ROW_TAIL "]]",
         RT_EINVAL},
        {"negative open time",
         "[[-60000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",-1," ROW_TAIL "]]", RT_EINVAL},
        {"exponent in price",
         "[[1499040000000,\"2e-2\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"nine decimals",
         "[[1499040000000,\"0.020000001\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL
         "]]",
         RT_EINVAL},
        {"empty price",
         "[[1499040000000,\"\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"negative volume",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"-1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"high below low",
         "[[1499040000000,\"0.02\",\"0.01\",\"0.8\",\"0.02\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"close above high",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.9\",\"1\",1499644799999," ROW_TAIL "]]",
         RT_EINVAL},
        {"volume beyond range",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"100000000000000\","
         "1499644799999," ROW_TAIL "]]",
         RT_ERANGE},
        {"open times not increasing",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499040059999," ROW_TAIL "],"
         "[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499040059999," ROW_TAIL "]]",
         RT_EINVAL},
        {"second row bad",
         "[[1499040000000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499040059999," ROW_TAIL "],"
         "[1499040060000,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1499040119999]]",
         RT_EINVAL},
        {"integer too big for JSON",
         "[[99999999999999999999999,\"0.02\",\"0.8\",\"0.01\",\"0.02\",\"1\",1," ROW_TAIL "]]",
         RT_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_candle_t sentinel;
        rt_candle_t *c = &sentinel; /* must stay untouched */
        size_t n = 77;
        int rc = rt_exparse_klines(cases[i].json, strlen(cases[i].json), "BNBBTC", "1m", INT64_MAX,
                                   &c, &n);
        if (rc != cases[i].rc || c != &sentinel || n != 77)
            fail_msg("%s: rc=%d want %d (out written: %d)", cases[i].name, rc, cases[i].rc,
                     c != &sentinel || n != 77);
    }
}

static void test_klines_bad_arguments(void **state)
{
    (void)state;
    rt_candle_t *c = NULL;
    size_t n = 0;
    assert_int_equal(rt_exparse_klines("[]", 2, "", "1m", 0, &c, &n), RT_EINVAL);
    assert_int_equal(rt_exparse_klines("[]", 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "1m", 0, &c, &n),
                     RT_EINVAL);
    assert_int_equal(rt_exparse_klines("[]", 2, "BTCUSDT", "1month!!", 0, &c, &n), RT_EINVAL);
    assert_int_equal(rt_exparse_klines("[]", 2, NULL, "1m", 0, &c, &n), RT_EINVAL);
    assert_int_equal(rt_exparse_klines("[]", 2, "BTCUSDT", "1m", 0, NULL, &n), RT_EINVAL);
    assert_int_equal(rt_exparse_klines(NULL, 2, "BTCUSDT", "1m", 0, &c, &n), RT_EINVAL);
}

static void test_huge_input(void **state)
{
    (void)state;
    rt_candle_t *c = NULL;
    size_t n = 0;

    /* more rows than any exchange sends in one reply */
    const char *row = "[1,\"1\",\"1\",\"1\",\"1\",\"1\",2,\"0\",1,\"0\",\"0\",\"0\"]";
    size_t rows = RT_EXPARSE_MAX_KLINES + 1, rowlen = strlen(row);
    char *big = malloc(rows * (rowlen + 1) + 2);
    assert_non_null(big);
    size_t pos = 0;
    big[pos++] = '[';
    for (size_t i = 0; i < rows; i++) {
        memcpy(big + pos, row, rowlen); /* same open time: the row cap must trip first */
        pos += rowlen;
        big[pos++] = i + 1 < rows ? ',' : ']';
    }
    assert_int_equal(rt_exparse_klines(big, pos, "BTCUSDT", "1m", 0, &c, &n), RT_ETOOBIG);
    free(big);

    /* more bytes than any reply may have: refused before parsing */
    size_t huge = RT_EXPARSE_MAX_INPUT + 1;
    big = malloc(huge);
    assert_non_null(big);
    memset(big, ' ', huge);
    big[0] = '[';
    big[huge - 1] = ']';
    assert_int_equal(rt_exparse_klines(big, huge, "BTCUSDT", "1m", 0, &c, &n), RT_ETOOBIG);
    rt_exinfo_t info;
    assert_int_equal(rt_exparse_exchange_info(big, huge, &info), RT_ETOOBIG);
    int64_t t;
    assert_int_equal(rt_exparse_server_time(big, huge, &t), RT_ETOOBIG);
    free(big);

    /* nesting deeper than jansson's limit is an error, not a stack overflow */
    size_t depth = 100000;
    big = malloc(2 * depth);
    assert_non_null(big);
    memset(big, '[', depth);
    memset(big + depth, ']', depth);
    assert_int_equal(rt_exparse_klines(big, 2 * depth, "BTCUSDT", "1m", 0, &c, &n), RT_EINVAL);
    free(big);
}

/* ---- exchangeInfo ---------------------------------------------------------------------- */

static void test_exchange_info_doc(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("exchangeinfo_doc.json", &len);
    rt_exinfo_t info;
    assert_int_equal(rt_exparse_exchange_info(json, len, &info), RT_OK);
    assert_int_equal(info.server_time, 1565246363776);
    assert_int_equal(info.count, 1);
    assert_int_equal(info.skipped, 0);
    const rt_symbol_info_t *s = rt_exinfo_find(&info, "ETHBTC");
    assert_non_null(s);
    assert_int_equal(s->status, RT_SYMBOL_TRADING);
    assert_string_equal(s->base_asset, "ETH");
    assert_string_equal(s->quote_asset, "BTC");
    assert_int_equal(s->base_precision, 8);
    assert_int_equal(s->quote_precision, 8);
    assert_true(s->spot_allowed);
    assert_true(s->quote_order_qty_market_allowed);
    assert_false(s->price.present);
    assert_false(s->lot.present);
    assert_false(s->market_lot.present);
    assert_false(s->notional.present);
    assert_false(s->min_notional.present);
    assert_null(rt_exinfo_find(&info, "BTCUSDT"));
    rt_exinfo_cleanup(&info);
    assert_null(info.symbols);
    rt_exinfo_cleanup(&info); /* twice is harmless */
    free(json);
}

static void test_exchange_info_realistic(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("exchangeinfo_spot.json", &len);
    rt_exinfo_t info;
    assert_int_equal(rt_exparse_exchange_info(json, len, &info), RT_OK);
    assert_int_equal(info.server_time, 1700000300123);
    assert_int_equal(info.count, 4);
    assert_int_equal(info.skipped, 1); /* the non-ASCII symbol */

    const rt_symbol_info_t *b = rt_exinfo_find(&info, "BTCUSDT");
    assert_non_null(b);
    assert_int_equal(b->status, RT_SYMBOL_TRADING);
    assert_true(b->price.present);
    assert_int_equal(b->price.min, money("0.01"));
    assert_int_equal(b->price.max, money("1000000"));
    assert_int_equal(b->price.step, money("0.01"));
    assert_true(b->lot.present);
    assert_int_equal(b->lot.min, money("0.00001"));
    assert_int_equal(b->lot.max, money("9000"));
    assert_int_equal(b->lot.step, money("0.00001"));
    assert_true(b->market_lot.present);
    assert_int_equal(b->market_lot.min, 0);
    assert_int_equal(b->market_lot.max, money("118.67898454"));
    assert_int_equal(b->market_lot.step, 0);
    assert_true(b->notional.present);
    assert_int_equal(b->notional.min_notional, money("5"));
    assert_int_equal(b->notional.max_notional, money("9000000"));
    assert_true(b->notional.apply_min_to_market);
    assert_false(b->notional.apply_max_to_market);
    assert_int_equal(b->notional.avg_price_mins, 5);
    assert_false(b->min_notional.present);

    const rt_symbol_info_t *e = rt_exinfo_find(&info, "ETHBTC");
    assert_non_null(e);
    assert_false(e->quote_order_qty_market_allowed);
    assert_false(e->notional.present);
    assert_true(e->min_notional.present);
    assert_int_equal(e->min_notional.min_notional, money("0.0001"));
    assert_true(e->min_notional.apply_to_market);
    assert_int_equal(e->min_notional.avg_price_mins, 1);
    assert_false(e->market_lot.present);

    const rt_symbol_info_t *s = rt_exinfo_find(&info, "SHIBUSDT");
    assert_non_null(s);
    assert_int_equal(s->status, RT_SYMBOL_HALT);
    assert_int_equal(s->base_precision, 2);
    assert_false(s->spot_allowed);              /* absent */
    assert_int_equal(s->lot.max, RT_MONEY_MAX); /* beyond our range: saturated */
    assert_int_equal(s->price.min, 1);

    const rt_symbol_info_t *n = rt_exinfo_find(&info, "NEWUSDT");
    assert_non_null(n);
    assert_int_equal(n->status, RT_SYMBOL_STATUS_OTHER);
    assert_string_equal(rt_symbol_status_name(n->status), "OTHER");
    rt_exinfo_cleanup(&info);
    free(json);
}

static void test_symbol_status(void **state)
{
    (void)state;
    static const char *names[] = {"TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rt_symbol_status_parse(names[i]), i);
        assert_string_equal(rt_symbol_status_name((rt_symbol_status_t)i), names[i]);
    }
    assert_int_equal(rt_symbol_status_parse("trading"), RT_SYMBOL_STATUS_OTHER);
    assert_int_equal(rt_symbol_status_parse(NULL), RT_SYMBOL_STATUS_OTHER);
}

/* One symbol around a filters array or a replaced symbol field. */
#define SYM_HEAD                                                                                   \
    "{\"serverTime\":1,\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","               \
    "\"baseAsset\":\"BTC\",\"quoteAsset\":\"USDT\","
#define PREC "\"baseAssetPrecision\":8,\"quoteAssetPrecision\":8,"
#define WITH_FILTER(f) SYM_HEAD PREC "\"filters\":[" f "]}]}"
#define PF                                                                                         \
    "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01\",\"maxPrice\":\"1000\",\"tickSize\":"   \
    "\"0.01\"}"

static void test_exchange_info_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *json;
        int rc;
    } cases[] = {
        {"not JSON", "<html>", RT_EINVAL},
        {"array root", "[]", RT_EINVAL},
        {"no serverTime", "{\"symbols\":[]}", RT_EINVAL},
        {"serverTime as string", "{\"serverTime\":\"1\",\"symbols\":[]}", RT_EINVAL},
        {"symbols not array", "{\"serverTime\":1,\"symbols\":{}}", RT_EINVAL},
        {"symbol entry not object", "{\"serverTime\":1,\"symbols\":[\"BTCUSDT\"]}", RT_EINVAL},
        {"duplicate key", "{\"serverTime\":1,\"serverTime\":2,\"symbols\":[]}", RT_EINVAL},
        {"status as number",
         "{\"serverTime\":1,\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":1,\"baseAsset\":"
         "\"BTC\",\"quoteAsset\":\"USDT\"," PREC "\"filters\":[]}]}",
         RT_EINVAL},
        {"missing quoteAsset",
         "{\"serverTime\":1,\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","
         "\"baseAsset\":\"BTC\"," PREC "\"filters\":[]}]}",
         RT_EINVAL},
        {"missing precision", SYM_HEAD "\"baseAssetPrecision\":8,\"filters\":[]}]}", RT_EINVAL},
        {"precision as string",
         SYM_HEAD "\"baseAssetPrecision\":\"8\",\"quoteAssetPrecision\":8,\"filters\":[]}]}",
         RT_EINVAL},
        {"precision 9",
         SYM_HEAD "\"baseAssetPrecision\":9,\"quoteAssetPrecision\":8,\"filters\":[]}]}",
         RT_EINVAL},
        {"spot flag as string", SYM_HEAD PREC "\"isSpotTradingAllowed\":\"true\",\"filters\":[]}]}",
         RT_EINVAL},
        {"no filters", SYM_HEAD PREC "\"x\":1}]}", RT_EINVAL},
        {"filters not array", SYM_HEAD PREC "\"filters\":{}}]}", RT_EINVAL},
        {"filter without type", WITH_FILTER("{\"minPrice\":\"0.01\"}"), RT_EINVAL},
        {"filter not object", WITH_FILTER("\"PRICE_FILTER\""), RT_EINVAL},
        {"tickSize as number",
         WITH_FILTER("{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01\",\"maxPrice\":"
                     "\"1000\",\"tickSize\":0.01}"),
         RT_EINVAL},
        {"minPrice missing",
         WITH_FILTER("{\"filterType\":\"PRICE_FILTER\",\"maxPrice\":\"1000\",\"tickSize\":"
                     "\"0.01\"}"),
         RT_EINVAL},
        {"negative minPrice",
         WITH_FILTER("{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"-0.01\",\"maxPrice\":"
                     "\"1000\",\"tickSize\":\"0.01\"}"),
         RT_EINVAL},
        {"stepSize beyond range",
         WITH_FILTER("{\"filterType\":\"LOT_SIZE\",\"minQty\":\"1\",\"maxQty\":\"10\","
                     "\"stepSize\":\"100000000000\"}"),
         RT_ERANGE},
        {"price filter twice", WITH_FILTER(PF "," PF), RT_EINVAL},
        {"LOT_SIZE stepSize missing",
         WITH_FILTER("{\"filterType\":\"LOT_SIZE\",\"minQty\":\"1\",\"maxQty\":\"10\"}"),
         RT_EINVAL},
        {"MARKET_LOT_SIZE maxQty null",
         WITH_FILTER("{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"0\",\"maxQty\":null,"
                     "\"stepSize\":\"0\"}"),
         RT_EINVAL},
        {"NOTIONAL without applyMinToMarket",
         WITH_FILTER("{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5\",\"maxNotional\":"
                     "\"9000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5}"),
         RT_EINVAL},
        {"NOTIONAL avgPriceMins as string",
         WITH_FILTER("{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5\",\"applyMinToMarket\":"
                     "true,\"maxNotional\":\"9000000\",\"applyMaxToMarket\":false,"
                     "\"avgPriceMins\":\"5\"}"),
         RT_EINVAL},
        {"MIN_NOTIONAL minNotional as number",
         WITH_FILTER("{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":10,\"applyToMarket\":"
                     "true,\"avgPriceMins\":5}"),
         RT_EINVAL},
        {"MIN_NOTIONAL applyToMarket as 1",
         WITH_FILTER("{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":\"10\",\"applyToMarket\":"
                     "1,\"avgPriceMins\":5}"),
         RT_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_exinfo_t info = {.count = 77};
        int rc = rt_exparse_exchange_info(cases[i].json, strlen(cases[i].json), &info);
        if (rc != cases[i].rc || info.count != 77 || info.symbols != NULL)
            fail_msg("%s: rc=%d want %d", cases[i].name, rc, cases[i].rc);
    }
    /* the filter the other cases corrupt is itself fine */
    const char *ok = WITH_FILTER(PF);
    rt_exinfo_t info;
    assert_int_equal(rt_exparse_exchange_info(ok, strlen(ok), &info), RT_OK);
    assert_int_equal(info.count, 1);
    assert_int_equal(info.symbols[0].price.step, money("0.01"));
    rt_exinfo_cleanup(&info);
    assert_int_equal(rt_exparse_exchange_info(ok, strlen(ok), NULL), RT_EINVAL);
}

/* ---- time, error body ------------------------------------------------------------------ */

static void test_server_time(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("time_doc.json", &len);
    int64_t t = 0;
    assert_int_equal(rt_exparse_server_time(json, len, &t), RT_OK);
    assert_int_equal(t, 1499827319559);
    free(json);

    static const char *bad[] = {"{}",
                                "{\"serverTime\":\"1499827319559\"}",
                                "{\"serverTime\":1.5e12}",
                                "{\"serverTime\":0}",
                                "{\"serverTime\":-5}",
                                "[1499827319559]",
                                "1499827319559",
                                ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 42;
        int rc = rt_exparse_server_time(bad[i], strlen(bad[i]), &t);
        if (rc != RT_EINVAL || t != 42)
            fail_msg("time %s: rc=%d t=%lld", bad[i], rc, (long long)t);
    }
}

static void test_error_body(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("error_doc.json", &len);
    int code = 0;
    char msg[RT_EXPARSE_MSG_CAP];
    assert_int_equal(rt_exparse_error(json, len, &code, msg, sizeof msg), RT_OK);
    assert_int_equal(code, -1121);
    assert_string_equal(msg, "Invalid symbol.");
    free(json);

    const char *lot = "{\"code\":-1013,\"msg\":\"Filter failure: LOT_SIZE\"}";
    char small[8];
    assert_int_equal(rt_exparse_error(lot, strlen(lot), &code, small, sizeof small), RT_OK);
    assert_int_equal(code, -1013);
    assert_string_equal(small, "Filter "); /* cut to the buffer */

    static const char *bad[] = {"<html><body>403 Forbidden</body></html>",
                                "{}",
                                "{\"code\":\"-1121\",\"msg\":\"x\"}",
                                "{\"code\":-1121}",
                                "{\"code\":-1121,\"msg\":5}",
                                "{\"code\":99999999999,\"msg\":\"x\"}",
                                "[]",
                                ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        code = 42;
        int rc = rt_exparse_error(bad[i], strlen(bad[i]), &code, msg, sizeof msg);
        if (rc != RT_EINVAL || code != 42)
            fail_msg("error body %s: rc=%d code=%d", bad[i], rc, code);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_klines_doc),
        cmocka_unit_test(test_klines_realistic),
        cmocka_unit_test(test_klines_malformed),
        cmocka_unit_test(test_klines_bad_arguments),
        cmocka_unit_test(test_huge_input),
        cmocka_unit_test(test_exchange_info_doc),
        cmocka_unit_test(test_exchange_info_realistic),
        cmocka_unit_test(test_symbol_status),
        cmocka_unit_test(test_exchange_info_malformed),
        cmocka_unit_test(test_server_time),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
