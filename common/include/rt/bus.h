/* The Redis bus (ARCHITECTURE.md section 5, docs/BUS.md): a command connection for PUBLISH and
 * the `signals` stream, a subscriber on its own connection, and the log sink that publishes
 * log lines on logs:{service}.
 *
 * Handles are not thread-safe: one rt_bus_t / rt_bus_sub_t per thread (the log sink is the
 * exception, it has its own connection and lock). The process must ignore SIGPIPE
 * (rt_sig_install does): a write to a connection Redis closed is then reported as an error
 * instead of killing the process. Errors are rt_err codes; hiredis's own text goes to the log. */
#ifndef RT_BUS_H
#define RT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest host name, client name, channel, pattern, stream, group or consumer name (bytes,
 *  without the NUL). Longer ones are RT_EINVAL. */
#define RT_BUS_HOST_MAX 255
#define RT_BUS_NAME_MAX 255
/** Longest service name of the log sink. */
#define RT_BUS_SERVICE_MAX 64
/** Buffer size for a stream entry id ("1616554800000-0"; two 20-digit numbers and a dash). */
#define RT_BUS_ID_CAP 48
/** Longest BLOCK of rt_bus_xreadgroup, so that a service loop checks its stop flag. */
#define RT_BUS_BLOCK_MAX_MS 60000

/* ---------------------------------------------------------------------------------------- */
/* Connection options                                                                        */

typedef struct {
    const char *host;        /* borrowed during rt_bus_new / rt_bus_sub_new (copied) */
    int port;                /* 1..65535 */
    const char *client_name; /* shown in CLIENT LIST (CLIENT SETNAME); NULL for none; printable
                                ASCII without spaces; copied */
    int connect_timeout_ms;  /* per connect attempt, 1..60000 */
    int command_timeout_ms;  /* per reply, 1..60000 (XREADGROUP adds its BLOCK to it) */
    int connect_attempts;    /* attempts of the first connect (rt_bus_new / _sub_new), 1..1000 */
    int backoff_base_ms;     /* first pause between retries, 1..60000; doubles each time */
    int backoff_max_ms;      /* cap of the pause, backoff_base_ms..600000 */
} rt_bus_opts_t;

/** Fills o with the defaults: 127.0.0.1:6379, no client name, 2000 ms connect and command
 *  timeouts, 5 attempts, backoff 100 ms doubling to 5000 ms. The caller then sets what differs. */
void rt_bus_opts_init(rt_bus_opts_t *o);

/** Checks every field of o against the ranges above. Returns 0 or RT_EINVAL (o NULL included);
 *  logs which field is wrong. Pure: no I/O. */
int rt_bus_opts_validate(const rt_bus_opts_t *o);

/** The pause before reconnect attempt number `attempt` (0 for the first retry):
 *  d = min(max_ms, base_ms * 2^attempt), and the result is uniform in [d/2, d] ("equal
 *  jitter", so reconnecting services do not hammer Redis in step). *rng is the caller's
 *  xorshift state (any seed; 0 is replaced by a fixed one) and is advanced; rng NULL gives d
 *  (no jitter). Returns the pause in ms (>= 0); base_ms <= 0 gives 0, max_ms < base_ms caps
 *  at base_ms, a negative attempt counts as 0. */
int64_t rt_bus_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t *rng);

/* ---------------------------------------------------------------------------------------- */
/* Command connection: PUBLISH and streams                                                    */

typedef struct rt_bus rt_bus_t;

/** Connects to Redis (bounded retry: opts->connect_attempts attempts with backoff and jitter
 *  between them, each failure logged with hiredis's reason) and sets the client name.
 *  On success *out is a new handle the caller frees with rt_bus_free; opts is only read.
 *  Returns RT_EINVAL (bad options), RT_ENOMEM, RT_ECONN (every attempt failed). A stop request
 *  (rt_sig) cuts the pauses short. */
int rt_bus_new(const rt_bus_opts_t *opts, rt_bus_t **out);

/** Closes the connection and frees the handle. NULL is a no-op. */
void rt_bus_free(rt_bus_t *bus);

