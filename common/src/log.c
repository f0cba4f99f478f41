#include "rt/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rt/err.h"
#include "rt/time.h"

#define LINE_MAX_BYTES 4096

/* Set once at start (rt_log_init, rt_log_set_sink) and read everywhere: the log level is the
 * global STYLE.md allows; the service name and the sink belong with it. */
static struct {
    char service[32];
    rt_log_level_t level;
    rt_log_sink_fn sink;
    void *sink_ud;
    pthread_mutex_t sink_lock;
} g_log = {.service = "-", .level = RT_LOG_INFO, .sink_lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local int t_in_sink;

void rt_log_init(const char *service, rt_log_level_t level)
{
    snprintf(g_log.service, sizeof g_log.service, "%s", service ? service : "-");
    g_log.level = level;
}

int rt_log_level_parse(const char *s, rt_log_level_t *out)
{
    static const struct {
        const char *name;
        rt_log_level_t level;
    } names[] = {{"debug", RT_LOG_DEBUG}, {"info", RT_LOG_INFO},   {"warn", RT_LOG_WARN},
                 {"warning", RT_LOG_WARN}, {"error", RT_LOG_ERROR}};
    if (s == NULL)
        return RT_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return RT_OK;
        }
    }
    return RT_EINVAL;
}

const char *rt_log_level_name(rt_log_level_t level)
{
    switch (level) {
    case RT_LOG_DEBUG: return "DEBUG";
    case RT_LOG_INFO: return "INFO";
    case RT_LOG_WARN: return "WARN";
    case RT_LOG_ERROR: return "ERROR";
    default: return "?";
    }
}

bool rt_log_enabled(rt_log_level_t level)
{
    return level >= g_log.level;
}

void rt_log_set_sink(rt_log_sink_fn fn, void *ud)
{
    pthread_mutex_lock(&g_log.sink_lock);
    g_log.sink = fn;
    g_log.sink_ud = ud;
    pthread_mutex_unlock(&g_log.sink_lock);
}

void rt_log_write(rt_log_level_t level, const char *module, const char *fmt, ...)
{
    if (!rt_log_enabled(level))
        return;
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "(unformattable log message)");
    else if ((size_t)n >= sizeof msg)
        memcpy(msg + sizeof msg - 4, "...", 4); /* keep the line, mark the cut */
    for (char *p = msg; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }

    int64_t now = rt_time_now_ms();
    char ts[32];
    if (rt_time_format_iso(now, ts, sizeof ts) == 0)
        snprintf(ts, sizeof ts, "%lld", (long long)now);
    char line[LINE_MAX_BYTES + 128];
    int len = snprintf(line, sizeof line, "%s %-5s %s %s: %s\n", ts, rt_log_level_name(level),
                       g_log.service, module ? module : "-", msg);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof line) {
        len = (int)sizeof line - 1;
        line[len - 1] = '\n';
    }
    /* One write(2) per line, so lines of concurrent threads do not interleave. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)len);
    (void)w;

    if (level < RT_LOG_INFO || t_in_sink)
        return;
    pthread_mutex_lock(&g_log.sink_lock);
    if (g_log.sink) {
        t_in_sink = 1;
        g_log.sink(g_log.sink_ud, now, level, g_log.service, module ? module : "-", msg);
        t_in_sink = 0;
    }
    pthread_mutex_unlock(&g_log.sink_lock);
}
