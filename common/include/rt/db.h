/* PostgreSQL access over libpq.
 *
 * One rt_db_t is one connection, used by one thread at a time. Data only ever travels as
 * parameters ($1, $2, ... as text; NULL is SQL NULL): never build SQL text with data in it.
 * Results are read as text by row and column, with helpers for integers, booleans and money
 * (NUMERIC arrives as exact decimal text and is parsed with rt_money_parse, never via double).
 *
 * Errors: every failure is logged (module "db") with its SQLSTATE and libpq's message, and is
 * mapped to an rt_err code:
 *   23505 unique violation                         -> RT_EEXIST
 *   23514 check, 23502 not null, 23503 foreign key,
 *   22xxx data exception (bad number, too long...) -> RT_EINVAL
 *   40001 serialization failure, 40P01 deadlock    -> RT_EAGAIN (retry the transaction)
 *   57014 statement timeout / cancel               -> RT_ETIMEDOUT
 *   class 08, 57P01..57P03, connection lost        -> RT_ECONN
 *   08P01 protocol violation (wrong param count)   -> RT_EPROTO
 *   anything else                                  -> RT_EDB
 * rt_db_last_sqlstate() and rt_db_last_error() tell the caller more.
 *
 * Connection loss: before each statement issued outside a transaction, a broken connection is
 * detected and re-established once (PQreset); a statement that fails because the connection
 * dropped is never re-sent (it may have run). Inside a transaction a lost connection fails
 * every statement with RT_ECONN until the caller rolls back. */
#ifndef RT_DB_H
#define RT_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "rt/money.h"

typedef struct rt_db rt_db_t;
typedef struct rt_db_result rt_db_result_t;

/** How to connect. Zeroed fields take the defaults shown. */
typedef struct {
    int attempts;                 /* connection attempts before giving up (10), 1..1000 */
    int backoff_ms;               /* wait after the first failed attempt (200), doubled each time */
    int max_backoff_ms;           /* ceiling of the wait (2000) */
    int connect_timeout_s;        /* libpq connect_timeout for one attempt (5), 1..3600 */
    const char *application_name; /* shown in pg_stat_activity ("roottrading"); copied */
} rt_db_opts_t;

/** Connects. conninfo is a libpq connection string or URI ("host=... dbname=..." or
 *  "postgresql://..."); NULL or "" uses libpq's environment (PGHOST, PGPORT, PGUSER,
 *  PGPASSWORD, PGDATABASE, ...). opts may be NULL for the defaults. The session runs with
 *  TimeZone=UTC, set through libpq's "options" (so PGOPTIONS is not read; an "options" entry in
 *  conninfo replaces ours), and TCP keepalives (30 s idle, 10 s interval, 3 probes).
 *  Each failed attempt is logged with libpq's message, any password removed; waits between
 *  attempts end early when the stop flag (rt/sig.h) is set.
 *  Returns 0 and a new handle in *out (free with rt_db_close); RT_EINVAL for bad options or a
 *  malformed conninfo, RT_ECONN when every attempt failed, RT_ENOMEM. */
int rt_db_connect(const char *conninfo, const rt_db_opts_t *opts, rt_db_t **out);

/** Closes the connection and frees the handle (an open transaction is rolled back by the
 *  server). NULL is a no-op. */
void rt_db_close(rt_db_t *db);

/** Runs one statement with nparams text parameters (values[i] NULL = SQL NULL; values may be
 *  NULL when nparams is 0). On success, when out is not NULL, *out receives a new result the
 *  caller frees with rt_db_result_free; when out is NULL the result is discarded.
 *  Returns 0 or a negative code mapped as described at the top of this header (RT_EINVAL also
 *  for NULL arguments or nparams out of 0..65535). */
int rt_db_exec(rt_db_t *db, const char *sql, int nparams, const char *const *values,
               rt_db_result_t **out);

/** Like rt_db_exec, but the statement is prepared on the server the first time this sql text is
 *  seen on this connection (and again after a reconnect), then only executed: for statements
 *  of the hot path that run again and again with different parameters. The sql text is copied;
 *  up to 64 distinct statements are kept per connection, further ones simply run unprepared.
 *  Same returns as rt_db_exec. */
