/* gateway_bench: how fast the gateway's pipeline turns exchange frames into Redis messages.
 *
 *   gateway_bench [SYMBOLS [FRAMES]]      (defaults 100 and 200000)
 *
 * Phase 1 (one core, no I/O): frames/s through what the gateway does per frame after the
 * socket read: gw_parse_frame (JSON, strict validation), gw_candles_check/commit (dedupe and
 * order), rt_msg_candle_format / rt_msg_ticker_format (the bus JSON).
 * Phase 2 (against the redis-server at REDIS_HOST:REDIS_PORT, default 127.0.0.1:16379; the
 * bench starts none): the same plus the PUBLISH (and XADD for closed candles), one frame at a
 * time; the time from the frame's "arrival" (just before parsing) to PUBLISH's return gives
 * p50/p99. The lws read before it (a memcpy of the frame) is not included. Channels are
 * prefixed "bench:" so a running system is not disturbed.
 *
 * Frames: per symbol, a kline update and a miniTicker per round, and a closing kline every
 * 10th round (the mix a 1m stream sends). Prints one line:
 *   gateway_bench symbols=100 frames=200000 parse_format_fps=... publish_fps=... p50_us=...
 *   p99_us=... */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/candles.h"
#include "gw/parse.h"
#include "rt/bus.h"
#include "rt/err.h"
#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"

#define T0 INT64_C(1716219780000)
#define MINUTE INT64_C(60000)
#define FRAME_CAP 768
#define ROUNDS_PER_CANDLE 10

typedef struct {
    char text[FRAME_CAP];
    size_t len;
} frame_t;

static void make_frames(frame_t *f, size_t nframes, char (*syms)[24], size_t nsym)
{
    size_t k = 0;
    for (size_t round = 0; k < nframes; round++) {
        int64_t open = T0 + (int64_t)(round / ROUNDS_PER_CANDLE) * MINUTE;
        bool closes = round % ROUNDS_PER_CANDLE == ROUNDS_PER_CANDLE - 1;
        for (size_t s = 0; s < nsym && k < nframes; s++) {
            char lower[24];
            size_t n = strlen(syms[s]);
            for (size_t i = 0; i <= n; i++)
                lower[i] =
                    (char)(syms[s][i] >= 'A' && syms[s][i] <= 'Z' ? syms[s][i] + 32 : syms[s][i]);
            for (int kind = 0; kind < (closes ? 3 : 2) && k < nframes; kind++) {
                int w;
                if (kind == 1)
                    w = snprintf(f[k].text, FRAME_CAP,
                                 "{\"stream\":\"%s@miniTicker\",\"data\":{\"e\":\"24hrMiniTicker\","
                                 "\"E\":%" PRId64 ",\"s\":\"%s\",\"c\":\"60421.%02zu000000\","
                                 "\"o\":\"60000.00000000\",\"h\":\"61000.00000000\",\"l\":"
                                 "\"59000.00000000\",\"v\":\"1234.56700000\",\"q\":"
                                 "\"74567890.12345678\"}}",
                                 lower, open + 1000, syms[s], round % 100);
                else
                    w = snprintf(
                        f[k].text, FRAME_CAP,
                        "{\"stream\":\"%s@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":%" PRId64
                        ",\"s\":\"%s\",\"k\":{\"t\":%" PRId64 ",\"T\":%" PRId64
                        ",\"s\":\"%s\",\"i\":\"1m\",\"f\":4471208154,\"L\":4471208431,\"o\":"
                        "\"60421.01000000\",\"c\":\"60425.%02zu000000\",\"h\":\"60436.55000000\","
                        "\"l\":\"60398.12000000\",\"v\":\"0.05727000\",\"n\":278,\"x\":%s,\"q\":"
                        "\"3461.52744370\",\"V\":\"0.03127000\",\"Q\":\"1889.55961130\",\"B\":"
                        "\"0\"}}}",
                        lower, open + 2000, syms[s], open, open + MINUTE - 1, syms[s], round % 100,
                        kind == 2 ? "true" : "false");
                f[k].len = (size_t)w;
                k++;
            }
        }
    }
}

typedef struct {
    gw_parser_t parser;
    gw_interval_t iv;
    gw_candle_state_t *st;
    size_t nsym;
    rt_jsonw_t w;
    rt_bus_t *bus;
    char (*data_ch)[48];
    char (*ticker_ch)[48];
    char (*stream)[48];
    uint64_t published, errors;
} bench_t;