/** How many times the command connection was re-established after the first connect. */
uint64_t rt_bus_reconnects(const rt_bus_t *bus);

/* Every command below reconnects transparently: when the connection is gone (killed, Redis
 * restarted) the command is sent again once over a fresh connection. A command that reached
 * Redis before the drop may therefore run twice (at-least-once; a signal carries an id for
 * that). After a reconnect fails, commands fail fast with RT_ECONN until a backoff pause
 * (backoff_base_ms doubling to backoff_max_ms, with jitter) has passed, then one tries again.
 * Common errors: RT_EINVAL (NULL or invalid argument; nothing sent), RT_ECONN (no
 * connection even after one reconnect, or within the pause), RT_ETIMEDOUT (no reply within
 * command_timeout_ms; the connection is dropped and re-made by the next command, the command is
 * not retried, its outcome is unknown), RT_EPROTO (Redis answered with an error or an unexpected
 * reply; logged), RT_ENOMEM. */

/** PING. Returns 0 when Redis answers (for /health), or an error as above. */
int rt_bus_ping(rt_bus_t *bus);

/** PUBLISH channel data (binary-safe: len bytes of data, which may hold NULs; data may be NULL
 *  when len is 0). Returns the number of subscribers that received it (>= 0, capped at
 *  INT32_MAX) or a negative error as above. Borrowed arguments. */
int rt_bus_publish(rt_bus_t *bus, const char *channel, const void *data, size_t len);

/** XADD stream MAXLEN ~ maxlen * data <json>: appends one entry with the single field "data"
 *  holding len bytes of json. maxlen 0 means no cap (not used by the project); > 0 caps the
 *  stream approximately (Redis trims whole nodes, so it may hold somewhat more). On success the
 *  new entry id is written to id_out (id_cap >= RT_BUS_ID_CAP); id_out may be NULL.
 *  Returns 0 or an error as above (RT_EINVAL also for maxlen < 0 or id_cap too small). */
int rt_bus_xadd(rt_bus_t *bus, const char *stream, int64_t maxlen, const char *json, size_t len,
                char *id_out, size_t id_cap);

/** XLEN stream into *out (0 for a missing stream). Returns 0 or an error as above. */
int rt_bus_xlen(rt_bus_t *bus, const char *stream, int64_t *out);

/** XGROUP CREATE stream group start_id MKSTREAM. start_id is "$" (only new entries) or "0"
 *  (everything in the stream) or an entry id. A group that already exists (BUSYGROUP) is
 *  success, so every service can call this at start. Returns 0 or an error as above. */
int rt_bus_group_create(rt_bus_t *bus, const char *stream, const char *group,
                        const char *start_id);

/** One field/value pair of a stream entry. Both are binary-safe with a NUL after them. */
typedef struct {
    const char *field;
    size_t field_len;
    const char *value;
    size_t value_len;
} rt_bus_field_t;

/** One stream entry. `data`/`data_len` point at the value of the field "data" (what
 *  rt_bus_xadd writes) or are NULL/0 when there is none. An entry with nfields 0 was deleted
 *  from the stream (trimmed by MAXLEN) while it was pending: acknowledge it and move on. */
typedef struct {
    char id[RT_BUS_ID_CAP];
    size_t nfields;
    rt_bus_field_t *fields;
    const char *data;
    size_t data_len;
} rt_bus_entry_t;

/** Frees an entry array returned by rt_bus_xreadgroup / rt_bus_xautoclaim, with everything
 *  the entries point to (it is one allocation). NULL is a no-op. */
void rt_bus_entries_free(rt_bus_entry_t *entries);

