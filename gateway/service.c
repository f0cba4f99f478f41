#include "service.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gw/candles.h"
#include "gw/parse.h"
#include "gw/queue.h"
#include "gw/streams.h"
#include "rest.h"
#include "rt/bus.h"
#include "rt/err.h"
#include "rt/http.h"
#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/metrics.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "ws.h"

#define MOD "gateway"
/* Events the queue holds between two turns of the loop (one turn reads what the sockets had). */
#define QUEUE_CAP 8192
/* Pause between two SUBSCRIBE requests on one connection: under the exchange's 5 messages/s. */
#define SUBSCRIBE_GAP_MS 250
/* REST pages of 1000 klines per backfill round; what is left waits for the next event. */
#define BACKFILL_PAGES_MAX 10
#define KLINES_LIMIT 1000
/* Time one turn of the loop may spend on backfills; gaps found after that wait for the
 * symbol's next event, so that hundreds of symbols reconnecting at once to a distant exchange
 * do not keep the socket unserved (and its pings unanswered) for long. */
#define BACKFILL_BUDGET_MS 500
/* Pause before retrying a failed backfill: doubles from 1 s up to 30 s. */
#define BACKFILL_RETRY_MIN_MS 1000
#define BACKFILL_RETRY_MAX_MS 30000
/* Bytes of a malformed frame shown in its log line. */
#define SAMPLE_BYTES 160

typedef struct {
    char data_channel[64];   /* market:data:{SYMBOL} */
    char ticker_channel[64]; /* market:ticker:{SYMBOL} */
    char candles_stream[64]; /* market:candles:{SYMBOL} */
    gw_candle_state_t candles;
    int64_t backfill_retry_at;      /* mono ms: no backfill before this after a failure */
    int64_t backfill_failing_since; /* mono ms of the first failure of the current gap; 0 */
    int backfill_failures;
    _Atomic int64_t last_msg_ms; /* wall ms of the last event of this symbol; 0 = none */
    rt_series_t *age;            /* gw_last_message_age_seconds{symbol} */
} sym_t;

typedef struct {
    int64_t next_attempt; /* mono ms; when idle, connect at or after this */
    int attempt;          /* failed attempts in a row (for the backoff) */
    bool ever_opened;
    bool proven;      /* a valid frame arrived since the last open: the backoff resets */
    int64_t last_rx;  /* mono ms of the last frame (open connections) */
    size_t subs_sent; /* SUBSCRIBE requests sent since the last open */
    int64_t next_sub; /* mono ms */
} conn_t;

struct gw_service {
    gw_config_t cfg;
    char ws_url[GW_URL_CAP], rest_url[GW_URL_CAP];
    gw_endpoint_t ep;
    gw_interval_t iv;
    gw_symtab_t symtab;
    gw_parser_t parser;
    gw_conn_plan_t *plans;
    size_t nconn;
    conn_t *conns;
    sym_t *syms;
    size_t nsym;
    gw_queue_t queue;
    rt_jsonw_t w;
    uint64_t rng;
    bool bad_logged[GW_BAD_COUNT];
    bool stopping;          /* closes seen from now on are ours: no reconnect planned */
    int64_t backfill_until; /* mono ms: no new backfill in this turn after it */

    gw_ws_t *ws;
    rt_bus_t *bus;
    rt_bus_log_t *logsink;
    rt_exrest_t *rest;
    rt_http_server_t *http;
    rt_metrics_t *metrics;

    /* read by the HTTP threads */
    _Atomic int open_conns;
    _Atomic int64_t down_since_ms; /* mono ms since no connection is open; 0 while one is */
    _Atomic bool redis_ok;

    /* metrics */
    rt_series_t *m_frames, *m_out_candle, *m_out_ticker, *m_out_stream;
    rt_series_t *m_bad[GW_BAD_COUNT];
    rt_series_t *m_reconnects, *m_disconnects, *m_backfilled, *m_backfill_ok, *m_backfill_failed,
        *m_gaps_lost;
    rt_series_t *m_drop_duplicate, *m_drop_stale, *m_drop_queue, *m_drop_gap, *m_publish_errors;
    rt_series_t *m_latency, *m_connected, *m_queue_len;
};

/* ---------------------------------------------------------------------------------------- */
/* metrics                                                                                   */

static const double latency_buckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                         0.0025,  0.005,  0.01,    0.025,  0.05,
                                         0.1,     0.25,   0.5,     1.0,    2.5};

