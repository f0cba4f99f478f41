/* Configuration from the environment and a .env file, declared as one table per service.
 *
 * A service declares a static table of rt_config_var_t rows (name, type, default, range, secret
 * flag, help, where the value goes in its own config struct) and loads it once at start:
 *
 *     typedef struct { char pghost[128]; int pgport; int mode; char api_token[128]; } tr_config_t;
 *     static const char *const modes[] = {"demo", "live", NULL};
 *     static const rt_config_var_t tr_vars[] = {
 *         {"PGHOST", RT_CONFIG_STRING, "localhost", "PostgreSQL host",
 *          RT_CONFIG_AT(tr_config_t, pghost)},
 *         {"PGPORT", RT_CONFIG_PORT, "5432", "PostgreSQL port", RT_CONFIG_AT(tr_config_t, pgport)},
 *         {"TRADING_MODE", RT_CONFIG_ENUM, "demo", "demo or live", RT_CONFIG_AT(tr_config_t, mode),
 *          .choices = modes},
 *         {"API_TOKEN", RT_CONFIG_STRING, NULL, "bearer token for writes",
 *          RT_CONFIG_AT(tr_config_t, api_token), .secret = true, .min = 16},
 *     };
 *     tr_config_t cfg;
 *     rt_config_load_or_exit(tr_vars, RT_CONFIG_COUNT(tr_vars), &cfg, NULL);
 *
 * Where a value comes from, highest priority first: the process environment, the .env file,
 * the row's default. An empty value counts as not set (so `KEY=` in .env falls through to the
 * default). Loading checks every row and reports every bad variable at once; secret values are
 * never echoed (not in errors, not in rt_config_log). docs/CONFIG.md has the .env syntax. */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rt/money.h"

/** The type of a variable, and the C type it is stored as. */
typedef enum {
    RT_CONFIG_STRING, /* char[size], NUL-terminated, UTF-8 without control characters */
    RT_CONFIG_INT,    /* int64_t */
    RT_CONFIG_DOUBLE, /* double (indicator parameters; never money) */
    RT_CONFIG_MONEY,  /* rt_money_t, parsed exactly by rt_money_parse */
    RT_CONFIG_BOOL,   /* bool: true/false, 1/0, yes/no, on/off (any case) */
    RT_CONFIG_ENUM,   /* int: index of the value in .choices (exact match first, then any case) */
    RT_CONFIG_LIST,   /* rt_config_list_t: comma-separated items, each trimmed and checked */
    RT_CONFIG_URL,    /* char[size]: scheme://host[:port][/path], schemes from .choices or
                         http, https, ws, wss */
    RT_CONFIG_PORT,   /* int, 1..65535 */
} rt_config_type_t;

#define RT_CONFIG_LIST_MAX 512 /* items of a list (e.g. symbols of one gateway) */
#define RT_CONFIG_ITEM_CAP 40  /* bytes of one item, NUL included (RT_NAME_CAP) */

/** Storage of a RT_CONFIG_LIST value. */
typedef struct {
    size_t count;
    char items[RT_CONFIG_LIST_MAX][RT_CONFIG_ITEM_CAP];
} rt_config_list_t;

/** A check of one string value or list item: what it allows (a phrase that follows "must be",
 *  e.g. "a symbol: 1 to 20 letters or digits"), and fn, which returns true when the value is
 *  valid and may normalize it in place without making it longer (e.g. upper-case it). fn sees
 *  at most 255 bytes. */
typedef struct {
    const char *what;
    bool (*fn)(char *value);
} rt_config_check_t;

/** Symbols: 1..20 letters or digits, lower case upper-cased ("btcusdc" -> "BTCUSDC"). */
extern const rt_config_check_t rt_config_check_symbol;

/** One variable. Rows are written positionally up to help, then designated:
 *  {name, type, def, help, RT_CONFIG_AT(T, member), .secret = true, .min = 1, .max = 100}. */
typedef struct {
    const char *name; /* environment name: [A-Z_][A-Z0-9_]* */
    rt_config_type_t type;
    const char *def;  /* default as text, parsed like any value; NULL = required */
    const char *help; /* one line, for rt_config_help */
    size_t offset;    /* where the value goes: base + offset (see RT_CONFIG_AT) ... */
    size_t size;      /* ... and the size of that member (checked against the type) */
    void *ptr;        /* or, when not NULL, here instead (tables built at run time) */
    bool secret;      /* never echoed: masked as *** in errors and logs */
    /* Allowed range, inclusive; min == max == 0 means no range beyond the type's own.
     * INT: the value; STRING: the length in bytes; LIST: the number of items. */
    int64_t min, max;
    double min_d, max_d;            /* DOUBLE range, same rule */
    rt_money_t min_m, max_m;        /* MONEY range, same rule */
    const char *const *choices;     /* ENUM values, or URL schemes; NULL-terminated */
    const rt_config_check_t *check; /* STRING values or LIST items; NULL = any */
} rt_config_var_t;

/** Where a row's value goes: a member of the service's config struct (offset and size, as
 *  designated initializers, so rows may end there without -Wmissing-field-initializers). */
