/* The recorder thread: subscribes to the bus, keeps prices and forming candles, persists closed
 * candles (UPSERT), writes balance snapshots (every SNAPSHOT_INTERVAL_S and after every trade)
 * and relays what the dashboard shows to the SSE hub, each message validated first (a malformed
 * one is logged with its channel and dropped). */
#include <string.h>

#include "pf.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

typedef struct {
    pf_ctx_t *ctx;
    rt_db_t *db;
    bool snapshot_due;
    int64_t bad_logged_ms; /* last time a malformed message was logged (at most 1/s) */
    rt_logline_t logline;  /* scratch for log lines (4 KiB: not on the stack) */
} rec_t;

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void bad_message(rec_t *rs, const char *channel, int rc, const rt_msg_error_t *err)
{
    rt_counter_inc(rs->ctx->m_bad_messages);
    int64_t now = rt_time_mono_ms();
    if (now - rs->bad_logged_ms < 1000)
        return;
    rs->bad_logged_ms = now;
    rt_log_warn("recorder", "dropped malformed message channel=%s err=%s why=%s", channel,
                rt_strerror(rc), err->text);
}

static int save_candle(rt_db_t *db, const rt_candle_t *c)
{
    char ot[24], ct[24], o[RT_MONEY_FMT_MAX], h[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX],
        cl[RT_MONEY_FMT_MAX], v[RT_MONEY_FMT_MAX];
    snprintf(ot, sizeof ot, "%lld", (long long)c->open_time);
    snprintf(ct, sizeof ct, "%lld", (long long)c->close_time);
    if (rt_money_format(c->open, o, sizeof o) == 0 || rt_money_format(c->high, h, sizeof h) == 0 ||
        rt_money_format(c->low, l, sizeof l) == 0 || rt_money_format(c->close, cl, sizeof cl) == 0 ||
        rt_money_format(c->volume, v, sizeof v) == 0)
        return RT_EINVAL;
    const char *p[] = {c->symbol, c->interval, ot, ct, o, h, l, cl, v};
    return rt_db_exec_prepared(
        db,
        "INSERT INTO candles (symbol, interval, open_time, close_time, open, high, low, close, "
        "volume) VALUES ($1, $2, 'epoch'::timestamptz + $3::bigint * interval '1 millisecond', "
        "'epoch'::timestamptz + $4::bigint * interval '1 millisecond', $5, $6, $7, $8, $9) "
        "ON CONFLICT (symbol, interval, open_time) DO UPDATE SET close_time = "
        "EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, "
        "close = EXCLUDED.close, volume = EXCLUDED.volume",
        9, p, NULL);
}

static void on_candle(rec_t *rs, const char *channel, const char *payload, size_t len)
{
    rt_candle_t c;
    rt_msg_error_t err = {{0}, {0}};
    int rc = rt_msg_candle_parse(payload, len, &c, &err);
    if (rc < 0)
        {
            bad_message(rs, channel, rc, &err);
            return;
        }
    bool relay = false;
    pthread_mutex_lock(&rs->ctx->market_lock);
    rc = pf_market_candle(&rs->ctx->market, &c, rt_time_now_ms(), &relay);
    pthread_mutex_unlock(&rs->ctx->market_lock);
    if (rc < 0)
        return;
    if (c.closed) {
        rc = save_candle(rs->db, &c);
        if (rc == 0) {
            rt_counter_inc(rs->ctx->m_candles_saved);
            atomic_store(&rs->ctx->db_up, true);
        } else {
            if (rc == RT_ECONN)
                atomic_store(&rs->ctx->db_up, false);
            rt_log_warn("recorder", "candle not saved symbol=%s err=%s", c.symbol,
                        rt_strerror(rc));
        }
    }
    if (relay)
        pf_hub_broadcast(&rs->ctx->hub, "candle", payload);
}

static void on_ticker(rec_t *rs, const char *channel, const char *payload, size_t len)
{
    rt_ticker_t t;
    rt_msg_error_t err = {{0}, {0}};
    int rc = rt_msg_ticker_parse(payload, len, &t, &err);
    if (rc < 0)
        {
            bad_message(rs, channel, rc, &err);
            return;
        }
    bool relay = false;
    pthread_mutex_lock(&rs->ctx->market_lock);
    rc = pf_market_ticker(&rs->ctx->market, &t, rt_time_now_ms(), &relay);
    pthread_mutex_unlock(&rs->ctx->market_lock);
    if (rc == 0 && relay)
        pf_hub_broadcast(&rs->ctx->hub, "ticker", payload);
}