static int series(rt_metrics_t *reg, int kind, const char *name, const char *help,
                  const char *labels, const char *value, rt_series_t **out)
{
    rt_metric_t *m = NULL;
    int rc;
    if (kind == 0)
        rc = rt_metrics_counter(reg, name, help, labels, 0, &m);
    else if (kind == 1)
        rc = rt_metrics_gauge(reg, name, help, labels, 0, &m);
    else
        rc = rt_metrics_histogram(reg, name, help, labels, 0, latency_buckets,
                                  sizeof latency_buckets / sizeof latency_buckets[0], &m);
    if (rc != RT_OK)
        return rc;
    return rt_metric_series(m, value ? (const char *[]){value} : NULL, out);
}

/* A labelled family: registered once, then one series per value. */
static int family(rt_metrics_t *reg, int kind, const char *name, const char *help,
                  const char *label, size_t max_series, rt_metric_t **out)
{
    if (kind == 0)
        return rt_metrics_counter(reg, name, help, label, max_series, out);
    return rt_metrics_gauge(reg, name, help, label, max_series, out);
}

static int setup_metrics(gw_service_t *s)
{
    rt_metrics_t *reg = s->metrics;
    int rc;
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != RT_OK)                                                                   \
            return rc;                                                                             \
    } while (0)
    TRY(series(reg, 0, "gw_frames_total", "WebSocket messages received.", NULL, NULL,
               &s->m_frames));
    rt_metric_t *out, *bad, *drop, *age;
    TRY(family(reg, 0, "gw_messages_published_total",
               "Messages written to Redis, by kind: candle (market:data), ticker "
               "(market:ticker), stream (XADD market:candles).",
               "kind", 3, &out));
    TRY(rt_metric_series(out, (const char *[]){"candle"}, &s->m_out_candle));
    TRY(rt_metric_series(out, (const char *[]){"ticker"}, &s->m_out_ticker));
    TRY(rt_metric_series(out, (const char *[]){"stream"}, &s->m_out_stream));
    TRY(family(reg, 0, "gw_parse_errors_total", "Malformed frames dropped, by kind.", "kind",
               GW_BAD_COUNT, &bad));
    for (int k = 1; k < GW_BAD_COUNT; k++)
        TRY(rt_metric_series(bad, (const char *[]){gw_bad_name((gw_bad_t)k)}, &s->m_bad[k]));
    TRY(series(reg, 0, "gw_reconnects_total",
               "Connections opened again after a drop or a failed attempt.", NULL, NULL,
               &s->m_reconnects));
    TRY(series(reg, 0, "gw_disconnects_total", "Connections lost or refused.", NULL, NULL,
               &s->m_disconnects));
    TRY(series(reg, 0, "gw_backfilled_candles_total",
               "Closed candles published from REST klines after a gap.", NULL, NULL,
               &s->m_backfilled));
    rt_metric_t *bf;
    TRY(family(reg, 0, "gw_backfills_total", "Backfill rounds, by result.", "result", 2, &bf));
    TRY(rt_metric_series(bf, (const char *[]){"ok"}, &s->m_backfill_ok));
    TRY(rt_metric_series(bf, (const char *[]){"failed"}, &s->m_backfill_failed));
    TRY(series(reg, 0, "gw_gaps_given_up_total",
               "Gaps accepted after REST could not fill them for GATEWAY_BACKFILL_GIVE_UP_S.", NULL,
               NULL, &s->m_gaps_lost));
    TRY(family(reg, 0, "gw_dropped_total",
               "Events not published, by reason: duplicate (closed candle already out), stale "
               "(update of a closed candle), queue_full, gap_pending (waiting for a backfill).",
               "reason", 4, &drop));
    TRY(rt_metric_series(drop, (const char *[]){"duplicate"}, &s->m_drop_duplicate));
    TRY(rt_metric_series(drop, (const char *[]){"stale"}, &s->m_drop_stale));
    TRY(rt_metric_series(drop, (const char *[]){"queue_full"}, &s->m_drop_queue));
    TRY(rt_metric_series(drop, (const char *[]){"gap_pending"}, &s->m_drop_gap));
    TRY(series(reg, 0, "gw_publish_errors_total", "Redis PUBLISH or XADD that failed.", NULL, NULL,
               &s->m_publish_errors));
    TRY(series(reg, 2, "gw_ws_to_redis_seconds",
               "From a frame's arrival on the socket to the end of its Redis PUBLISH.", NULL, NULL,
               &s->m_latency));
    TRY(series(reg, 1, "gw_connections_open", "WebSocket connections open.", NULL, NULL,
               &s->m_connected));
    TRY(series(reg, 1, "gw_queue_length", "Events waiting between the socket and Redis.", NULL,
               NULL, &s->m_queue_len));
    TRY(family(reg, 1, "gw_last_message_age_seconds",
               "Seconds since the last kline or ticker of a symbol (-1 before the first).",
               "symbol", s->nsym, &age));
    for (size_t i = 0; i < s->nsym; i++)
        TRY(rt_metric_series(age, (const char *[]){gw_symtab_name(&s->symtab, i)},
                             &s->syms[i].age));
