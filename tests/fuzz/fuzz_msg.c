/* libFuzzer target for every bus message parser (built only with clang; see CMakeLists.txt).
 *
 * For any input: no parser may crash, leak or hit undefined behaviour; and whatever a parser
 * accepts must format again (validate agrees with parse), as valid JSON that the same parser
 * reads back. The one allowed refusal on the way back is RT_ERANGE: an amount at the very top
 * of the range formats as a JSON number that rounds beyond it (docs/MESSAGES.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/jsonw.h"
#include "rt/msg.h"

#define BALANCES_CAP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, int rc, const char *text)
{
    fprintf(stderr, "fuzz_msg: %s: rc=%d (%s) %s\n", what, rc, rt_strerror(rc), text);
    abort();
}

/* The formatted text must be valid JSON and parse back with the same parser. */
static void check_back(const char *what, const rt_jsonw_t *w, int rc_format,
                       int (*reparse)(const char *, size_t, void *, rt_msg_error_t *), void *tmp)
{
    if (rc_format != RT_OK)
        die(what, rc_format, "accepted by parse, refused by format");
    json_error_t je;
    json_t *j = json_loadb(rt_jsonw_data(w), rt_jsonw_len(w), 0, &je);
    if (j == NULL)
        die(what, RT_EINVAL, je.text);
    json_decref(j);
    rt_msg_error_t err;
    int rc = reparse(rt_jsonw_data(w), rt_jsonw_len(w), tmp, &err);
    if (rc != RT_OK && rc != RT_ERANGE)
        die(what, rc, err.text);
}

static int reparse_candle(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_candle_parse(j, n, o, e);
}
static int reparse_ticker(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_ticker_parse(j, n, o, e);
}
static int reparse_signal(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_signal_parse(j, n, o, e);
}
static int reparse_event(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_event_parse(j, n, o, e);
}
static int reparse_balances(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    size_t count;
    return rt_msg_balances_parse(j, n, o, BALANCES_CAP, &count, e);
}
static int reparse_total(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_total_balance_parse(j, n, o, e);
}
static int reparse_logline(const char *j, size_t n, void *o, rt_msg_error_t *e)
{
    return rt_msg_logline_parse(j, n, o, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    static union {
        rt_candle_t candle;
        rt_ticker_t ticker;
        rt_signal_t signal;
        rt_event_t event;
        rt_balance_t balances[BALANCES_CAP];
        rt_total_balance_t total;
        rt_logline_t logline;
    } v, back;
    rt_msg_error_t err;
    rt_jsonw_t w;
    rt_jsonw_init(&w);

    if (rt_msg_candle_parse(json, size, &v.candle, &err) == RT_OK)
        check_back("candle", &w, rt_msg_candle_format(&w, &v.candle), reparse_candle, &back);
    rt_jsonw_reset(&w);
    if (rt_msg_ticker_parse(json, size, &v.ticker, &err) == RT_OK)
        check_back("ticker", &w, rt_msg_ticker_format(&w, &v.ticker), reparse_ticker, &back);
    rt_jsonw_reset(&w);
    if (rt_msg_signal_parse(json, size, &v.signal, &err) == RT_OK)
        check_back("signal", &w, rt_msg_signal_format(&w, &v.signal), reparse_signal, &back);
    rt_jsonw_reset(&w);
    if (rt_msg_event_parse(json, size, &v.event, &err) == RT_OK)
        check_back("event", &w, rt_msg_event_format(&w, &v.event), reparse_event, &back);
    rt_jsonw_reset(&w);
    size_t n;
    if (rt_msg_balances_parse(json, size, v.balances, BALANCES_CAP, &n, &err) == RT_OK)
        check_back("balances", &w, rt_msg_balances_format(&w, v.balances, n), reparse_balances,
                   &back);
    rt_jsonw_reset(&w);
    if (rt_msg_total_balance_parse(json, size, &v.total, &err) == RT_OK)
        check_back("total", &w, rt_msg_total_balance_format(&w, &v.total), reparse_total, &back);
    rt_jsonw_reset(&w);
    if (rt_msg_logline_parse(json, size, &v.logline, &err) == RT_OK)
        check_back("logline", &w, rt_msg_logline_format(&w, &v.logline), reparse_logline, &back);

    /* the writer's string escaping over arbitrary bytes: always valid JSON */
    rt_jsonw_reset(&w);
    rt_jsonw_string_n(&w, json, size < 4096 ? size : 4096);
    json_error_t je;
    json_t *j =
        json_loadb(rt_jsonw_data(&w), rt_jsonw_len(&w), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (j == NULL)
        die("jsonw string", RT_EINVAL, je.text);
    json_decref(j);
    rt_jsonw_cleanup(&w);
    return 0;
}
