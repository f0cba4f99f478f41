/* The bus's subscriber: its own connection in subscribed mode, read with poll(2) on the hiredis
 * socket and redisBufferRead/redisGetReplyFromReader, so a service loop waits at most its
 * timeout. After a drop it reconnects with backoff and jitter and subscribes again to every
 * channel and pattern it remembers. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

#define MOD "bus"
#define POLL_MAX_MS 60000

typedef struct {
    char **v;
    size_t n, cap;
} name_list_t;

struct rt_bus_sub {
    rt_bus__cfg_t cfg;
    redisContext *ctx; /* NULL while disconnected */
    name_list_t channels;
    name_list_t patterns;
    /* Messages that arrived while a subscribe waited for its confirmation; poll delivers
     * them first. */
    redisReply **queue;
    size_t qlen, qcap;
    uint64_t reconnects;
    uint64_t rng;
    int failed_attempts;     /* reconnect attempts failed since the drop */
    int64_t next_attempt_ms; /* monotonic time of the next reconnect attempt */
};

static bool list_has(const name_list_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], s) == 0)
            return true;
    }
    return false;
}

static int list_add(name_list_t *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return RT_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return RT_ENOMEM;
    memcpy(copy, s, len + 1);
    l->v[l->n++] = copy;
    return RT_OK;
}

static void list_free(name_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (name_list_t){0};
}

static int queue_push(rt_bus_sub_t *sub, redisReply *r)
{
    if (sub->qlen == sub->qcap) {
        size_t cap = sub->qcap ? sub->qcap * 2 : 16;
        redisReply **q = realloc(sub->queue, cap * sizeof *q);
        if (q == NULL)
            return RT_ENOMEM;
        sub->queue = q;
        sub->qcap = cap;
    }
    sub->queue[sub->qlen++] = r;
    return RT_OK;
}

static void sub_drop(rt_bus_sub_t *sub, const char *why)
{
    if (sub->ctx == NULL)
        return;
    rt_log_warn(MOD, "subscriber connection lost host=%s port=%d err=%s", sub->cfg.host,
                sub->cfg.port, why);
    redisFree(sub->ctx);
    sub->ctx = NULL;
    /* next_attempt_ms lies in the past (or is 0): the first reconnect is immediate */
}

static bool str_is(const redisReply *r, const char *s)
{
    size_t n = strlen(s);
    return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
           r->len == n && memcmp(r->str, s, n) == 0;
}

static bool is_bulk(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_STRING;
}

typedef enum { PUSH_MESSAGE, PUSH_CONFIRM, PUSH_OTHER } push_kind_t;

static push_kind_t classify(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
        return PUSH_OTHER;
    const redisReply *kind = r->element[0];
    if (r->elements == 3 && str_is(kind, "message") && is_bulk(r->element[1]) &&
        is_bulk(r->element[2]))
        return PUSH_MESSAGE;
    if (r->elements == 4 && str_is(kind, "pmessage") && is_bulk(r->element[1]) &&
        is_bulk(r->element[2]) && is_bulk(r->element[3]))
        return PUSH_MESSAGE;
    if (r->elements == 3 && (str_is(kind, "subscribe") || str_is(kind, "psubscribe")))
        return PUSH_CONFIRM;
    return PUSH_OTHER;
}

static void deliver(const redisReply *r, rt_bus_msg_fn fn, void *ud)
{
    if (r->elements == 3)
        fn(ud, NULL, r->element[1]->str, r->element[2]->str, r->element[2]->len);
    else
        fn(ud, r->element[1]->str, r->element[2]->str, r->element[3]->str, r->element[3]->len);
}

static void log_other(const redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR) {
        int len = r->len > 200 ? 200 : (int)r->len;
        rt_log_warn(MOD, "subscriber got an error reply err=%.*s", len, r->str);
    } else if (!(r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
                 (str_is(r->element[0], "pong") || str_is(r->element[0], "unsubscribe") ||
                  str_is(r->element[0], "punsubscribe")))) {
        rt_log_warn(MOD, "subscriber ignored an unexpected reply type=%d elements=%zu", r->type,
                    r->type == REDIS_REPLY_ARRAY ? r->elements : (size_t)0);
    }
}

/* Gives the next reply: 1 and *out (caller frees) when one arrived, 0 when the deadline
 * passed (or a stop was requested), negative when the connection failed (then dropped). */
