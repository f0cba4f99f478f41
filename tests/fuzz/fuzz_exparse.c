/* libFuzzer target for the exchange's REST replies (rt/exparse.h): every input goes through
 * all four parsers (klines, exchangeInfo, server time, error body). Built only with clang.
 *
 * Properties, for any input: no crash, leak or undefined behaviour; a rejected reply leaves
 * every output untouched; accepted klines keep the documented invariants (increasing open
 * times, low <= open/close <= high, close time after open time) and, written back as the
 * exchange's JSON, parse to the same candles, and are what jansson reads in the reply
 * (row i's open time, prices, volume and close time); an accepted exchangeInfo names only symbols
 * of 1..20 upper-case letters or digits with precisions 0..8, counts every entry of the reply's
 * symbols array as parsed or skipped, and keeps the reply's serverTime and each symbol's
 * PRICE_FILTER tickSize and LOT_SIZE stepSize; an error message is always
 * NUL-terminated within its cap. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/exinfo.h"
#include "rt/exparse.h"
#include "rt/log.h"
#include "rt/money.h"
#include "rt/types.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS INT64_C(1700000000000)

static void die(const char *what)
{
    fprintf(stderr, "fuzz_exparse: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR); /* rejected replies log at WARN: keep the run quiet */
    return 0;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* Appends printf text to a growing buffer; aborts on failure (a harness fault). */
static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("vsnprintf failed");
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        size_t bigger = (*cap + (size_t)n + 1) * 2;
        char *p = realloc(*buf, bigger);
        if (p == NULL)
            die("out of memory");
        *buf = p;
        *cap = bigger;
    }
}

/* Field by field: padding and the bytes after a name's NUL are not part of a candle. */
static bool candle_eq(const rt_candle_t *a, const rt_candle_t *b)
{
    return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->interval, b->interval) == 0 &&
           a->open_time == b->open_time && a->close_time == b->close_time && a->open == b->open &&
           a->high == b->high && a->low == b->low && a->close == b->close &&
           a->volume == b->volume && a->closed == b->closed;
}

/* Candle i must be row i of the reply as jansson reads it. */
static void check_rows(const char *json, size_t size, const rt_candle_t *c, size_t count)
{
    json_t *root = json_loadb(json, size, 0, NULL);
    if (!json_is_array(root) || json_array_size(root) != count)
        die("klines: candle count differs from the reply's rows");
    for (size_t i = 0; i < count; i++) {
        const json_t *row = json_array_get(root, i);
        const rt_candle_t *k = &c[i];
        const rt_money_t want[5] = {k->open, k->high, k->low, k->close, k->volume};
        if (!json_is_array(row) || json_array_size(row) < 12)
            die("klines: accepted a row that is not an array of 12");
        const json_t *t0 = json_array_get(row, 0), *t6 = json_array_get(row, 6);
        if (!json_is_integer(t0) || json_integer_value(t0) != k->open_time ||
            !json_is_integer(t6) || json_integer_value(t6) != k->close_time)
            die("klines: a time differs from its row");
        for (size_t f = 0; f < 5; f++) {
            const json_t *v = json_array_get(row, f + 1);
            rt_money_t m;
            if (!json_is_string(v) ||
                rt_money_parse_n(json_string_value(v), json_string_length(v), &m) != RT_OK ||
                m != want[f])
                die("klines: a price or volume differs from its row");
        }
    }
    json_decref(root);
}

static void check_klines(const char *json, size_t size)
{
    rt_candle_t *const sentinel = (rt_candle_t *)(uintptr_t)0x1;
    rt_candle_t *c = sentinel;
    size_t count = 77;
    int rc = rt_exparse_klines(json, size, "BTCUSDT", "1m", NOW_MS, &c, &count);
    if (rc != RT_OK) {
        if (c != sentinel || count != 77)
            die("klines: rejected reply wrote an output");
        return;
    }
    if ((count == 0) != (c == NULL))
        die("klines: count and array disagree");
    for (size_t i = 0; i < count; i++) {
        const rt_candle_t *k = &c[i];
        if (strcmp(k->symbol, "BTCUSDT") != 0 || strcmp(k->interval, "1m") != 0)
            die("klines: symbol or interval not copied");
        if (k->close_time <= k->open_time)
            die("klines: close time not after open time");
        if (k->low > k->open || k->low > k->close || k->high < k->open || k->high < k->close)
            die("klines: prices outside low..high");
        if (k->low < 0 || k->volume < 0)
            die("klines: negative price or volume");
        if (i > 0 && k->open_time <= c[i - 1].open_time)
            die("klines: open times not increasing");
        if (k->closed != (k->close_time < NOW_MS))
            die("klines: closed flag does not follow the close time");
    }
    check_rows(json, size, c, count);
    /* written back as the exchange writes it, the reply parses to the same candles */
    size_t len = 0, cap = 256;
    char *out = malloc(cap);
    if (out == NULL)
        die("out of memory");
    put(&out, &len, &cap, "[");
    for (size_t i = 0; i < count; i++) {
        const rt_candle_t *k = &c[i];
        char o[RT_MONEY_FMT_MAX], h[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX], cl[RT_MONEY_FMT_MAX],
            v[RT_MONEY_FMT_MAX];
        rt_money_format(k->open, o, sizeof o);
        rt_money_format(k->high, h, sizeof h);
        rt_money_format(k->low, l, sizeof l);
        rt_money_format(k->close, cl, sizeof cl);
        rt_money_format(k->volume, v, sizeof v);
        put(&out, &len, &cap,
            "%s[%" PRId64 ",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",%" PRId64
            ",\"0\",0,\"0\",\"0\",\"0\"]",
            i ? "," : "", k->open_time, o, h, l, cl, v, k->close_time);
    }
    put(&out, &len, &cap, "]");
    rt_candle_t *c2 = NULL;
    size_t count2 = 0;
    if (rt_exparse_klines(out, len, "BTCUSDT", "1m", NOW_MS, &c2, &count2) != RT_OK)
        die("klines: written-back reply refused");
    bool same = count2 == count;
    for (size_t i = 0; same && i < count; i++)
        same = candle_eq(&c[i], &c2[i]);
    if (!same)
        die("klines: written-back reply parses differently");
    free(c2);
    free(out);
    free(c);
}

