/* Internals shared by bus.c, bus_sub.c, bus_stream.c and bus_log.c (rt_bus__ prefix, not part
 * of the public API; the unit test includes it to check the reply parser without a server). */
#ifndef RT_BUS_INTERNAL_H
#define RT_BUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "rt/bus.h"

/** Validated, owned copy of rt_bus_opts_t. */
typedef struct {
    char host[RT_BUS_HOST_MAX + 1];
    int port;
    char name[RT_BUS_NAME_MAX + 1]; /* "" = no CLIENT SETNAME */
    int connect_timeout_ms;
    int command_timeout_ms;
    int connect_attempts;
    int backoff_base_ms;
    int backoff_max_ms;
} rt_bus__cfg_t;

/** Validates opts and copies them into *cfg. RT_EINVAL (logged) or 0. */
int rt_bus__cfg_from_opts(const rt_bus_opts_t *opts, rt_bus__cfg_t *cfg);

/** True for 1..RT_BUS_NAME_MAX bytes (channel, pattern, stream, group, consumer). */
bool rt_bus__valid_name(const char *s);

/** True for a client name CLIENT SETNAME accepts: 1..max bytes of '!'..'~'. */
bool rt_bus__valid_client_name(const char *s, size_t max);

/** A seed for rt_bus_backoff_ms's generator, different per handle and process. */
uint64_t rt_bus__seed(const void *p);

/** One connect attempt: connect with the connect timeout, set the command timeout on the
 *  socket, TCP keepalive, CLIENT SETNAME. role names the connection in the log; attempt and
 *  attempts (both 0 outside a retry sequence) go into the failure line with hiredis's errstr.
 *  On success *out is a new context (redisFree). RT_ECONN, RT_ENOMEM or RT_EPROTO. */
int rt_bus__connect_once(const rt_bus__cfg_t *cfg, const char *role, int attempt, int attempts,
                         redisContext **out);

/** cfg->connect_attempts attempts with backoff between them (cut short by a stop request). */
int rt_bus__connect_retry(const rt_bus__cfg_t *cfg, const char *role, uint64_t *rng,
                          redisContext **out);

/** Sets the socket's read/write timeout. 0 or RT_ECONN. */
int rt_bus__set_timeout(redisContext *c, int ms);

/** Turns a failed context (c->err set) into an rt_err code; saved_errno is errno right after
 *  the failing call (a socket timeout shows as EAGAIN). */
int rt_bus__ctx_error(const redisContext *c, int saved_errno);

/** Maps an error reply (logged with the command and key) to RT_ENOTFOUND for NOGROUP, else
 *  RT_EPROTO. */
int rt_bus__reply_error(const char *cmd, const char *key, const redisReply *r);

/** Sends argv over the command connection (reconnecting and retrying once after an I/O
 *  error) and gives back the reply, error replies included (caller: freeReplyObject).
 *  extra_timeout_ms is added to the command timeout for this one call (XREADGROUP BLOCK). */
int rt_bus__command(rt_bus_t *bus, int argc, const char **argv, const size_t *lens,
                    int extra_timeout_ms, redisReply **out);

/** Parses an array of stream entries ([id, [field, value, ...]] each; [id, nil] for a deleted
 *  entry; nil elements skipped) into one allocation. *out NULL and *n 0 when empty.
 *  RT_EPROTO for any other shape, RT_ENOMEM, RT_ERANGE for absurd sizes. */
int rt_bus__parse_entries(const redisReply *list, rt_bus_entry_t **out, size_t *n);

#endif