int rt_db_exec_prepared(rt_db_t *db, const char *sql, int nparams, const char *const *values,
                        rt_db_result_t **out);

/** Runs trusted SQL text that carries no data (several statements are allowed): schema
 *  migrations and administrative statements only. Never pass text built from input.
 *  Same returns as rt_db_exec. */
int rt_db_exec_script(rt_db_t *db, const char *sql);

/** Frees a result. NULL is a no-op. */
void rt_db_result_free(rt_db_result_t *res);

/** Number of rows of a result (0 for a statement that returns none). */
int rt_db_nrows(const rt_db_result_t *res);

/** Number of columns of a result. */
int rt_db_ncols(const rt_db_result_t *res);

/** Rows affected by INSERT/UPDATE/DELETE/MERGE (or returned by SELECT); 0 when not reported. */
int64_t rt_db_affected(const rt_db_result_t *res);

/** Index of the column named name (case-sensitive, as the query labels it); RT_ENOTFOUND. */
int rt_db_col(const rt_db_result_t *res, const char *name);

/** True when (row, col) is SQL NULL or out of range. */
bool rt_db_is_null(const rt_db_result_t *res, int row, int col);

/** The value as text, borrowed from the result (valid until rt_db_result_free); NULL when it is
 *  SQL NULL or (row, col) is out of range. */
const char *rt_db_get_text(const rt_db_result_t *res, int row, int col);

/** The value as a 64-bit integer. RT_ENOTFOUND when SQL NULL or out of range, RT_EINVAL when
 *  not an integer, RT_ERANGE when it does not fit. */
int rt_db_get_int64(const rt_db_result_t *res, int row, int col, int64_t *out);

/** The value (a NUMERIC's exact text) as fixed-point money. RT_ENOTFOUND when SQL NULL or out of
 *  range, RT_EINVAL when malformed or with non-zero digits past 8 decimals, RT_ERANGE when out
 *  of the money range. */
int rt_db_get_money(const rt_db_result_t *res, int row, int col, rt_money_t *out);

/** The value of a boolean column ("t"/"f"). RT_ENOTFOUND when SQL NULL or out of range,
 *  RT_EINVAL for any other text. */
int rt_db_get_bool(const rt_db_result_t *res, int row, int col, bool *out);

/** Starts a transaction. RT_ESTATE when one is already open; else as rt_db_exec. */
int rt_db_begin(rt_db_t *db);

/** Commits the open transaction. RT_ESTATE when none is open, or when an earlier statement of
 *  it failed (the server has already discarded it: it is rolled back, nothing is written);
 *  a constraint checked at commit (deferred foreign keys) maps as in rt_db_exec. The
 *  transaction is over after this call whatever it returns. */
int rt_db_commit(rt_db_t *db);

/** Rolls back the open transaction. RT_ESTATE when none is open; RT_ECONN when the connection
 *  was lost (the server has discarded the transaction anyway). The transaction is over after
 *  this call whatever it returns. */
int rt_db_rollback(rt_db_t *db);

/** True while a transaction begun with rt_db_begin is open. */
bool rt_db_in_tx(const rt_db_t *db);

/** A unit of work run by rt_db_tx: returns 0 to commit, a negative rt_err code to roll back. */
typedef int (*rt_db_tx_fn)(rt_db_t *db, void *ud);

/** Runs fn(db, ud) inside a transaction: commits when it returns 0, rolls back otherwise.
 *  Returns fn's error, or rt_db_begin's / rt_db_commit's. RT_ESTATE if a transaction is
 *  already open (no nesting). */
int rt_db_tx(rt_db_t *db, rt_db_tx_fn fn, void *ud);

/** SQLSTATE of the last failed call on db ("23505"), "" when the last call succeeded or the
 *  failure had none. Borrowed; valid until the next call on db. */
const char *rt_db_last_sqlstate(const rt_db_t *db);

/** Primary error message of the last failed call on db, "" after a success. Borrowed; valid
 *  until the next call on db. */
const char *rt_db_last_error(const rt_db_t *db);

#endif
