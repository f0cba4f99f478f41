/* libFuzzer target for the gateway's market-stream frames (gateway/include/gw/parse.h): every
 * text frame the exchange's WebSocket sends goes through gw_parse_frame. Built only with
 * clang; see CMakeLists.txt.
 *
 * Properties, for any input: no crash, leak or undefined behaviour; a refused frame has one
 * named kind ("oversized" exactly for an empty frame or one past GW_FRAME_MAX) and a NUL-terminated
 * reason; an accepted kline or ticker is of a symbol we follow, a valid candle or price, and,
 * written back as the exchange writes it (combined stream), parses to the same event. */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/candles.h"
#include "gw/parse.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/money.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gw_symtab_t g_tab;  /* set once at start, read-only afterwards */
static gw_interval_t g_iv; /* (fuzzer fixture, not library state) */

static void die(const char *what)
{
    fprintf(stderr, "fuzz_gwframe: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR);
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "BNBBTC", "SOLUSDC"};
    if (gw_symtab_init(&g_tab, syms, 4) != RT_OK || gw_interval_parse("1m", &g_iv) != RT_OK)
        die("fixture setup failed");
    return 0;
}

static bool candle_eq(const rt_candle_t *a, const rt_candle_t *b)
{
    return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->interval, b->interval) == 0 &&
           a->open_time == b->open_time && a->close_time == b->close_time && a->open == b->open &&
           a->high == b->high && a->low == b->low && a->close == b->close &&
           a->volume == b->volume && a->closed == b->closed;
}

/* Writes ev back as a combined-stream frame; returns its length. */
static size_t write_back(const gw_event_t *ev, char *buf, size_t cap)
{
    const char *sym = gw_symtab_name(&g_tab, ev->sym);
    char lower[RT_SYMBOL_CAP];
    size_t i = 0;
    for (; sym[i] != '\0' && i + 1 < sizeof lower; i++)
        lower[i] = (sym[i] >= 'A' && sym[i] <= 'Z') ? (char)(sym[i] - 'A' + 'a') : sym[i];
    lower[i] = '\0';
    int n;
    if (ev->kind == GW_EV_KLINE) {
        const rt_candle_t *c = &ev->candle;
        char o[RT_MONEY_FMT_MAX], h[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX], cl[RT_MONEY_FMT_MAX],
            v[RT_MONEY_FMT_MAX];
        rt_money_format(c->open, o, sizeof o);
        rt_money_format(c->high, h, sizeof h);
        rt_money_format(c->low, l, sizeof l);
        rt_money_format(c->close, cl, sizeof cl);
        rt_money_format(c->volume, v, sizeof v);
        n = snprintf(buf, cap,
                     "{\"stream\":\"%s@kline_%s\",\"data\":{\"e\":\"kline\",\"E\":%" PRId64
                     ",\"s\":\"%s\",\"k\":{\"t\":%" PRId64 ",\"T\":%" PRId64
                     ",\"s\":\"%s\",\"i\":\"%s\",\"o\":\"%s\",\"c\":\"%s\",\"h\":\"%s\","
                     "\"l\":\"%s\",\"v\":\"%s\",\"x\":%s}}}",
                     lower, g_iv.name, ev->event_time, sym, c->open_time, c->close_time, sym,
                     g_iv.name, o, cl, h, l, v, c->closed ? "true" : "false");
    } else {
        char p[RT_MONEY_FMT_MAX];
        rt_money_format(ev->ticker.price, p, sizeof p);
        n = snprintf(
            buf, cap,
            "{\"stream\":\"%s@miniTicker\",\"data\":{\"e\":\"24hrMiniTicker\",\"E\":%" PRId64
            ",\"s\":\"%s\",\"c\":\"%s\"}}",
            lower, ev->event_time, sym, p);
    }
    if (n < 0 || (size_t)n >= cap)
        die("written-back frame does not fit");
    return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const gw_parser_t p = {&g_tab, &g_iv};
    gw_event_t ev;
    memset(&ev, 0, sizeof ev);
    gw_bad_t bad = GW_BAD_COUNT;
    char reason[GW_REASON_CAP];
    memset(reason, 'x', sizeof reason);
    int rc = gw_parse_frame(&p, (const char *)data, size, &ev, &bad, reason, sizeof reason);
    if (rc != RT_OK) {
        if (rc != RT_EINVAL && rc != RT_ETOOBIG && rc != RT_ENOMEM)
            die("unexpected error code");
        if (bad <= GW_BAD_NONE || bad >= GW_BAD_COUNT || strcmp(gw_bad_name(bad), "unknown") == 0)
            die("refused without a named kind");
        /* "oversized" is RT_ETOOBIG past GW_FRAME_MAX, RT_EINVAL for an empty frame */
        if ((bad == GW_BAD_OVERSIZED) != (size == 0 || size > GW_FRAME_MAX) ||
            (rc == RT_ETOOBIG) != (size > GW_FRAME_MAX))
            die("RT_ETOOBIG and 'oversized' disagree with the frame's size");
        if (memchr(reason, '\0', sizeof reason) == NULL || reason[0] == '\0')
            die("reason missing or not terminated");
        return 0;
    }
    switch (ev.kind) {
    case GW_EV_KLINE:
    case GW_EV_TICKER: {
        if (ev.sym >= g_tab.count)
            die("symbol index out of range");
        const char *sym = gw_symtab_name(&g_tab, ev.sym);
        if (ev.kind == GW_EV_KLINE) {
            const rt_candle_t *c = &ev.candle;
            if (strcmp(c->symbol, sym) != 0 || strcmp(c->interval, g_iv.name) != 0)
                die("kline: symbol or interval not the ones followed");
            if (c->low > c->open || c->low > c->close || c->high < c->open || c->high < c->close ||
                c->close_time <= c->open_time || c->volume < 0)
                die("kline: an impossible candle accepted");
        } else if (strcmp(ev.ticker.symbol, sym) != 0 || ev.ticker.price <= 0) {
            die("ticker: symbol or price wrong");
        }
        char buf[2048];
        size_t n = write_back(&ev, buf, sizeof buf);
        gw_event_t ev2;
        memset(&ev2, 0, sizeof ev2);
        if (gw_parse_frame(&p, buf, n, &ev2, &bad, reason, sizeof reason) != RT_OK)
            die(reason);
        if (ev2.kind != ev.kind || ev2.sym != ev.sym || ev2.event_time != ev.event_time ||
            (ev.kind == GW_EV_KLINE && !candle_eq(&ev.candle, &ev2.candle)) ||
            (ev.kind == GW_EV_TICKER && ev.ticker.price != ev2.ticker.price))
            die("written-back frame parses differently");
        break;
    }
    case GW_EV_SHUTDOWN:
    case GW_EV_REPLY:
        break;
    case GW_EV_ERROR:
        if (memchr(ev.error_msg, '\0', sizeof ev.error_msg) == NULL)
            die("error message not terminated");
        break;
    default:
        die("unknown event kind");
    }
    return 0;
}