#undef TRY
    return RT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* WebSocket handlers: thin (parse, validate, queue)                                         */

static void log_bad_once(gw_service_t *s, gw_bad_t kind, const char *reason, const char *data,
                         size_t len)
{
    if (s->bad_logged[kind])
        return;
    s->bad_logged[kind] = true;
    char sample[SAMPLE_BYTES * 4 + 8], why[GW_REASON_CAP * 4 + 8];
    rt_str_escape(sample, sizeof sample, data, len < SAMPLE_BYTES ? len : SAMPLE_BYTES);
    rt_str_escape(why, sizeof why, reason, strlen(reason));
    rt_log_warn("parse",
                "dropped a malformed frame kind=%s len=%zu reason=\"%s\" sample=\"%s\" (logged "
                "once per kind; gw_parse_errors_total counts them all)",
                gw_bad_name(kind), len, why, sample);
}

static void on_message(void *ud, size_t conn, const char *data, size_t len, int64_t arrival_ns)
{
    gw_service_t *s = ud;
    rt_counter_inc(s->m_frames);
    s->conns[conn].last_rx = arrival_ns / 1000000;
    gw_item_t it;
    gw_bad_t bad = GW_BAD_NONE;
    char reason[GW_REASON_CAP] = "";
    int rc = gw_parse_frame(&s->parser, data, len, &it.ev, &bad, reason, sizeof reason);
    if (rc != RT_OK) {
        if (bad <= GW_BAD_NONE || bad >= GW_BAD_COUNT)
            bad = GW_BAD_JSON;
        rt_counter_inc(s->m_bad[bad]);
        log_bad_once(s, bad, reason, data, len);
        return;
    }
    if (it.ev.kind == GW_EV_KLINE || it.ev.kind == GW_EV_TICKER) {
        atomic_store(&s->syms[it.ev.sym].last_msg_ms, rt_time_now_ms());
        s->conns[conn].proven = true;
    }
    it.arrival_ns = arrival_ns;
    it.conn = conn;
    if (gw_queue_push(&s->queue, &it) != RT_OK)
        rt_counter_inc(s->m_drop_queue);
}

static void on_oversized(void *ud, size_t conn, size_t len)
{
    gw_service_t *s = ud;
    rt_counter_inc(s->m_frames);
    rt_counter_inc(s->m_bad[GW_BAD_OVERSIZED]);
    s->conns[conn].last_rx = rt_time_mono_ms();
    if (!s->bad_logged[GW_BAD_OVERSIZED]) {
        s->bad_logged[GW_BAD_OVERSIZED] = true;
        rt_log_warn("parse",
                    "dropped a malformed frame kind=oversized len=%zu (limit %zu; logged once)",
                    len, GW_FRAME_MAX);
    }
}

static void update_open_count(gw_service_t *s)
{
    int open = 0;
    for (size_t i = 0; i < s->nconn; i++)
        open += gw_ws_is_open(s->ws, i);
    int before = atomic_exchange(&s->open_conns, open);
    if (open == 0 && before > 0)
        atomic_store(&s->down_since_ms, rt_time_mono_ms());
    else if (open > 0)
        atomic_store(&s->down_since_ms, 0);
    rt_gauge_set(s->m_connected, open);
}

static void on_open(void *ud, size_t conn)
{
    gw_service_t *s = ud;
    conn_t *c = &s->conns[conn];
    const gw_conn_plan_t *p = &s->plans[conn];
    int64_t now = rt_time_mono_ms();
    if (c->ever_opened)
        rt_counter_inc(s->m_reconnects);
    c->ever_opened = true;
    c->proven = false;
    c->last_rx = now;
    c->subs_sent = 0;
    c->next_sub = now;
    rt_log_info(MOD, "connected conn=%zu url=%s symbols=%zu", conn, s->ws_url, p->nsym);
    rt_log_info(MOD,
                "subscribed conn=%zu streams=%zu (kline_%s and miniTicker of %s..%s): %zu in "
                "the URL, the rest in %zu SUBSCRIBE request(s) to follow",
                conn, p->nsym * GW_STREAMS_PER_SYMBOL, s->iv.name,
                gw_symtab_name(&s->symtab, p->first_sym),
                gw_symtab_name(&s->symtab, p->first_sym + p->nsym - 1), p->in_path, p->nsub);
    update_open_count(s);
}

