#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

void sim_buf_init(sim_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void sim_buf_cleanup(sim_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sim_buf_reset(sim_buf_t *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

const char *sim_buf_str(const sim_buf_t *b)
{
    return b->data ? b->data : "";
}

int sim_buf_err(const sim_buf_t *b)
{
    return b->err;
}

/* Makes room for `extra` more bytes and a NUL. */
static int reserve(sim_buf_t *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > SIM_BUF_MAX || b->len + extra + 1 > SIM_BUF_MAX) {
        b->err = RT_ETOOBIG;
        return b->err;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return RT_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > SIM_BUF_MAX)
        cap = SIM_BUF_MAX;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->err = RT_ENOMEM;
        return b->err;
    }
    b->data = p;
    b->cap = cap;
    return RT_OK;
}

int sim_buf_append(sim_buf_t *b, const char *s, size_t n)
{
    int rc = reserve(b, n);
    if (rc != RT_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RT_OK;
}

int sim_buf_puts(sim_buf_t *b, const char *s)
{
    return sim_buf_append(b, s, strlen(s));
}

int sim_buf_printf(sim_buf_t *b, const char *fmt, ...)
{
    if (b->err)
        return b->err;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = RT_EINVAL;
        return b->err;
    }
    if ((size_t)n < sizeof small)
        return sim_buf_append(b, small, (size_t)n);
    int rc = reserve(b, (size_t)n);
    if (rc != RT_OK)
        return rc;
    va_start(ap, fmt);
    int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n) {
        b->data[b->len] = '\0';
        b->err = RT_EINVAL;
        return b->err;
    }
    b->len += (size_t)n;
    return RT_OK;
}

int sim_buf_int(sim_buf_t *b, int64_t v)
{
    return sim_buf_printf(b, "%lld", (long long)v);
}

int sim_buf_money(sim_buf_t *b, rt_money_t v)
{
    char tmp[RT_MONEY_FMT_MAX + 2];
    tmp[0] = '"';
    size_t n =
        rt_money_format_fixed(v, RT_MONEY_DECIMALS, RT_ROUND_NEAREST, tmp + 1, sizeof tmp - 2);
    if (n == 0) {
        if (b->err == 0)
            b->err = RT_EINVAL;
        return b->err;
    }
    tmp[n + 1] = '"';
    return sim_buf_append(b, tmp, n + 2);
}

int sim_buf_bool(sim_buf_t *b, bool v)
{
    return v ? sim_buf_append(b, "true", 4) : sim_buf_append(b, "false", 5);
}