/** XREADGROUP GROUP group consumer COUNT count [BLOCK block_ms] STREAMS stream id.
 *  id ">" reads entries never delivered to this group; "0" re-reads this consumer's own
 *  pending entries (delivered, not acknowledged: what a crashed predecessor of the same name
 *  left). count 1..10000; block_ms 0 returns at once, 1..RT_BUS_BLOCK_MAX_MS waits that long
 *  for new entries (Redis ignores BLOCK for "0"). Never blocks forever.
 *  On success *entries is a new array of *n entries (NULL and 0 when none arrived) that the
 *  caller frees with rt_bus_entries_free. If the connection drops after Redis delivered
 *  entries, they stay pending for this consumer: read them again with "0" or claim them.
 *  Returns 0 or an error as above; RT_ENOTFOUND when the stream or the group does not exist. */
int rt_bus_xreadgroup(rt_bus_t *bus, const char *stream, const char *group, const char *consumer,
                      const char *id, int count, int block_ms, rt_bus_entry_t **entries,
                      size_t *n);

/** XACK stream group id...: acknowledges n ids (1..1000). Returns the number Redis removed
 *  from the pending list (>= 0; ids that were not pending do not count) or an error as above. */
int rt_bus_xack(rt_bus_t *bus, const char *stream, const char *group, const char *const *ids,
                size_t n);

/** XAUTOCLAIM stream group consumer min_idle_ms start_id COUNT count: takes over entries that
 *  other consumers (dead ones) left pending for at least min_idle_ms and returns them like
 *  rt_bus_xreadgroup (*entries, *n; caller frees). start_id is "0-0" for a full scan; the cursor
 *  for the next call is written to next_id (next_cap >= RT_BUS_ID_CAP; "0-0" when the scan is
 *  complete; next_id may be NULL). Entries deleted from the stream meanwhile are dropped from
 *  the pending list by Redis and not returned. count 1..10000, min_idle_ms >= 0.
 *  Returns 0 or an error as above; RT_ENOTFOUND when the stream or the group does not exist. */
int rt_bus_xautoclaim(rt_bus_t *bus, const char *stream, const char *group, const char *consumer,
                      int64_t min_idle_ms, const char *start_id, int count,
                      rt_bus_entry_t **entries, size_t *n, char *next_id, size_t next_cap);

/** XPENDING stream group (summary form): writes to *count how many entries the group has
 *  delivered and not yet acknowledged. Returns 0 or an error as above; RT_ENOTFOUND when the
 *  stream or the group does not exist. */
int rt_bus_xpending_count(rt_bus_t *bus, const char *stream, const char *group, int64_t *count);

/** HSET key field value: sets one field of a hash (binary-safe value of len bytes; value may be
 *  NULL when len is 0). Returns 0 or an error as above (RT_EINVAL also for a bad key or field
 *  name). Borrowed arguments. */
int rt_bus_hset(rt_bus_t *bus, const char *key, const char *field, const void *value,
                size_t len);

/** Called by rt_bus_hgetall for each field of the hash. field and value are binary-safe (a NUL
 *  follows each) and borrowed: valid only during the call. */
typedef void (*rt_bus_hash_fn)(void *ud, const char *field, size_t field_len, const char *value,
                               size_t value_len);

/** HGETALL key: hands every field/value pair to fn(ud, ...) (nothing for a missing key) after
 *  checking the whole reply. Returns the number of fields (>= 0) or an error as above. */
int rt_bus_hgetall(rt_bus_t *bus, const char *key, rt_bus_hash_fn fn, void *ud);

/* ---------------------------------------------------------------------------------------- */
/* Subscriber                                                                                 */

typedef struct rt_bus_sub rt_bus_sub_t;

/** Called for each message. pattern is the matching pattern for a PSUBSCRIBE delivery, NULL
 *  for a SUBSCRIBE one (a message matching both is delivered twice, as Redis does). payload is
 *  binary-safe (len bytes, followed by a NUL). All pointers are borrowed and valid ONLY during
 *  the call: copy what you keep. The callback must not call rt_bus_sub_* on the same handle. */
typedef void (*rt_bus_msg_fn)(void *ud, const char *pattern, const char *channel,
                              const char *payload, size_t len);

/** Opens a subscriber connection (bounded retry like rt_bus_new). On success *out is a new
 *  handle, freed with rt_bus_sub_free. Returns RT_EINVAL, RT_ENOMEM or RT_ECONN. */
