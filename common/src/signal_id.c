/* Deterministic signal ids. Formatted only when a signal fires, but strategies can fire on a
 * good share of candles, so this is plain copying rather than snprintf. */
#include "rt/signal_id.h"

#include <stdbool.h>
#include <string.h>

#include "rt/err.h"

/* Length of a part, or -1 when it holds ':' or a control character (or is missing and must
 * not be). */
static long part_len(const char *s, bool may_be_empty)
{
    if (s == NULL || s[0] == '\0')
        return may_be_empty ? 0 : -1;
    long n = 0;
    unsigned bad = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        bad |= (unsigned)(c < 0x20) | (unsigned)(c == ':') | (unsigned)(c == 0x7f);
    }
    return bad ? -1 : n;
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Writes the decimal digits of v before end (room for 20); returns where they start. Eight
 * digits at a time in 32-bit arithmetic, two per table lookup. */
static char *u64_digits(uint64_t v, char *end)
{
    char *p = end;
    while (v >= 100000000u) {
        uint32_t low = (uint32_t)(v % 100000000u);
        v /= 100000000u;
        for (int i = 0; i < 4; i++) {
            unsigned d = (low % 100) * 2;
            low /= 100;
            *--p = digit_pairs[d + 1];
            *--p = digit_pairs[d];
        }
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        unsigned d = (w % 100) * 2;
        w /= 100;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    }
    if (w >= 10) {
        unsigned d = w * 2;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    } else {
        *--p = (char)('0' + w);
    }
    return p;
}

int rt_signal_make_id(const char *strategy, const char *symbol, const char *interval,
                      int64_t open_time, char *buf, size_t cap)
{
    long ls = part_len(strategy, false), ly = part_len(symbol, false);
    long li = part_len(interval, true);
    if (ls < 0 || ly < 0 || li < 0 || open_time < 0 || buf == NULL)
        return RT_EINVAL;
    char digits[20];
    char *d = u64_digits((uint64_t)open_time, digits + sizeof digits);
    size_t nd = (size_t)(digits + sizeof digits - d);
    size_t len = (size_t)ls + (size_t)ly + (size_t)li + 3 + nd;
    if (len >= cap)
        return RT_ETOOBIG;
    char *p = buf;
    memcpy(p, strategy, (size_t)ls);
    p += ls;
    *p++ = ':';
    memcpy(p, symbol, (size_t)ly);
    p += ly;
    *p++ = ':';
    if (li > 0)
        memcpy(p, interval, (size_t)li);
    p += li;
    *p++ = ':';
    memcpy(p, d, nd);
    p[nd] = '\0';
    return RT_OK;
}

/* The last eight decimal digits of v (< 10^8), zero-padded, into p[0..8). */
static void digits8(uint32_t v, char *p)
{
    uint32_t a = v / 10000, b = v % 10000;
    memcpy(p, digit_pairs + (a / 100) * 2, 2);
    memcpy(p + 2, digit_pairs + (a % 100) * 2, 2);
    memcpy(p + 4, digit_pairs + (b / 100) * 2, 2);
    memcpy(p + 6, digit_pairs + (b % 100) * 2, 2);
}

/* The id from a cache that holds this strategy, symbol and interval. A time of 10^8 ms or more
 * is its leading digits (cached after the prefix: they change once every ~28 hours) and eight
 * more; the fixed-size copy of the whole prefix avoids a length-dispatched copy. */
