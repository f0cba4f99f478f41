/* A growable byte buffer for the payloads the simulator writes (JSON, Prometheus text).
 *
 * Binance's payloads have fixed shapes with money as quoted 8-decimal strings, so they are
 * written by appending pieces; every string that goes in is either a constant or checked
 * beforehand (symbols, intervals, stream names). Errors are sticky: the first one is kept and
 * every later append does nothing, so a writer checks once at the end (sim_buf_err). */
#ifndef SIM_BUF_H
#define SIM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"

/** Largest buffer a sim_buf_t grows to (a klines reply of 1000 rows is ~170 KB). */
#define SIM_BUF_MAX ((size_t)64 << 20)

/** Caller-owned; fields are read-only for users (data is NUL-terminated once written). */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    int err; /* first error, 0 if none */
} sim_buf_t;

/** Initialises an empty buffer (allocates nothing). */
void sim_buf_init(sim_buf_t *b);

/** Frees the storage; the buffer may be initialised again. NULL is a no-op. */
void sim_buf_cleanup(sim_buf_t *b);

/** Empties the buffer, keeping its storage, and clears the error. */
void sim_buf_reset(sim_buf_t *b);

/** The text (borrowed, "" when empty); valid until the next append, reset or cleanup. */
const char *sim_buf_str(const sim_buf_t *b);

/** The sticky error: 0, RT_ENOMEM, RT_ETOOBIG (over SIM_BUF_MAX) or RT_EINVAL (a formatting
 *  error). */
int sim_buf_err(const sim_buf_t *b);

/** Appends n bytes. Returns 0 or the sticky error. */
int sim_buf_append(sim_buf_t *b, const char *s, size_t n);

/** Appends a NUL-terminated string. */
int sim_buf_puts(sim_buf_t *b, const char *s);

/** Appends printf-formatted text. */
int sim_buf_printf(sim_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Appends a decimal integer. */
int sim_buf_int(sim_buf_t *b, int64_t v);

/** Appends money as Binance prints it: a JSON string with exactly 8 decimals
 *  ("\"60000.01000000\""). */
int sim_buf_money(sim_buf_t *b, rt_money_t v);

/** Appends "true" or "false". */
int sim_buf_bool(sim_buf_t *b, bool v);

#endif
