/* Logging: one line per event on stderr (the supervisor writes one file per service):
 *   2026-11-21T22:40:01.123Z INFO  gateway ws: connected host=localhost port=9090
 * i.e. UTC time with milliseconds, level, service, module, message with key=value fields.
 * The level is checked before anything is formatted. Never log a key, secret or signature.
 * INFO and above also go to an attached sink (the bus publishes them on logs:{service}). */
#ifndef RT_LOG_H
#define RT_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    RT_LOG_DEBUG = 0,
    RT_LOG_INFO = 1,
    RT_LOG_WARN = 2,
    RT_LOG_ERROR = 3,
} rt_log_level_t;

/** Sets the service name (copied, at most 31 bytes) and the minimum level. Call once at start;
 *  before it, lines carry the service "-" and level INFO. */
void rt_log_init(const char *service, rt_log_level_t level);

/** Parses "debug" | "info" | "warn" | "warning" | "error" (any case). RT_EINVAL otherwise. */
int rt_log_level_parse(const char *s, rt_log_level_t *out);

/** Upper-case name of a level ("INFO"). */
const char *rt_log_level_name(rt_log_level_t level);

/** True when lines of this level are written. */
bool rt_log_enabled(rt_log_level_t level);

/** Writes one line (use the macros below, which check the level first). Thread-safe: the line
 *  is written with a single write(2). Newlines in the message are replaced by spaces. */
void rt_log_write(rt_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A sink receives every line of INFO and above, already formatted as the message part
 *  (without time, level, service, module). It is called under the log's lock, never
 *  re-entered: a sink that logs is not called again for its own lines. */
typedef void (*rt_log_sink_fn)(void *ud, int64_t ts_ms, rt_log_level_t level,
                               const char *service, const char *module, const char *msg);

/** Attaches (or, with fn NULL, detaches) the sink. */
void rt_log_set_sink(rt_log_sink_fn fn, void *ud);

#define RT_LOG(level, module, ...)                                                                 \
    do {                                                                                           \
        if (rt_log_enabled(level))                                                                 \
            rt_log_write(level, module, __VA_ARGS__);                                              \
    } while (0)
#define rt_log_debug(module, ...) RT_LOG(RT_LOG_DEBUG, module, __VA_ARGS__)
#define rt_log_info(module, ...) RT_LOG(RT_LOG_INFO, module, __VA_ARGS__)
#define rt_log_warn(module, ...) RT_LOG(RT_LOG_WARN, module, __VA_ARGS__)
#define rt_log_error(module, ...) RT_LOG(RT_LOG_ERROR, module, __VA_ARGS__)

#endif