static int read_reply(rt_bus_sub_t *sub, int64_t deadline, redisReply **out)
{
    for (;;) {
        void *r = NULL;
        if (redisGetReplyFromReader(sub->ctx, &r) != REDIS_OK) {
            sub_drop(sub, sub->ctx->errstr);
            return RT_EPROTO;
        }
        if (r != NULL) {
            *out = r;
            return 1;
        }
        int64_t left = deadline - rt_time_mono_ms();
        if (left < 0)
            left = 0; /* still look once at the socket */
        struct pollfd p = {.fd = sub->ctx->fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)(left > POLL_MAX_MS ? POLL_MAX_MS : left));
        if (ready < 0) {
            if (errno == EINTR) {
                if (rt_sig_stopping())
                    return 0;
                continue;
            }
            sub_drop(sub, "poll failed");
            return RT_ECONN;
        }
        if (ready == 0) {
            if (rt_time_mono_ms() >= deadline)
                return 0;
            continue;
        }
        errno = 0;
        if (redisBufferRead(sub->ctx) != REDIS_OK) {
            int rc = rt_bus__ctx_error(sub->ctx, errno);
            sub_drop(sub, sub->ctx->errstr);
            return rc == RT_ETIMEDOUT ? RT_ECONN : rc;
        }
    }
}

/* Writes the command and flushes it to the socket (bounded by the socket's write timeout). */
static int send_command(rt_bus_sub_t *sub, int argc, const char **argv)
{
    if (redisAppendCommandArgv(sub->ctx, argc, argv, NULL) != REDIS_OK) {
        sub_drop(sub, sub->ctx->errstr);
        return RT_ENOMEM;
    }
    int done = 0;
    while (!done) {
        if (redisBufferWrite(sub->ctx, &done) != REDIS_OK) {
            sub_drop(sub, sub->ctx->errstr);
            return RT_ECONN;
        }
    }
    return RT_OK;
}

/* Reads until `expected` subscribe/psubscribe confirmations arrived, keeping messages for the
 * next poll. On failure the connection is dropped. */
static int wait_confirms(rt_bus_sub_t *sub, size_t expected)
{
    int64_t deadline = rt_time_mono_ms() + sub->cfg.command_timeout_ms;
    while (expected > 0) {
        redisReply *r = NULL;
        int rc = read_reply(sub, deadline, &r);
        if (rc == 0) {
            sub_drop(sub, "no subscribe confirmation in time");
            return RT_ETIMEDOUT;
        }
        if (rc < 0)
            return rc;
        switch (classify(r)) {
        case PUSH_CONFIRM:
            expected--;
            freeReplyObject(r);
            break;
        case PUSH_MESSAGE:
            if (queue_push(sub, r) != RT_OK) {
                freeReplyObject(r);
                rt_log_warn(MOD, "subscriber dropped a message: out of memory");
            }
            break;
        case PUSH_OTHER: {
            log_other(r);
            bool refused = r->type == REDIS_REPLY_ERROR;
            freeReplyObject(r);
            if (refused) {
                sub_drop(sub, "subscribe refused");
                return RT_EPROTO;
            }
            break;
        }
        }
    }
    return RT_OK;
}

/* SUBSCRIBE / PSUBSCRIBE every name of the list in one command and waits for the
 * confirmations. */
static int subscribe_all(rt_bus_sub_t *sub, const char *cmd, const name_list_t *l)
{
    if (l->n == 0)
        return RT_OK;
    if (l->n > (size_t)INT32_MAX - 1)
        return RT_ERANGE;
    const char **argv = malloc((l->n + 1) * sizeof *argv);
    if (argv == NULL)
        return RT_ENOMEM;
    argv[0] = cmd;
    for (size_t i = 0; i < l->n; i++)
        argv[i + 1] = l->v[i];
    int rc = send_command(sub, (int)(l->n + 1), argv);
    free(argv);
    if (rc != RT_OK)
        return rc;
    return wait_confirms(sub, l->n);
}

/* One attempt: connect, then subscribe again to everything remembered. */
static int sub_reconnect(rt_bus_sub_t *sub)
{
    int rc = rt_bus__connect_once(&sub->cfg, "subscriber", 0, 0, &sub->ctx);
    if (rc != RT_OK)
        return rc;
    rc = subscribe_all(sub, "SUBSCRIBE", &sub->channels);
    if (rc == RT_OK)
        rc = subscribe_all(sub, "PSUBSCRIBE", &sub->patterns);
    if (rc != RT_OK) {
        sub_drop(sub, "resubscribe failed");
        return rc;
    }
    sub->reconnects++;
    sub->failed_attempts = 0;
    rt_log_info(MOD,
                "subscriber reconnected host=%s port=%d channels=%zu patterns=%zu "
                "reconnects=%llu",
                sub->cfg.host, sub->cfg.port, sub->channels.n, sub->patterns.n,
                (unsigned long long)sub->reconnects);
    return RT_OK;
}

int rt_bus_sub_new(const rt_bus_opts_t *opts, rt_bus_sub_t **out)
{
    int rc;
    if (out == NULL)
        return RT_EINVAL;
    rt_bus_sub_t *sub = calloc(1, sizeof *sub);
    if (sub == NULL)
        return RT_ENOMEM;
    rc = rt_bus__cfg_from_opts(opts, &sub->cfg);
    if (rc != RT_OK)
        goto out;
    sub->rng = rt_bus__seed(sub);
    rc = rt_bus__connect_retry(&sub->cfg, "subscriber", &sub->rng, &sub->ctx);
    if (rc != RT_OK)
        goto out;
    rt_log_info(MOD, "connected role=subscriber host=%s port=%d", sub->cfg.host, sub->cfg.port);
    *out = sub;
    sub = NULL;
out:
    rt_bus_sub_free(sub);
    return rc;
}