int rt_bus_sub_new(const rt_bus_opts_t *opts, rt_bus_sub_t **out);

/** Closes the connection and frees the handle. NULL is a no-op. */
void rt_bus_sub_free(rt_bus_sub_t *sub);

/** SUBSCRIBE channel, and waits (at most command_timeout_ms) for Redis to confirm it: once this
 *  returns 0, every message published on the channel reaches rt_bus_sub_poll. The channel is
 *  remembered and subscribed again after every reconnect; subscribing twice is harmless.
 *  Messages that arrive meanwhile on other subscriptions are kept for the next poll.
 *  Returns 0, RT_EINVAL (bad name), RT_ENOMEM, RT_ECONN (down and one reconnect attempt failed;
 *  nothing is remembered), RT_ETIMEDOUT or RT_EPROTO (the connection is then dropped and
 *  re-made by the next poll, with the channel remembered). */
int rt_bus_sub_subscribe(rt_bus_sub_t *sub, const char *channel);

/** PSUBSCRIBE pattern (glob style: "market:data:*"). Same contract as rt_bus_sub_subscribe. */
int rt_bus_sub_psubscribe(rt_bus_sub_t *sub, const char *pattern);

/** Waits at most timeout_ms (0..60000) for messages and hands each to fn(ud, ...); returns as
 *  soon as it has delivered what one read brought (or at the deadline, or early when a signal
 *  arrives). When the connection is down it reconnects with backoff and jitter and subscribes
 *  again to every channel and pattern; messages published while it was down are lost (pub/sub
 *  semantics: use the stream for what must not be lost). A reconnect attempt started before the
 *  deadline may overrun it by up to connect_timeout_ms + command_timeout_ms (a slow network, a
 *  hung server). It never busy-loops.
 *  Returns the number of messages delivered (>= 0), RT_EINVAL (NULL sub or fn, bad timeout),
 *  or RT_ECONN when the connection is still down at the deadline (the next call goes on
 *  trying; subscriptions are kept). */
int rt_bus_sub_poll(rt_bus_sub_t *sub, int timeout_ms, rt_bus_msg_fn fn, void *ud);

/** How many times the subscriber re-established its connection (and resubscribed). */
uint64_t rt_bus_sub_reconnects(const rt_bus_sub_t *sub);

/** True while the subscriber has a live, subscribed connection. */
bool rt_bus_sub_connected(const rt_bus_sub_t *sub);

/* ---------------------------------------------------------------------------------------- */
/* Log sink                                                                                   */

typedef struct rt_bus_log rt_bus_log_t;

/** Opens a log sink on ITS OWN connection to host:port and installs it with rt_log_set_sink():
 *  every INFO-and-above line is published on `logs:{service}` as
 *  {"ts":<ms>,"service":"...","level":"INFO","module":"...","msg":"..."}.
 *  It never blocks a service for long: short timeouts (250 ms), and while Redis is unreachable
 *  it drops lines (counted) and tries to reconnect at most once per backoff pause (1 s doubling
 *  to 30 s). Redis being down at attach time is therefore not an error.
 *  service: 1..RT_BUS_SERVICE_MAX bytes of printable ASCII without spaces, copied; the
 *  connection is named "<service>-log" in CLIENT LIST. On success *out is the new sink,
 *  removed and freed with rt_bus_log_detach. Only one sink is installed at a time (rt_log has one slot).
 *  Returns 0, RT_EINVAL or RT_ENOMEM. */
int rt_bus_log_attach(const char *host, int port, const char *service, rt_bus_log_t **out);

/** Uninstalls the sink (waits for a line being published), closes its connection and frees it.
 *  NULL is a no-op. */
void rt_bus_log_detach(rt_bus_log_t *log);

/** Lines published so far. Thread-safe. */
uint64_t rt_bus_log_published(rt_bus_log_t *log);

/** Lines dropped so far (Redis unreachable or slow). Thread-safe. */
uint64_t rt_bus_log_dropped(rt_bus_log_t *log);

#endif