#define RT_CONFIG_AT(stype, member)                                                                \
    .offset = offsetof(stype, member), .size = sizeof(((stype *)0)->member)

/** Or a variable of its own (for tables built at run time, e.g. one strategy's parameters). */
#define RT_CONFIG_PTR(var) .ptr = &(var), .size = sizeof(var)

/** Number of rows of a static table. */
#define RT_CONFIG_COUNT(table) (sizeof(table) / sizeof((table)[0]))

#define RT_CONFIG_REPORT_LINES 32
#define RT_CONFIG_LINE_CAP 256

/** Everything that was wrong, one line per bad variable or bad .env line, e.g.
 *    PGPORT="abc": must be an integer from 1 to 65535
 *    TRADING_MODE="paper": must be one of demo, live
 *    API_TOKEN: required, not set
 *    .env:7: unterminated double quote
 *  count goes on past RT_CONFIG_REPORT_LINES; only the first lines are kept. */
typedef struct {
    size_t count;
    char line[RT_CONFIG_REPORT_LINES][RT_CONFIG_LINE_CAP];
} rt_config_report_t;

/** The sources of values: the environment and a parsed .env file (opaque). */
typedef struct rt_config rt_config_t;

/** Reads the .env file at path (NULL means ".env" in the working directory; a missing file is
 *  fine and gives an empty one). Returns 0 and a new handle in *out (free with rt_config_free),
 *  RT_EINVAL when the file is unreadable, larger than 1 MiB or has malformed lines (every one
 *  named as file:line in report, which may be NULL), RT_ENOMEM. The environment is read at
 *  lookup time and never modified. */
int rt_config_new(const char *path, rt_config_t **out, rt_config_report_t *report);

/** The same from len bytes of .env text in memory (copied; need not be NUL-terminated), for
 *  tests and fuzzing. name labels report lines as name:line (NULL gives "(text)"). Returns 0
 *  and a new handle in *out (free with rt_config_free), RT_EINVAL on NULL out, NULL text with
 *  len > 0, more than 1 MiB or malformed lines (each in report, which may be NULL),
 *  RT_ENOMEM. *out is written only on success. */
int rt_config_parse(const char *text, size_t len, const char *name, rt_config_t **out,
                    rt_config_report_t *report);

/** Frees the handle; NULL is a no-op. Values returned by rt_config_get die with it. */
void rt_config_free(rt_config_t *cfg);

/** The raw text of name, for ad-hoc lookups (e.g. per-strategy parameters): the environment
 *  first, then the .env file (cfg may be NULL: environment only). Returns 0 and a borrowed
 *  string in *out (valid until rt_config_free, or until the environment changes),
 *  RT_ENOTFOUND when not set or empty, RT_EINVAL on a NULL name. */
int rt_config_get(const rt_config_t *cfg, const char *name, const char **out);

/** Loads every row of table from cfg (NULL: environment only) into base (the service's struct;
 *  may be NULL when every row has ptr). Every row is checked before anything is written:
 *  returns 0 with all values stored, or RT_EINVAL with nothing stored and every bad variable
 *  (and every table mistake: wrong storage size, bad default, duplicate name) in report, which
 *  is cleared first and may be NULL. A variable that was renamed (GATEWAY_HOST, now
 *  GATEWAY_BIND; the list is in config.c and docs/CONFIGURATION.md) is refused when set under
 *  its old name, with a line naming the new one, if the table has the new name.
 *  RT_ENOMEM is not possible here. */
int rt_config_fill(const rt_config_t *cfg, const rt_config_var_t *table, size_t n, void *base,
                   rt_config_report_t *report);

/** rt_config_new + rt_config_fill + rt_config_free, reporting bad .env lines and bad variables
 *  together. Returns 0, RT_EINVAL (see report), or RT_ENOMEM. Nothing is stored on error. */
int rt_config_load(const rt_config_var_t *table, size_t n, void *base, const char *path,
                   rt_config_report_t *report);

/** rt_config_load for a program's main: on failure prints the report to stderr
 *  ("config: 2 invalid variables:\n  PGPORT=...\n") and exits with status 2. */
void rt_config_load_or_exit(const rt_config_var_t *table, size_t n, void *base, const char *path);

/** Writes the report as the program prints it: a heading line, then each line indented by two
 *  spaces, "... and N more" when lines were dropped. Returns 0, RT_ETOOBIG when cap is too
 *  small (buf then holds a cut, NUL-terminated text), RT_EINVAL on NULL. */
int rt_config_report_format(const rt_config_report_t *report, char *buf, size_t cap);

/** Logs the effective configuration stored in base, one INFO line per variable under the
 *  module "config" (`PGPORT=5432`, `PGHOST="localhost"`); secrets show only whether they are
 *  set: `API_TOKEN=***` or `API_TOKEN=(not set)`. Call after rt_log_init. */
void rt_config_log(const rt_config_var_t *table, size_t n, const void *base);

/** Prints one entry per variable to out, as a program's --help or a .env reference:
 *      PGPORT=5432
 *          PostgreSQL port. An integer from 1 to 65535.
 *  Required variables show "(required)" and secrets "(secret)". */
void rt_config_help(const rt_config_var_t *table, size_t n, FILE *out);

#endif