void rt_bus_sub_free(rt_bus_sub_t *sub)
{
    if (sub == NULL)
        return;
    if (sub->ctx != NULL)
        redisFree(sub->ctx);
    for (size_t i = 0; i < sub->qlen; i++)
        freeReplyObject(sub->queue[i]);
    free(sub->queue);
    list_free(&sub->channels);
    list_free(&sub->patterns);
    free(sub);
}

static int subscribe_one(rt_bus_sub_t *sub, const char *cmd, name_list_t *l, const char *name)
{
    if (sub == NULL || !rt_bus__valid_name(name))
        return RT_EINVAL;
    if (list_has(l, name))
        return RT_OK; /* subscribed now, or again at the next reconnect */
    if (sub->ctx == NULL) {
        int rc = sub_reconnect(sub);
        if (rc != RT_OK)
            return rc == RT_ENOMEM ? rc : RT_ECONN;
    }
    int rc = list_add(l, name);
    if (rc != RT_OK)
        return rc;
    const char *argv[] = {cmd, name};
    rc = send_command(sub, 2, argv);
    if (rc == RT_OK)
        rc = wait_confirms(sub, 1);
    if (rc == RT_OK)
        rt_log_info(MOD, "subscribed cmd=%s name=%s", cmd, name);
    return rc;
}

int rt_bus_sub_subscribe(rt_bus_sub_t *sub, const char *channel)
{
    return subscribe_one(sub, "SUBSCRIBE", sub ? &sub->channels : NULL, channel);
}

int rt_bus_sub_psubscribe(rt_bus_sub_t *sub, const char *pattern)
{
    return subscribe_one(sub, "PSUBSCRIBE", sub ? &sub->patterns : NULL, pattern);
}

static int deliver_queue(rt_bus_sub_t *sub, rt_bus_msg_fn fn, void *ud)
{
    int delivered = 0;
    for (size_t i = 0; i < sub->qlen; i++) {
        deliver(sub->queue[i], fn, ud);
        freeReplyObject(sub->queue[i]);
        delivered++;
    }
    sub->qlen = 0;
    return delivered;
}

int rt_bus_sub_poll(rt_bus_sub_t *sub, int timeout_ms, rt_bus_msg_fn fn, void *ud)
{
    if (sub == NULL || fn == NULL || timeout_ms < 0 || timeout_ms > POLL_MAX_MS)
        return RT_EINVAL;
    int64_t deadline = rt_time_mono_ms() + timeout_ms;
    int delivered = deliver_queue(sub, fn, ud);
    for (;;) {
        if (delivered > 0)
            return delivered;
        int64_t now = rt_time_mono_ms();
        if (sub->ctx == NULL) {
            if (now >= sub->next_attempt_ms) {
                if (sub_reconnect(sub) == RT_OK) {
                    delivered = deliver_queue(sub, fn, ud);
                    continue;
                }
                int64_t pause = rt_bus_backoff_ms(sub->failed_attempts++, sub->cfg.backoff_base_ms,
                                                  sub->cfg.backoff_max_ms, &sub->rng);
                sub->next_attempt_ms = rt_time_mono_ms() + pause;
                rt_log_warn(MOD, "subscriber reconnect failed attempt=%d next_in_ms=%lld",
                            sub->failed_attempts, (long long)pause);
            }
            now = rt_time_mono_ms();
            if (now >= deadline || rt_sig_stopping())
                return RT_ECONN;
            int64_t until = sub->next_attempt_ms < deadline ? sub->next_attempt_ms : deadline;
            rt_time_sleep_ms(until - now);
            continue;
        }
        redisReply *r = NULL;
        int rc = read_reply(sub, deadline, &r);
        if (rc == 0)
            return 0; /* deadline (or stop request) with nothing to deliver */
        if (rc < 0)
            continue; /* dropped: reconnect now */
        /* Deliver this reply and whatever else the same read brought. */
        do {
            if (classify(r) == PUSH_MESSAGE) {
                deliver(r, fn, ud);
                delivered++;
            } else {
                log_other(r);
            }
            freeReplyObject(r);
            void *next = NULL;
            if (redisGetReplyFromReader(sub->ctx, &next) != REDIS_OK) {
                sub_drop(sub, sub->ctx->errstr);
                break;
            }
            r = next;
        } while (r != NULL);
        if (delivered == 0 && rt_time_mono_ms() >= deadline)
            return sub->ctx != NULL ? 0 : RT_ECONN;
    }
}

uint64_t rt_bus_sub_reconnects(const rt_bus_sub_t *sub)
{
    return sub != NULL ? sub->reconnects : 0;
}

bool rt_bus_sub_connected(const rt_bus_sub_t *sub)
{
    return sub != NULL && sub->ctx != NULL;
}