static int cached_id(rt_signal_id_cache_t *cache, int64_t open_time, char *buf, size_t cap)
{
    if (open_time < 0 || buf == NULL)
        return RT_EINVAL;
    int64_t hi = open_time / 100000000;
    if (hi > 0 && cap >= sizeof cache->prefix) {
        if (hi != cache->hi) {
            char digits[20];
            char *d = u64_digits((uint64_t)hi, digits + sizeof digits);
            size_t nd = (size_t)(digits + sizeof digits - d);
            cache->hi = 0;
            if (cache->len + nd + 8 < sizeof cache->prefix) {
                memcpy(cache->prefix + cache->len, d, nd);
                cache->hi = hi;
                cache->hi_len = cache->len + nd;
            }
        }
        if (hi == cache->hi) {
            memcpy(buf, cache->prefix, sizeof cache->prefix);
            digits8((uint32_t)(open_time - hi * 100000000), buf + cache->hi_len);
            buf[cache->hi_len + 8] = '\0';
            return RT_OK;
        }
    }
    char digits[20];
    char *d = u64_digits((uint64_t)open_time, digits + sizeof digits);
    size_t nd = (size_t)(digits + sizeof digits - d);
    if (cache->len + nd >= cap)
        return RT_ETOOBIG;
    memcpy(buf, cache->prefix, cache->len);
    memcpy(buf + cache->len, d, nd);
    buf[cache->len + nd] = '\0';
    return RT_OK;
}

int rt_signal_make_id_cached(rt_signal_id_cache_t *cache, const char *strategy,
                             const char *symbol, const char *interval, int64_t open_time,
                             char *buf, size_t cap)
{
    if (cache == NULL || cache->len == 0 || cache->strategy != strategy || symbol == NULL ||
        strcmp(cache->symbol, symbol) != 0 || strcmp(cache->interval, interval ? interval : "") != 0) {
        int rc = rt_signal_make_id(strategy, symbol, interval, open_time, buf, cap);
        if (rc != RT_OK || cache == NULL)
            return rc;
        size_t ly = strlen(symbol), li = interval ? strlen(interval) : 0;
        const char *colon = strrchr(buf, ':');
        size_t lp = (size_t)(colon - buf) + 1;
        cache->len = 0;
        cache->hi = 0;
        if (ly < sizeof cache->symbol && li < sizeof cache->interval && lp < sizeof cache->prefix) {
            memcpy(cache->symbol, symbol, ly + 1);
            memcpy(cache->interval, interval ? interval : "", li + 1);
            memcpy(cache->prefix, buf, lp);
            cache->strategy = strategy;
            cache->len = lp;
        }
        return RT_OK;
    }
    return cached_id(cache, open_time, buf, cap);
}

int rt_signal_make_id_candle(rt_signal_id_cache_t *cache, const char *strategy,
                             const rt_candle_t *c, char *buf, size_t cap)
{
    _Static_assert(sizeof cache->symbol == sizeof c->symbol &&
                       sizeof cache->interval == sizeof c->interval,
                   "the cache holds a candle's arrays");
    if (cache == NULL || c == NULL)
        return RT_EINVAL;
    /* whole arrays, bytes past the NUL included: equal arrays are equal names (a candle with
     * other bytes past its NUL only misses the cache) */
    if (cache->len != 0 && cache->strategy == strategy &&
        memcmp(cache->symbol, c->symbol, sizeof cache->symbol) == 0 &&
        memcmp(cache->interval, c->interval, sizeof cache->interval) == 0)
        return cached_id(cache, c->open_time, buf, cap);
    if (memchr(c->symbol, '\0', sizeof c->symbol) == NULL ||
        memchr(c->interval, '\0', sizeof c->interval) == NULL)
        return RT_EINVAL;
    int rc = rt_signal_make_id(strategy, c->symbol, c->interval, c->open_time, buf, cap);
    if (rc != RT_OK)
        return rc;
    size_t lp = (size_t)(strrchr(buf, ':') - buf) + 1;
    cache->len = 0;
    cache->hi = 0;
    if (lp < sizeof cache->prefix) {
        memcpy(cache->symbol, c->symbol, sizeof cache->symbol);
        memcpy(cache->interval, c->interval, sizeof cache->interval);
        memcpy(cache->prefix, buf, lp);
        cache->strategy = strategy;
        cache->len = lp;
    }
    return RT_OK;
}