/* The money text of filter `type`'s `field` in a symbol entry, as rt_money_parse reads it;
 * false when the entry has no such filter. */
static bool filter_money(const json_t *entry, const char *type, const char *field, rt_money_t *out)
{
    const json_t *filters = json_object_get(entry, "filters");
    for (size_t i = 0; i < json_array_size(filters); i++) {
        const json_t *f = json_array_get(filters, i);
        const json_t *t = json_object_get(f, "filterType");
        if (!json_is_string(t) || strcmp(json_string_value(t), type) != 0)
            continue;
        const json_t *v = json_object_get(f, field);
        if (!json_is_string(v) ||
            rt_money_parse_n(json_string_value(v), json_string_length(v), out) != RT_OK)
            die("exchangeInfo: accepted a filter whose field is not money text");
        return true;
    }
    return false;
}

/* The parsed info against jansson's reading of the reply. */
static void check_info_json(const char *json, size_t size, const rt_exinfo_t *info)
{
    json_t *root = json_loadb(json, size, 0, NULL);
    const json_t *symbols = json_object_get(root, "symbols");
    const json_t *st = json_object_get(root, "serverTime");
    if (!json_is_integer(st) || json_integer_value(st) != info->server_time)
        die("exchangeInfo: serverTime differs from the reply");
    if (!json_is_array(symbols) || json_array_size(symbols) != info->count + info->skipped)
        die("exchangeInfo: parsed + skipped is not the number of symbols");
    /* parsed symbols keep the reply's order: match each with the next entry of its name and
     * assets (a skipped entry may share the name, never the valid assets) */
    size_t j = 0;
    for (size_t i = 0; i < info->count; i++) {
        const rt_symbol_info_t *s = &info->symbols[i];
        const json_t *entry = NULL;
        for (; j < json_array_size(symbols) && entry == NULL; j++) {
            const json_t *e = json_array_get(symbols, j);
            const json_t *name = json_object_get(e, "symbol");
            const json_t *base = json_object_get(e, "baseAsset");
            const json_t *quote = json_object_get(e, "quoteAsset");
            if (json_is_string(name) && strcmp(json_string_value(name), s->symbol) == 0 &&
                json_is_string(base) && strcmp(json_string_value(base), s->base_asset) == 0 &&
                json_is_string(quote) && strcmp(json_string_value(quote), s->quote_asset) == 0)
                entry = e;
        }
        if (entry == NULL)
            die("exchangeInfo: a parsed symbol is not in the reply, or out of order");
        rt_money_t m;
        if (filter_money(entry, "PRICE_FILTER", "tickSize", &m) != s->price.present ||
            (s->price.present && m != s->price.step))
            die("exchangeInfo: PRICE_FILTER tickSize differs from the reply");
        if (filter_money(entry, "LOT_SIZE", "stepSize", &m) != s->lot.present ||
            (s->lot.present && m != s->lot.step))
            die("exchangeInfo: LOT_SIZE stepSize differs from the reply");
    }
    json_decref(root);
}

static void check_exchange_info(const char *json, size_t size)
{
    rt_exinfo_t info, before;
    memset(&info, 0x5a, sizeof info);
    before = info;
    int rc = rt_exparse_exchange_info(json, size, &info);
    if (rc != RT_OK) {
        if (memcmp(&info, &before, sizeof info) != 0)
            die("exchangeInfo: rejected reply wrote the output");
        return;
    }
    if (info.count > 0 && info.symbols == NULL)
        die("exchangeInfo: symbols missing");
    for (size_t i = 0; i < info.count; i++) {
        const rt_symbol_info_t *s = &info.symbols[i];
        if (!name_ok(s->symbol) || !name_ok(s->base_asset) || !name_ok(s->quote_asset))
            die("exchangeInfo: a name outside 1..20 upper-case letters or digits");
        if (s->base_precision < 0 || s->base_precision > 8 || s->quote_precision < 0 ||
            s->quote_precision > 8)
            die("exchangeInfo: precision outside 0..8");
        if (rt_exinfo_find(&info, s->symbol) == NULL)
            die("exchangeInfo: a parsed symbol is not found");
        (void)rt_symbol_status_name(s->status);
    }
    check_info_json(json, size, &info);
    rt_exinfo_cleanup(&info);
}

static void check_server_time(const char *json, size_t size)
{
    int64_t t = -77;
    int rc = rt_exparse_server_time(json, size, &t);
    if (rc != RT_OK && t != -77)
        die("server time: rejected reply wrote the output");
    if (rc == RT_OK && t <= 0)
        die("server time: accepted a time that is not positive");
}

static void check_error(const char *json, size_t size)
{
    char msg[17];
    memset(msg, 'x', sizeof msg);
    int code = -77;
    int rc = rt_exparse_error(json, size, &code, msg, 16);
    if (rc != RT_OK) {
        if (code != -77 || msg[0] != 'x')
            die("error body: rejected body wrote an output");
        return;
    }
    if (memchr(msg, '\0', 16) == NULL || msg[16] != 'x')
        die("error body: message not terminated within its cap");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    check_klines(json, size);
    check_exchange_info(json, size);
    check_server_time(json, size);
    check_error(json, size);
    return 0;
}