static void on_message(void *ud, const char *pattern, const char *channel, const char *payload,
                       size_t len)
{
    rec_t *rs = ud;
    rt_msg_error_t err = {{0}, {0}};
    int rc;
    (void)pattern;
    if (has_prefix(channel, "market:data:")) {
        on_candle(rs, channel, payload, len);
    } else if (has_prefix(channel, "market:ticker:")) {
        on_ticker(rs, channel, payload, len);
    } else if (strcmp(channel, "analyze:signal") == 0) {
        rt_signal_t s;
        rc = rt_msg_signal_parse(payload, len, &s, &err);
        if (rc < 0)
            {
            bad_message(rs, channel, rc, &err);
            return;
        }
        pf_hub_broadcast(&rs->ctx->hub, "signal", payload);
    } else if (strcmp(channel, "trader:events") == 0) {
        rt_event_t ev;
        rc = rt_msg_event_parse(payload, len, &ev, &err);
        if (rc < 0)
            {
            bad_message(rs, channel, rc, &err);
            return;
        }
        if (ev.type == RT_EVENT_TRADE)
            rs->snapshot_due = true;
        /* the whole message, so the page sees the same {type, data} the trader sent */
        pf_hub_broadcast(&rs->ctx->hub, rt_event_type_name(ev.type), payload);
    } else if (strcmp(channel, "account:balances") == 0) {
        pf_bus_balances_t *bb = &rs->ctx->bus_balances;
        rt_balance_t b[64];
        size_t n = 0;
        rc = rt_msg_balances_parse(payload, len, b, 64, &n, &err);
        if (rc < 0)
            {
            bad_message(rs, channel, rc, &err);
            return;
        }
        pthread_mutex_lock(&rs->ctx->market_lock);
        memcpy(bb->b, b, n * sizeof b[0]);
        bb->n = n;
        bb->at_ms = rt_time_now_ms();
        pthread_mutex_unlock(&rs->ctx->market_lock);
        pf_hub_broadcast(&rs->ctx->hub, "balances", payload);
    } else if (strcmp(channel, "account:total_balance") == 0) {
        rt_total_balance_t t;
        rc = rt_msg_total_balance_parse(payload, len, &t, &err);
        if (rc < 0)
            {
            bad_message(rs, channel, rc, &err);
            return;
        }
        pf_hub_broadcast(&rs->ctx->hub, "total_balance", payload);
    } else if (has_prefix(channel, "logs:")) {
        rc = rt_msg_logline_parse(payload, len, &rs->logline, &err);
        if (rc < 0)
            {
            bad_message(rs, channel, rc, &err);
            return;
        }
        pf_hub_broadcast(&rs->ctx->hub, "log", payload);
    }
}

static void *recorder_main(void *arg)
{
    pf_ctx_t *ctx = arg;
    static const rec_t zero;
    rec_t rs = zero;
    rs.ctx = ctx;
    rt_bus_sub_t *sub = NULL;
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = ctx->cfg.redis_host;
    o.port = ctx->cfg.redis_port;
    o.client_name = "rt-portfolio-sub";
    o.connect_attempts = 1000;
    rt_db_opts_t dbo = {.attempts = 1000, .backoff_ms = 200, .application_name = "rt-portfolio"};
    int rc = rt_db_connect(ctx->conninfo, &dbo, &rs.db);
    if (rc < 0)
        goto out;
    (void)pf_books_seed_prices(ctx, rs.db);
    rc = rt_bus_sub_new(&o, &sub);
    if (rc < 0)
        goto out;
    static const char *const patterns[] = {"market:data:*", "market:ticker:*", "logs:*"};
    static const char *const channels[] = {"analyze:signal", "trader:events", "account:balances",
                                           "account:total_balance"};
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        if ((rc = rt_bus_sub_psubscribe(sub, patterns[i])) < 0 && rc != RT_ETIMEDOUT &&
            rc != RT_EPROTO)
            goto out;
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++)
        if ((rc = rt_bus_sub_subscribe(sub, channels[i])) < 0 && rc != RT_ETIMEDOUT &&
            rc != RT_EPROTO)
            goto out;
    rt_log_info("recorder", "subscribed market:data:* market:ticker:* logs:* analyze:signal "
                            "trader:events account:balances account:total_balance");
    int64_t period = ctx->cfg.snapshot_s * 1000;
    int64_t next_snapshot = rt_time_mono_ms() + period;
    int64_t next_ping = 0;
    while (!rt_sig_stopping()) {
        (void)rt_bus_sub_poll(sub, 500, on_message, &rs);
        atomic_store(&ctx->bus_up, rt_bus_sub_connected(sub));
        int64_t now = rt_time_mono_ms();
        if (rs.snapshot_due || now >= next_snapshot) {
            rs.snapshot_due = false;
            next_snapshot = now + period;
            rc = pf_books_snapshot(ctx, rs.db);
            if (rc == 0)
                rt_counter_inc(ctx->m_snapshots);
            else
                rt_log_warn("recorder", "balance snapshot failed err=%s", rt_strerror(rc));
        }
        if (now >= next_ping) {
            next_ping = now + 5000;
            atomic_store(&ctx->db_up, rt_db_exec(rs.db, "SELECT 1", 0, NULL, NULL) == 0);
        }
    }
    rc = 0;
out:
    if (rc < 0) {
        rt_log_error("recorder", "recorder cannot run, stopping the service err=%s",
                     rt_strerror(rc));
        rt_sig_request_stop();
    }
    rt_bus_sub_free(sub);
    rt_db_close(rs.db);
    return NULL;
}

int pf_recorder_start(pf_ctx_t *ctx)
{
    if (pthread_create(&ctx->recorder, NULL, recorder_main, ctx) != 0)
        return RT_ENOMEM;
    ctx->recorder_started = true;
    return 0;
}

void pf_recorder_join(pf_ctx_t *ctx)
{
    if (ctx->recorder_started)
        pthread_join(ctx->recorder, NULL);
    ctx->recorder_started = false;
}