static void on_close(void *ud, size_t conn, const char *reason)
{
    gw_service_t *s = ud;
    conn_t *c = &s->conns[conn];
    if (s->stopping) {
        rt_log_info(MOD, "disconnected conn=%zu reason=\"%s\"", conn, reason);
        update_open_count(s);
        return;
    }
    /* A connection that delivered data starts the backoff over; one that failed again waits
     * longer each time. */
    if (c->proven)
        c->attempt = 0;
    int64_t pause = rt_bus_backoff_ms(c->attempt, (int)s->cfg.backoff_min_ms,
                                      (int)s->cfg.backoff_max_ms, &s->rng);
    if (c->attempt < 30)
        c->attempt++;
    c->proven = false;
    c->next_attempt = rt_time_mono_ms() + pause;
    rt_counter_inc(s->m_disconnects);
    char why[512];
    rt_str_escape(why, sizeof why, reason, strlen(reason));
    rt_log_warn(MOD, "disconnected conn=%zu reason=\"%s\" reconnect_in_ms=%" PRId64, conn, why,
                pause);
    update_open_count(s);
}

/* ---------------------------------------------------------------------------------------- */
/* publishing (service loop)                                                                 */

static void note_redis(gw_service_t *s, int rc)
{
    bool ok = rc >= 0;
    bool was = atomic_exchange(&s->redis_ok, ok);
    if (!ok) {
        rt_counter_inc(s->m_publish_errors);
        if (was)
            rt_log_error(MOD, "redis write failed: %s (publishing resumes when it is back)",
                         rt_strerror(rc));
    } else if (!was) {
        rt_log_info(MOD, "redis writes succeed again");
    }
}

/* PUBLISH the candle on market:data:{S}; a closed one also goes to market:candles:{S}. The
 * candle counts as out when the PUBLISH succeeded (pub/sub is the design's channel; the stream
 * is a convenience for late joiners, whose failure is counted but does not hold it back). */
static int publish_candle(gw_service_t *s, size_t sym, const rt_candle_t *c)
{
    rt_jsonw_reset(&s->w);
    int rc = rt_msg_candle_format(&s->w, c);
    if (rc == RT_OK)
        rc = rt_jsonw_finish(&s->w);
    if (rc != RT_OK) {
        rt_log_error(MOD, "cannot format a candle of %s: %s", c->symbol, rt_strerror(rc));
        return rc;
    }
    sym_t *y = &s->syms[sym];
    rc = rt_bus_publish(s->bus, y->data_channel, rt_jsonw_data(&s->w), rt_jsonw_len(&s->w));
    note_redis(s, rc);
    if (rc < 0)
        return rc;
    rt_counter_inc(s->m_out_candle);
    if (c->closed) {
        int xrc = rt_bus_xadd(s->bus, y->candles_stream, s->cfg.candles_maxlen,
                              rt_jsonw_data(&s->w), rt_jsonw_len(&s->w), NULL, 0);
        note_redis(s, xrc);
        if (xrc == RT_OK)
            rt_counter_inc(s->m_out_stream);
    }
    return RT_OK;
}

