/* Deterministic signal ids (formatted only when a signal fires). */
#include "rt/signal_id.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rt/err.h"
#include "rt/types.h"

static bool part_ok(const char *s, bool may_be_empty)
{
    if (s == NULL || s[0] == '\0')
        return may_be_empty;
    for (; *s != '\0'; s++)
        if (*s == ':' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int rt_signal_make_id(const char *strategy, const char *symbol, const char *interval,
                      int64_t open_time, char *buf, size_t cap)
{
    if (!part_ok(strategy, false) || !part_ok(symbol, false) || !part_ok(interval, true) ||
        open_time < 0 || buf == NULL)
        return RT_EINVAL;
    char tmp[RT_ID_CAP * 4];
    int n = snprintf(tmp, sizeof tmp, "%s:%s:%s:%lld", strategy, symbol,
                     interval ? interval : "", (long long)open_time);
    if (n < 0 || (size_t)n >= sizeof tmp || (size_t)n >= cap)
        return RT_ETOOBIG;
    memcpy(buf, tmp, (size_t)n + 1);
    return RT_OK;
}
