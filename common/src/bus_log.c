/* The log sink: publishes INFO-and-above lines on logs:{service} over its own connection.
 * It runs inside rt_log_write (under the log's lock), so it must never stall a service: short
 * timeouts, and while Redis is unreachable it drops lines and retries the connection at most
 * once per backoff pause. Lines it logs itself go to stderr only (rt_log does not re-enter a
 * sink). Lock order: the log's lock, then ours; nothing here logs while holding ours outside the
 * sink, so the order never reverses. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bus_internal.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/time.h"

#define MOD "bus"
#define LOG_TIMEOUT_MS 250
#define LOG_BACKOFF_BASE_MS 1000
#define LOG_BACKOFF_MAX_MS 30000

struct rt_bus_log {
    pthread_mutex_t lock;
    rt_bus__cfg_t cfg;
    char service[RT_BUS_SERVICE_MAX + 1];
    char channel[RT_BUS_SERVICE_MAX + 8];
    redisContext *ctx; /* NULL while disconnected */
    uint64_t published;
    uint64_t dropped;
    uint64_t rng;
    int failed_attempts;
    int64_t next_attempt_ms;
    bool down; /* reported as down on stderr; cleared (and reported) when back */
};

/* json_string() accepts only UTF-8: anything else is carried with its odd bytes as '?'. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL || s == NULL)
        return j;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    j = json_string(copy);
    free(copy);
    return j;
}

/* The line as {"ts":..,"service":..,"level":..,"module":..,"msg":..}; NULL when out of memory. */
static char *format_line(const rt_bus_log_t *lg, int64_t ts_ms, rt_log_level_t level,
                         const char *module, const char *msg)
{
    char *out = NULL;
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "ts", json_integer(ts_ms)) != 0 ||
        json_object_set_new(o, "service", json_string(lg->service)) != 0 ||
        json_object_set_new(o, "level", json_string(rt_log_level_name(level))) != 0 ||
        json_object_set_new(o, "module", json_text(module ? module : "-")) != 0 ||
        json_object_set_new(o, "msg", json_text(msg ? msg : "")) != 0)
        goto out;
    out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(o);
    return out;
}

/* Connects when the backoff allows it. Called with lg->lock held. */
static bool log_connected(rt_bus_log_t *lg)
{
    if (lg->ctx != NULL)
        return true;
    int64_t now = rt_time_mono_ms();
    if (now < lg->next_attempt_ms)
        return false;
    if (rt_bus__connect_once(&lg->cfg, "log", 0, 0, &lg->ctx) != RT_OK) {
        int64_t pause = rt_bus_backoff_ms(lg->failed_attempts++, LOG_BACKOFF_BASE_MS,
                                          LOG_BACKOFF_MAX_MS, &lg->rng);
        lg->next_attempt_ms = now + pause;
        if (!lg->down)
            rt_log_warn(MOD, "log sink cannot reach redis, dropping lines host=%s port=%d",
                        lg->cfg.host, lg->cfg.port);
        lg->down = true;
        return false;
    }
    lg->failed_attempts = 0;
    if (lg->down)
        rt_log_info(MOD, "log sink connected again host=%s port=%d dropped=%llu", lg->cfg.host,
                    lg->cfg.port, (unsigned long long)lg->dropped);
    lg->down = false;
    return true;
}

static void log_sink(void *ud, int64_t ts_ms, rt_log_level_t level, const char *service,
                     const char *module, const char *msg)
{
    rt_bus_log_t *lg = ud;
    (void)service; /* the service given to rt_bus_log_attach names the channel and the field */
    char *line = format_line(lg, ts_ms, level, module, msg);
    pthread_mutex_lock(&lg->lock);
    if (line == NULL || !log_connected(lg)) {
        lg->dropped++;
        goto out;
    }
    const char *argv[] = {"PUBLISH", lg->channel, line};
    errno = 0;
    redisReply *r = redisCommandArgv(lg->ctx, 3, argv, NULL);
    if (r == NULL) {
        /* Killed: reconnect at the next line. Stalled (no reply in time): wait out a backoff
         * pause first, or every line would wait the timeout again. */
        int rc = rt_bus__ctx_error(lg->ctx, errno);
        rt_log_warn(MOD, "log sink lost redis err=%s", lg->ctx->errstr);
        redisFree(lg->ctx);
        lg->ctx = NULL;
        lg->down = true;
        lg->dropped++;
        if (rc == RT_ETIMEDOUT)
            lg->next_attempt_ms =
                rt_time_mono_ms() + rt_bus_backoff_ms(lg->failed_attempts++, LOG_BACKOFF_BASE_MS,
                                                      LOG_BACKOFF_MAX_MS, &lg->rng);
        goto out;
    }
    if (r->type == REDIS_REPLY_INTEGER)
        lg->published++;
    else
        lg->dropped++;
    freeReplyObject(r);
out:
    pthread_mutex_unlock(&lg->lock);
    free(line);
}

int rt_bus_log_attach(const char *host, int port, const char *service, rt_bus_log_t **out)
{
    if (out == NULL || !rt_bus__valid_client_name(service, RT_BUS_SERVICE_MAX))
        return RT_EINVAL;
    char name[RT_BUS_SERVICE_MAX + 8];
    snprintf(name, sizeof name, "%s-log", service); /* fits: service is at most 64 bytes */
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = host;
    o.port = port;
    o.client_name = name;
    o.connect_timeout_ms = LOG_TIMEOUT_MS;
    o.command_timeout_ms = LOG_TIMEOUT_MS;
    o.connect_attempts = 1;
    rt_bus_log_t *lg = calloc(1, sizeof *lg);
    if (lg == NULL)
        return RT_ENOMEM;
    int rc = rt_bus__cfg_from_opts(&o, &lg->cfg);
    if (rc != RT_OK) {
        free(lg);
        return rc;
    }
    if (pthread_mutex_init(&lg->lock, NULL) != 0) {
        free(lg);
        return RT_ENOMEM;
    }
    memcpy(lg->service, service, strlen(service) + 1);
    snprintf(lg->channel, sizeof lg->channel, "logs:%s", service);
    lg->rng = rt_bus__seed(lg);
    /* The connection is made by the first line (and it may be down: not an error). */
    rt_log_set_sink(log_sink, lg);
    *out = lg;
    return RT_OK;
}

void rt_bus_log_detach(rt_bus_log_t *lg)
{
    if (lg == NULL)
        return;
    rt_log_set_sink(NULL, NULL); /* takes the log's lock: no line is being published after it */
    if (lg->ctx != NULL)
        redisFree(lg->ctx);
    pthread_mutex_destroy(&lg->lock);
    free(lg);
}

uint64_t rt_bus_log_published(rt_bus_log_t *lg)
{
    if (lg == NULL)
        return 0;
    pthread_mutex_lock(&lg->lock);
    uint64_t n = lg->published;
    pthread_mutex_unlock(&lg->lock);
    return n;
}

uint64_t rt_bus_log_dropped(rt_bus_log_t *lg)
{
    if (lg == NULL)
        return 0;
    pthread_mutex_lock(&lg->lock);
    uint64_t n = lg->dropped;
    pthread_mutex_unlock(&lg->lock);
    return n;
}