static int publish_ticker(gw_service_t *s, size_t sym, const rt_ticker_t *t)
{
    rt_jsonw_reset(&s->w);
    int rc = rt_msg_ticker_format(&s->w, t);
    if (rc == RT_OK)
        rc = rt_jsonw_finish(&s->w);
    if (rc != RT_OK) {
        rt_log_error(MOD, "cannot format a ticker of %s: %s", t->symbol, rt_strerror(rc));
        return rc;
    }
    rc = rt_bus_publish(s->bus, s->syms[sym].ticker_channel, rt_jsonw_data(&s->w),
                        rt_jsonw_len(&s->w));
    note_redis(s, rc);
    if (rc < 0)
        return rc;
    rt_counter_inc(s->m_out_ticker);
    return RT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* backfill                                                                                  */

/* One REST page: klines of sym from `from` to gap->to. Publishes what gw_candles_accept takes.
 * Returns 0 and the number of rows and the last open time, or an error. */
static int backfill_page(gw_service_t *s, size_t sym, const gw_range_t *gap, int64_t from,
                         size_t *rows, int64_t *last_open, size_t *published)
{
    rt_candle_t *k = NULL;
    size_t n = 0;
    int rc = gw_rest_klines(s->rest, gw_symtab_name(&s->symtab, sym), s->iv.name, from, gap->to,
                            KLINES_LIMIT, &k, &n);
    if (rc != RT_OK)
        return rc;
    sym_t *y = &s->syms[sym];
    for (size_t i = 0; i < n; i++) {
        if (!gw_candles_accept(&y->candles, gap, &k[i]))
            continue;
        rc = publish_candle(s, sym, &k[i]);
        if (rc != RT_OK)
            goto out;
        rc = gw_candles_commit(&y->candles, &s->iv, &k[i]);
        if (rc != RT_OK)
            goto out;
        rt_counter_inc(s->m_backfilled);
        (*published)++;
    }
    *rows = n;
    *last_open = n > 0 ? k[n - 1].open_time : from;
out:
    free(k);
    return rc;
}

/* Fetches and publishes the closed candles of gap. Returns 0 when the gap is settled,
 * RT_EAGAIN when more pages remain (the next event goes on), or an error. */
static int backfill(gw_service_t *s, size_t sym, const gw_range_t *gap)
{
    sym_t *y = &s->syms[sym];
    const char *name = gw_symtab_name(&s->symtab, sym);
    int64_t from = gap->from;
    size_t published = 0;
    int pages = 0, rc = RT_OK;
    int64_t t0 = rt_time_mono_ms();
    while (from <= gap->to) {
        if (pages == BACKFILL_PAGES_MAX) {
            rc = RT_EAGAIN;
            break;
        }
        size_t rows = 0;
        int64_t last = from;
        rc = backfill_page(s, sym, gap, from, &rows, &last, &published);
        pages++;
        if (rc != RT_OK || rows < KLINES_LIMIT)
            break;
        int64_t next = gw_interval_next(&s->iv, last);
        if (next == GW_TIME_NONE || next <= from)
            break;
        from = next;
    }
    if (rc == RT_OK)
        gw_candles_settle(&y->candles, gap);
    if (rc == RT_OK || rc == RT_EAGAIN) {
        rt_counter_inc(s->m_backfill_ok);
        rt_log_info(MOD,
                    "backfill symbol=%s from=%" PRId64 " to=%" PRId64
                    " candles=%zu pages=%d ms=%" PRId64 "%s",
                    name, gap->from, gap->to, published, pages, rt_time_mono_ms() - t0,
                    rc == RT_EAGAIN ? " (more to come)" : "");
    } else {
        rt_counter_inc(s->m_backfill_failed);
    }
    return rc;
}

/* A gap was found before event c of sym: fill it, or decide to wait or give up. Returns true
 * when c may now be checked again. */
static bool handle_gap(gw_service_t *s, size_t sym, const gw_range_t *gap)
{
    sym_t *y = &s->syms[sym];
    int64_t now = rt_time_mono_ms();
    if (now < y->backfill_retry_at || now > s->backfill_until)
        return false;
    int rc = backfill(s, sym, gap);
    if (rc == RT_OK) {
        y->backfill_failures = 0;
        y->backfill_failing_since = 0;
        y->backfill_retry_at = 0;
        return true;
    }
    if (rc == RT_EAGAIN)
        return false; /* the next event continues where this round stopped */
    if (y->backfill_failing_since == 0)
        y->backfill_failing_since = now;
    if (now - y->backfill_failing_since >= s->cfg.backfill_give_up_s * 1000) {
        rt_counter_inc(s->m_gaps_lost);
        rt_log_error(MOD,
                     "gave up backfilling symbol=%s from=%" PRId64 " to=%" PRId64
                     " after %d attempts: downstream misses these closed candles",
                     gw_symtab_name(&s->symtab, sym), gap->from, gap->to, y->backfill_failures + 1);
        gw_candles_settle(&y->candles, gap);
        y->backfill_failures = 0;
        y->backfill_failing_since = 0;
        return true;
    }
    int64_t pause = rt_bus_backoff_ms(y->backfill_failures, BACKFILL_RETRY_MIN_MS,
                                      BACKFILL_RETRY_MAX_MS, &s->rng);
    y->backfill_failures++;
    y->backfill_retry_at = now + pause;
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* the loop                                                                                  */

static void observe_latency(gw_service_t *s, int64_t arrival_ns)
{
    int64_t d = rt_time_mono_ns() - arrival_ns;
    rt_histogram_observe(s->m_latency, (double)(d > 0 ? d : 0) / 1e9);
}

static void handle_kline(gw_service_t *s, const gw_item_t *it)
{
    size_t sym = it->ev.sym;
    sym_t *y = &s->syms[sym];
    const rt_candle_t *c = &it->ev.candle;
    gw_range_t gap;
    gw_verdict_t v = gw_candles_check(&y->candles, &s->iv, c, &gap);
    if (v == GW_CANDLE_GAP) {
        if (!handle_gap(s, sym, &gap)) {
            rt_counter_inc(s->m_drop_gap);
            return;
        }
        v = gw_candles_check(&y->candles, &s->iv, c, &gap);
    }
    switch (v) {
    case GW_CANDLE_PUBLISH:
        if (publish_candle(s, sym, c) == RT_OK) {
            observe_latency(s, it->arrival_ns);
            if (gw_candles_commit(&y->candles, &s->iv, c) != RT_OK)
                rt_log_error(MOD, "candle of %s at %" PRId64 " has no next open time", c->symbol,
                             c->open_time);
        }
        /* else: not committed, so the next event shows the gap and a backfill repairs it */
        break;
    case GW_CANDLE_DUPLICATE:
        rt_counter_inc(s->m_drop_duplicate);
        break;
    case GW_CANDLE_STALE:
        rt_counter_inc(s->m_drop_stale);
        break;
    case GW_CANDLE_GAP: /* still a gap: only while a backfill is pending */
        rt_counter_inc(s->m_drop_gap);
        break;
    }
}

static void handle_item(gw_service_t *s, const gw_item_t *it)
{
    const gw_event_t *ev = &it->ev;
    switch (ev->kind) {
    case GW_EV_KLINE:
        handle_kline(s, it);
        break;
    case GW_EV_TICKER:
        if (publish_ticker(s, ev->sym, &ev->ticker) == RT_OK)
            observe_latency(s, it->arrival_ns);
        break;
    case GW_EV_SHUTDOWN:
        rt_log_warn(MOD,
                    "serverShutdown received conn=%zu E=%" PRId64 ": closing now and reconnecting",
                    it->conn, ev->event_time);
        /* Reconnect soon: this is a planned cut, not a failing exchange. */
        s->conns[it->conn].proven = true;
        gw_ws_close(s->ws, it->conn, "serverShutdown");
        break;
    case GW_EV_REPLY:
        rt_log_debug(MOD, "subscription reply conn=%zu id=%" PRId64, it->conn, ev->reply_id);
        break;
    case GW_EV_ERROR: {
        char msg[GW_MSG_TEXT_CAP * 4];
        rt_str_escape(msg, sizeof msg, ev->error_msg, strlen(ev->error_msg));
        rt_log_warn(MOD, "the exchange refused a request conn=%zu code=%d msg=\"%s\"", it->conn,
                    ev->error_code, msg);
        break;
    }
    }
}

static void connect_due(gw_service_t *s, int64_t now)
{
    for (size_t i = 0; i < s->nconn; i++) {
        conn_t *c = &s->conns[i];
        if (gw_ws_is_active(s->ws, i) || now < c->next_attempt)
            continue;
        rt_log_info(MOD, "connecting conn=%zu url=%s path_bytes=%zu", i, s->ws_url,
                    strlen(s->plans[i].path));
        c->next_attempt = INT64_MAX; /* set again by on_close */
        gw_ws_connect(s->ws, i, s->plans[i].path);
    }
}

static void run_timers(gw_service_t *s, int64_t now)
{
    for (size_t i = 0; i < s->nconn; i++) {
        conn_t *c = &s->conns[i];
        if (!gw_ws_is_open(s->ws, i))
            continue;
        if (now - c->last_rx > s->cfg.stale_s * 1000) {
            char why[96];
            snprintf(why, sizeof why, "no frame for %" PRId64 " s", s->cfg.stale_s);
            rt_log_warn(MOD, "stale connection conn=%zu: %s, reconnecting", i, why);
            gw_ws_close(s->ws, i, why);
            continue;
        }
        const gw_conn_plan_t *p = &s->plans[i];
        if (c->subs_sent < p->nsub && now >= c->next_sub) {
            if (gw_ws_send(s->ws, i, p->sub[c->subs_sent]) == RT_OK) {
                rt_log_info(MOD, "subscribe request conn=%zu id=%zu", i, c->subs_sent + 1);
                c->subs_sent++;
            }
            c->next_sub = now + SUBSCRIBE_GAP_MS;
        }
    }
    int64_t wall = rt_time_now_ms();
    for (size_t i = 0; i < s->nsym; i++) {
        int64_t last = atomic_load(&s->syms[i].last_msg_ms);
        rt_gauge_set(s->syms[i].age, last > 0 ? (double)(wall - last) / 1000.0 : -1.0);
    }
    rt_gauge_set(s->m_queue_len, (double)gw_queue_len(&s->queue));
}

int gw_service_step(gw_service_t *s, int max_wait_ms)
{
    if (s == NULL)
        return RT_EINVAL;
    connect_due(s, rt_time_mono_ms());
    /* Wake up at least when the next connection attempt is due. */
    int wait = max_wait_ms;
    int64_t now = rt_time_mono_ms();
    for (size_t i = 0; i < s->nconn; i++)
        if (!gw_ws_is_active(s->ws, i) && s->conns[i].next_attempt - now < wait)
            wait = (int)(s->conns[i].next_attempt - now);
    if (wait < 1)
        wait = 1;
    int rc = gw_ws_service(s->ws, wait);
    s->backfill_until = rt_time_mono_ms() + BACKFILL_BUDGET_MS;
    /* What one turn of the event loop brought; anything pushed meanwhile waits for the next
     * turn so that the sockets keep being served. */
    for (size_t n = gw_queue_len(&s->queue); n > 0; n--) {
        const gw_item_t *it = gw_queue_peek(&s->queue);
        gw_item_t copy = *it;
        gw_queue_pop(&s->queue);
        handle_item(s, &copy);
    }
    run_timers(s, rt_time_mono_ms());
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* health                                                                                    */

static int health(void *ud, json_t *details)
{
    gw_service_t *s = ud;
    int open = atomic_load(&s->open_conns);
    int64_t down_since = atomic_load(&s->down_since_ms);
    int64_t now = rt_time_mono_ms();
    int64_t down_ms = open > 0 ? 0 : now - down_since;
    json_object_set_new(details, "connected", json_boolean(open > 0));
    json_object_set_new(details, "connections_open", json_integer(open));
    json_object_set_new(details, "connections", json_integer((json_int_t)s->nconn));
    json_object_set_new(details, "down_for_ms", json_integer(down_ms));
    json_object_set_new(details, "exchange", json_string(gw_config_exchanges[s->cfg.exchange]));
    json_object_set_new(details, "redis", json_string(atomic_load(&s->redis_ok) ? "ok" : "down"));
    json_t *ages = json_object();
    int64_t wall = rt_time_now_ms();
    for (size_t i = 0; ages != NULL && i < s->nsym; i++) {
        int64_t last = atomic_load(&s->syms[i].last_msg_ms);
        json_object_set_new(ages, gw_symtab_name(&s->symtab, i),
                            last > 0 ? json_integer(wall - last) : json_null());
    }
    if (ages != NULL)
        json_object_set_new(details, "last_message_age_ms", ages);
    if (open == 0 && down_ms > s->cfg.health_max_down_s * 1000)
        return RT_ECONN;
    return RT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* lifecycle                                                                                 */

static int setup_symbols(gw_service_t *s)
{
    s->nsym = s->cfg.symbols.count;
    const char **names = calloc(s->nsym, sizeof *names);
    s->syms = calloc(s->nsym, sizeof *s->syms);
    if (names == NULL || s->syms == NULL) {
        free(names);
        return RT_ENOMEM;
    }
    for (size_t i = 0; i < s->nsym; i++)
        names[i] = s->cfg.symbols.items[i];
    int rc = gw_symtab_init(&s->symtab, names, s->nsym);
    if (rc == RT_OK)
        rc = gw_plan_build(names, s->nsym, &s->iv, s->ep.prefix, 0, &s->plans, &s->nconn);
    free(names);
    if (rc != RT_OK)
        return rc;
    for (size_t i = 0; i < s->nsym; i++) {
        sym_t *y = &s->syms[i];
        const char *name = gw_symtab_name(&s->symtab, i);
        snprintf(y->data_channel, sizeof y->data_channel, "market:data:%s", name);
        snprintf(y->ticker_channel, sizeof y->ticker_channel, "market:ticker:%s", name);
        snprintf(y->candles_stream, sizeof y->candles_stream, "market:candles:%s", name);
        gw_candle_state_init(&y->candles);
        atomic_init(&y->last_msg_ms, 0);
    }
    s->conns = calloc(s->nconn, sizeof *s->conns);
    return s->conns == NULL ? RT_ENOMEM : RT_OK;
}

static int setup_io(gw_service_t *s)
{
    const gw_config_t *cfg = &s->cfg;
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = cfg->redis_host;
    bo.port = cfg->redis_port;
    bo.client_name = "rt-gateway";
    bo.connect_attempts = 10;
    bo.backoff_max_ms = 2000;
    int rc = rt_bus_new(&bo, &s->bus);
    if (rc != RT_OK) {
        rt_log_error(MOD, "cannot reach redis at %s:%d: %s", cfg->redis_host, cfg->redis_port,
                     rt_strerror(rc));
        return rc;
    }
    rc = rt_bus_log_attach(cfg->redis_host, cfg->redis_port, "gateway", &s->logsink);
    if (rc != RT_OK)
        return rc;

    rc = gw_rest_new(s->rest_url, &s->rest);
    if (rc != RT_OK)
        return rc;

    rc = rt_metrics_new(&s->metrics);
    if (rc == RT_OK)
        rc = setup_metrics(s);
    if (rc != RT_OK) {
        rt_log_error(MOD, "cannot set up metrics: %s", rt_strerror(rc));
        return rc;
    }
    rt_http_config_t hc = {.service = "gateway",
                           .host = cfg->http_host,
                           .port = (uint16_t)cfg->http_port,
                           .threads = 2,
                           .metrics = s->metrics,
                           .health = health,
                           .health_ud = s};
    rc = rt_http_server_new(&hc, &s->http);
    if (rc == RT_OK)
        rc = rt_http_server_start(s->http);
    if (rc != RT_OK) {
        rt_log_error(MOD, "cannot serve HTTP on %s:%d: %s", cfg->http_host, cfg->http_port,
                     rt_strerror(rc));
        return rc;
    }

    gw_ws_handlers_t h = {.on_message = on_message,
                          .on_oversized = on_oversized,
                          .on_open = on_open,
                          .on_close = on_close,
                          .ud = s};
    rc = gw_ws_new(&s->ep, s->nconn, GW_FRAME_MAX, &h, &s->ws);
    if (rc != RT_OK)
        rt_log_error(MOD, "cannot create the WebSocket client: %s", rt_strerror(rc));
    return rc;
}

int gw_service_new(const gw_config_t *cfg, gw_service_t **out)
{
    if (cfg == NULL || out == NULL)
        return RT_EINVAL;
    gw_service_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RT_ENOMEM;
    s->cfg = *cfg;
    rt_jsonw_init(&s->w);
    atomic_init(&s->open_conns, 0);
    atomic_init(&s->down_since_ms, rt_time_mono_ms());
    atomic_init(&s->redis_ok, true);
    s->rng = (uint64_t)rt_time_now_ms() ^ ((uint64_t)(uintptr_t)s << 16);
    int rc = gw_exchange_urls((gw_exchange_t)cfg->exchange, cfg->sim_port, cfg->ws_url,
                              cfg->rest_url, s->ws_url, s->rest_url);
    if (rc == RT_OK && (rc = gw_endpoint_parse(s->ws_url, &s->ep)) != RT_OK)
        rt_log_error(MOD, "EXCHANGE_WS_URL %s: not a ws:// or wss:// URL without query", s->ws_url);
    if (rc == RT_OK &&
        (rc = gw_interval_parse(gw_config_intervals[cfg->interval], &s->iv)) != RT_OK)
        rt_log_error(MOD, "unknown interval");
    if (rc == RT_OK && (rc = setup_symbols(s)) != RT_OK)
        rt_log_error(MOD, "cannot plan the streams: %s", rt_strerror(rc));
    if (rc == RT_OK)
        rc = gw_queue_init(&s->queue, QUEUE_CAP);
    if (rc != RT_OK)
        goto fail;
    s->parser.symbols = &s->symtab;
    s->parser.interval = &s->iv;
    rc = setup_io(s);
    if (rc != RT_OK)
        goto fail;
    rt_log_info(MOD,
                "started exchange=%s ws=%s rest=%s symbols=%zu interval=%s connections=%zu "
                "http=%s:%d",
                gw_config_exchanges[cfg->exchange], s->ws_url, s->rest_url, s->nsym, s->iv.name,
                s->nconn, cfg->http_host, cfg->http_port);
    if (cfg->trading_mode == 1)
        rt_log_info(MOD, "TRADING_MODE=live: account balances are published by rt-trader in "
                         "this design's split, not by the gateway");
    *out = s;
    return RT_OK;
fail:
    gw_service_free(s);
    return rc;
}

void gw_service_free(gw_service_t *s)
{
    if (s == NULL)
        return;
    if (s->ws != NULL) {
        /* A polite close frame on each open connection, served briefly. */
        s->stopping = true;
        bool any = false;
        for (size_t i = 0; i < s->nconn; i++) {
            if (gw_ws_is_active(s->ws, i)) {
                gw_ws_close(s->ws, i, "gateway stopping");
                any = true;
            }
        }
        int64_t until = rt_time_mono_ms() + 500;
        while (any && rt_time_mono_ms() < until) {
            gw_ws_service(s->ws, 50);
            any = false;
            for (size_t i = 0; i < s->nconn; i++)
                any = any || gw_ws_is_active(s->ws, i);
        }
        gw_ws_free(s->ws);
    }
    rt_http_server_free(s->http);
    gw_rest_free(s->rest);
    rt_bus_log_detach(s->logsink);
    rt_bus_free(s->bus);
    rt_metrics_free(s->metrics);
    gw_queue_cleanup(&s->queue);
    gw_plan_free(s->plans, s->nconn);
    gw_symtab_cleanup(&s->symtab);
    free(s->syms);
    free(s->conns);
    rt_jsonw_cleanup(&s->w);
    free(s);
}
