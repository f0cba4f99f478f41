/* --since/--until times: see fetch.h. Apart from fetch.c so that rt-backtest, which only hands
 * the times to rt-backtest-fetch, does not link the REST client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backtest/fetch.h"
#include "rt/err.h"

int bt_parse_time(const char *s, int64_t *out)
{
    if (s == NULL || out == NULL || *s == '\0')
        return RT_EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return RT_OK;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    char sep = 0, extra = 0;
    int n = sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%c", &y, &mo, &d, &sep, &h, &mi, &sec, &extra);
    if (!(n == 3 || ((n == 6 || n == 7) && (sep == 'T' || sep == ' '))))
        return RT_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 ||
        h < 0 || mi < 0 || sec < 0)
        return RT_EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return RT_EINVAL;
    *out = (int64_t)t * 1000;
    return RT_OK;
}