/* One frame through the pipeline; publishes when bus is set. Returns 0 or an error. */
static int pipeline(bench_t *b, const frame_t *f, bool publish)
{
    gw_event_t ev;
    gw_bad_t bad;
    int rc = gw_parse_frame(&b->parser, f->text, f->len, &ev, &bad, NULL, 0);
    if (rc != RT_OK)
        return rc;
    rt_jsonw_reset(&b->w);
    const char *ch;
    if (ev.kind == GW_EV_KLINE) {
        gw_candle_state_t *st = &b->st[ev.sym];
        gw_range_t gap;
        if (gw_candles_check(st, &b->iv, &ev.candle, &gap) != GW_CANDLE_PUBLISH)
            return RT_OK;
        rc = rt_msg_candle_format(&b->w, &ev.candle);
        ch = b->data_ch[ev.sym];
    } else {
        rc = rt_msg_ticker_format(&b->w, &ev.ticker);
        ch = b->ticker_ch[ev.sym];
    }
    if (rc != RT_OK)
        return rc;
    if (publish) {
        int p = rt_bus_publish(b->bus, ch, rt_jsonw_data(&b->w), rt_jsonw_len(&b->w));
        if (p < 0)
            return p;
        b->published++;
        if (ev.kind == GW_EV_KLINE && ev.candle.closed &&
            rt_bus_xadd(b->bus, b->stream[ev.sym], 10000, rt_jsonw_data(&b->w), rt_jsonw_len(&b->w),
                        NULL, 0) != RT_OK)
            return RT_ECONN;
    }
    if (ev.kind == GW_EV_KLINE)
        gw_candles_commit(&b->st[ev.sym], &b->iv, &ev.candle);
    return RT_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t nsym_arg = 100, nframes_arg = 200000;
    if ((argc > 1 && rt_str_parse_int64(argv[1], &nsym_arg) != RT_OK) ||
        (argc > 2 && rt_str_parse_int64(argv[2], &nframes_arg) != RT_OK))
        nsym_arg = 0;
    size_t nsym = nsym_arg > 0 ? (size_t)nsym_arg : 0;
    size_t nframes = nframes_arg > 0 ? (size_t)nframes_arg : 0;
    if (nsym == 0 || nsym > 100000 || nframes == 0 || nframes > 10000000) {
        fprintf(stderr, "usage: gateway_bench [SYMBOLS 1..100000 [FRAMES 1..10000000]]\n");
        return 2;
    }
    rt_log_init("bench", RT_LOG_WARN);
    const char *host = getenv("REDIS_HOST") ? getenv("REDIS_HOST") : "127.0.0.1";
    int port = 16379;
    if (getenv("REDIS_PORT") != NULL) {
        int64_t v;
        if (rt_str_parse_int64(getenv("REDIS_PORT"), &v) != RT_OK || v < 1 || v > 65535) {
            fprintf(stderr, "gateway_bench: REDIS_PORT must be a port number\n");
            return 2;
        }
        port = (int)v;
    }

    char(*syms)[24] = calloc(nsym, sizeof *syms);
    const char **names = calloc(nsym, sizeof *names);
    frame_t *frames = calloc(nframes, sizeof *frames);
    int64_t *lat = calloc(nframes, sizeof *lat);
    bench_t b;
    memset(&b, 0, sizeof b);
    b.nsym = nsym;
    b.st = calloc(nsym, sizeof *b.st);
    b.data_ch = calloc(nsym, sizeof *b.data_ch);
    b.ticker_ch = calloc(nsym, sizeof *b.ticker_ch);
    b.stream = calloc(nsym, sizeof *b.stream);
    if (!syms || !names || !frames || !lat || !b.st || !b.data_ch || !b.ticker_ch || !b.stream) {
        fprintf(stderr, "gateway_bench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < nsym; i++) {
        snprintf(syms[i], sizeof syms[i], "S%zuUSDC", i);
        names[i] = syms[i];
        snprintf(b.data_ch[i], sizeof b.data_ch[i], "bench:market:data:%s", syms[i]);
        snprintf(b.ticker_ch[i], sizeof b.ticker_ch[i], "bench:market:ticker:%s", syms[i]);
        snprintf(b.stream[i], sizeof b.stream[i], "bench:market:candles:%s", syms[i]);
    }
    gw_symtab_t tab;
    if (gw_symtab_init(&tab, names, nsym) != RT_OK || gw_interval_parse("1m", &b.iv) != RT_OK) {
        fprintf(stderr, "gateway_bench: bad symbols\n");
        return 1;
    }
    b.parser.symbols = &tab;
    b.parser.interval = &b.iv;
    rt_jsonw_init(&b.w);
    make_frames(frames, nframes, syms, nsym);

    /* phase 1: parse + dedupe + format, one core */
    for (size_t i = 0; i < nsym; i++)
        gw_candle_state_init(&b.st[i]);
    int64_t t0 = rt_time_mono_ns();
    for (size_t i = 0; i < nframes; i++) {
        if (pipeline(&b, &frames[i], false) != RT_OK) {
            fprintf(stderr, "gateway_bench: frame %zu refused\n", i);
            return 1;
        }
    }
    double secs = (double)(rt_time_mono_ns() - t0) / 1e9;
    double fps = (double)nframes / secs;

    /* phase 2: through PUBLISH, one at a time */
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = host;
    o.port = port;
    o.client_name = "gateway-bench";
    o.connect_attempts = 1;
    if (rt_bus_new(&o, &b.bus) != RT_OK) {
        fprintf(stderr, "gateway_bench: no redis at %s:%d (set REDIS_HOST/REDIS_PORT)\n", host,
                port);
        return 1;
    }
    for (size_t i = 0; i < nsym; i++)
        gw_candle_state_init(&b.st[i]);
    t0 = rt_time_mono_ns();
    for (size_t i = 0; i < nframes; i++) {
        int64_t a = rt_time_mono_ns();
        if (pipeline(&b, &frames[i], true) != RT_OK) {
            fprintf(stderr, "gateway_bench: publish failed at frame %zu\n", i);
            return 1;
        }
        lat[i] = rt_time_mono_ns() - a;
    }
    double psecs = (double)(rt_time_mono_ns() - t0) / 1e9;
    qsort(lat, nframes, sizeof *lat, cmp_i64);
    printf("gateway_bench symbols=%zu frames=%zu parse_format_fps=%.0f publish_fps=%.0f "
           "p50_us=%.1f p99_us=%.1f max_us=%.1f redis=%s:%d\n",
           nsym, nframes, fps, (double)nframes / psecs, (double)lat[nframes / 2] / 1000.0,
           (double)lat[(size_t)((double)nframes * 0.99)] / 1000.0,
           (double)lat[nframes - 1] / 1000.0, host, port);
    rt_bus_free(b.bus);
    rt_jsonw_cleanup(&b.w);
    gw_symtab_cleanup(&tab);
    free(syms);
    free(names);
    free(frames);
    free(lat);
    free(b.st);
    free(b.data_ch);
    free(b.ticker_ch);
    free(b.stream);
    return 0;
}
