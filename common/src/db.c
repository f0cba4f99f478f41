#include "rt/db.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

#define MOD "db"
#define PREPARED_MAX 64
#define SQL_LOG_MAX 120

struct prepared {
    char *sql; /* owned copy; NULL = free slot */
    char name[16];
    bool ready; /* prepared on the current server session */
};

struct rt_db {
    PGconn *conn;
    bool in_tx;
    bool server_fatal; /* the server announced it is ending the session */
    char sqlstate[6];
    char error[256];
    struct prepared prepared[PREPARED_MAX];
    unsigned prepared_seq;
};

struct rt_db_result {
    PGresult *res;
};

/* ---- error text ------------------------------------------------------------------------- */

/* Replaces every occurrence of secret in s (a buffer of cap bytes) by "***". */
static void redact(char *s, size_t cap, const char *secret)
{
    if (secret == NULL || secret[0] == '\0' || cap == 0)
        return;
    char tmp[1024];
    size_t slen = strlen(secret), n = 0;
    const char *p = s;
    while (*p && n + 1 < sizeof tmp) {
        if (strncmp(p, secret, slen) == 0) {
            for (int i = 0; i < 3 && n + 1 < sizeof tmp; i++)
                tmp[n++] = '*';
            p += slen;
        } else {
            tmp[n++] = *p++;
        }
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(s, tmp, n);
    s[n] = '\0';
}

/* Copies a libpq message (which ends with a newline) into buf, trimmed. */
static void copy_message(char *buf, size_t cap, const char *msg)
{
    snprintf(buf, cap, "%s", msg ? msg : "");
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
}

/* The first line of a statement, cut to SQL_LOG_MAX bytes, for log lines. */
static void sql_head(char *buf, size_t cap, const char *sql)
{
    size_t n = 0;
    for (const char *p = sql; *p && n + 1 < cap && n < SQL_LOG_MAX; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            if (n > 0 && buf[n - 1] != ' ')
                buf[n++] = ' ';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
}

static void set_ok(rt_db_t *db)
{
    db->sqlstate[0] = '\0';
    db->error[0] = '\0';
}

static int map_sqlstate(const char *st)
{
    if (st == NULL || st[0] == '\0')
        return RT_EDB;
    if (strcmp(st, "23505") == 0)
        return RT_EEXIST;
    if (strcmp(st, "23514") == 0 || strcmp(st, "23502") == 0 || strcmp(st, "23503") == 0)
        return RT_EINVAL;
    if (strncmp(st, "22", 2) == 0)
        return RT_EINVAL;
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
        return RT_EAGAIN;
    if (strcmp(st, "57014") == 0)
        return RT_ETIMEDOUT;
    if (strcmp(st, "08P01") == 0) /* protocol violation, e.g. a wrong parameter count */
        return RT_EPROTO;
    if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
        strcmp(st, "57P03") == 0)
        return RT_ECONN;
    return RT_EDB;
}

/* Records and logs a failed statement; returns its rt_err code. res may be NULL. */
static int fail_result(rt_db_t *db, const PGresult *res, const char *sql)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", st ? st : "");
    copy_message(db->error, sizeof db->error, primary ? primary : PQerrorMessage(db->conn));
    int rc = map_sqlstate(st);
    if (PQstatus(db->conn) != CONNECTION_OK)
        rc = RT_ECONN;
    else if (res == NULL)
        rc = RT_ENOMEM;

    char head[SQL_LOG_MAX + 8];
    sql_head(head, sizeof head, sql ? sql : "");
    rt_log_level_t level =
        (rc == RT_EEXIST || rc == RT_EINVAL || rc == RT_EAGAIN) ? RT_LOG_WARN : RT_LOG_ERROR;
    RT_LOG(level, MOD,
           "statement failed err=%s sqlstate=%s constraint=%s msg=\"%s\" detail=\"%s\" "
           "sql=\"%s\"",
           rt_strerror(rc), db->sqlstate[0] ? db->sqlstate : "-", constraint ? constraint : "-",
           db->error, detail ? detail : "", head);
    return rc;
}

/* ---- connection ----------------------------------------------------------------------- */

static void notice_receiver(void *arg, const PGresult *res)
{
    rt_db_t *db = arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    /* Besides NOTICEs, a server ending the session sends its FATAL reason this way. */
    bool warning = sev && (strcmp(sev, "WARNING") == 0 || strcmp(sev, "ERROR") == 0 ||
                           strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0);
    RT_LOG(warning ? RT_LOG_WARN : RT_LOG_DEBUG, MOD, "server %s: %s", sev ? sev : "NOTICE",
           msg ? msg : "");
    if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        db->server_fatal = true;
}

static int check_opts(const rt_db_opts_t *in, rt_db_opts_t *o)
{
    *o = (rt_db_opts_t){.attempts = 10,
                        .backoff_ms = 200,
                        .max_backoff_ms = 2000,
                        .connect_timeout_s = 5,
                        .application_name = "roottrading"};
    if (in == NULL)
        return RT_OK;
    if (in->attempts)
        o->attempts = in->attempts;
    if (in->backoff_ms)
        o->backoff_ms = in->backoff_ms;
    if (in->max_backoff_ms)
        o->max_backoff_ms = in->max_backoff_ms;
    if (in->connect_timeout_s)
        o->connect_timeout_s = in->connect_timeout_s;
    if (in->application_name)
        o->application_name = in->application_name;
    if (o->attempts < 1 || o->attempts > 1000 || o->backoff_ms < 0 || o->backoff_ms > 600000 ||
        o->max_backoff_ms < 0 || o->max_backoff_ms > 600000 || o->connect_timeout_s < 1 ||
        o->connect_timeout_s > 3600 || strlen(o->application_name) > 63)
        return RT_EINVAL;
    return RT_OK;
}

/* The password of a conninfo string, if it names one (new string, caller frees). */
static char *conninfo_password(const char *conninfo)
{
    if (conninfo == NULL || conninfo[0] == '\0')
        return NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    char *pw = NULL;
    if (opts == NULL)
        return NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
            pw = strdup(o->val);
    }
    PQconninfoFree(opts);
    return pw;
}

static void log_attempt_failure(PGconn *conn, int attempt, int attempts, const char *conninfo)
{
    char msg[512];
    copy_message(msg, sizeof msg, conn ? PQerrorMessage(conn) : "out of memory");
    if (conn)
        redact(msg, sizeof msg, PQpass(conn));
    redact(msg, sizeof msg, getenv("PGPASSWORD"));
    char *pw = conninfo_password(conninfo);
    redact(msg, sizeof msg, pw);
    free(pw);
    rt_log_warn(MOD, "connect attempt %d/%d failed: %s", attempt, attempts, msg);
}

int rt_db_connect(const char *conninfo, const rt_db_opts_t *opts, rt_db_t **out)
{
    rt_db_opts_t o;
    rt_db_t *db = NULL;
    int rc = RT_OK;

    if (out == NULL || check_opts(opts, &o) != RT_OK)
        return RT_EINVAL;
    if (conninfo != NULL && conninfo[0] != '\0') {
        char *err = NULL;
        PQconninfoOption *parsed = PQconninfoParse(conninfo, &err);
        if (parsed == NULL) {
            /* libpq quotes the offending part, which could hold a password. */
            bool secret = strstr(conninfo, "password") != NULL || strchr(conninfo, '@') != NULL;
            char msg[256];
            copy_message(msg, sizeof msg, secret ? "(details withheld)" : err);
            rt_log_error(MOD, "malformed connection string: %s", msg);
            PQfreemem(err);
            return RT_EINVAL;
        }
        PQconninfoFree(parsed);
    }

    db = calloc(1, sizeof *db);
    if (db == NULL)
        return RT_ENOMEM;

    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", o.connect_timeout_s);
    /* Our defaults come before dbname so that a conninfo string can override them. */
    const char *const keys[] = {
        "connect_timeout",     "application_name", "options", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "dbname",  NULL};
    const char *const vals[] = {timeout,
                                o.application_name,
                                "-c TimeZone=UTC",
                                "30",
                                "10",
                                "3",
                                conninfo && conninfo[0] ? conninfo : NULL,
                                NULL};

    int wait = o.backoff_ms;
    int tried = 0;
    for (int attempt = 1; attempt <= o.attempts; attempt++) {
        tried = attempt;
        PGconn *conn = PQconnectdbParams(keys, vals, 1);
        if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
            db->conn = conn;
            break;
        }
        log_attempt_failure(conn, attempt, o.attempts, conninfo);
        PQfinish(conn);
        if (attempt == o.attempts || rt_sig_stopping())
            break;
        rt_time_sleep_ms(wait);
        wait = wait > o.max_backoff_ms / 2 ? o.max_backoff_ms : wait * 2;
    }
    if (db->conn == NULL) {
        rt_log_error(MOD, "could not connect after %d attempt(s)%s", tried,
                     rt_sig_stopping() ? " (stop requested)" : "");
        rc = RT_ECONN;
        goto out;
    }
    PQsetNoticeReceiver(db->conn, notice_receiver, db);
    rt_log_info(MOD, "connected host=%s port=%s db=%s user=%s", PQhost(db->conn), PQport(db->conn),
                PQdb(db->conn), PQuser(db->conn));
    *out = db;
    db = NULL;
out:
    rt_db_close(db);
    return rc;
}

void rt_db_close(rt_db_t *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < PREPARED_MAX; i++)
        free(db->prepared[i].sql);
    PQfinish(db->conn);
    free(db);
}

/* Reads what the server sent while we were idle: a server that ends the session (restart,
 * pg_terminate_backend) first sends a FATAL message (seen by notice_receiver), then closes the
 * socket (seen by libpq when it reads the end of the stream). A few rounds at most; never
 * blocks. */
static void consume_idle_input(rt_db_t *db)
{
    for (int i = 0; i < 4 && PQstatus(db->conn) == CONNECTION_OK; i++) {
        struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
            return;
        if (PQconsumeInput(db->conn) == 0)
            return; /* the status now says whether the connection is gone */
        /* PQconsumeInput only reads: parsing hands a FATAL to notice_receiver. */
        (void)PQisBusy(db->conn);
    }
}

/* Makes sure the connection is usable before a statement: outside a transaction a broken
 * connection is reset once; inside one it stays broken (the transaction is gone). */
static int ensure_connected(rt_db_t *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK && !db->in_tx)
        consume_idle_input(db);
    /* A session whose server said FATAL is finished even if the socket looks open yet. */
    if (PQstatus(db->conn) == CONNECTION_OK && !(db->server_fatal && !db->in_tx))
        return RT_OK;
    if (db->in_tx) {
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "");
        snprintf(db->error, sizeof db->error, "%s", "connection lost inside a transaction");
        rt_log_error(MOD, "connection lost inside a transaction: roll back and retry");
        return RT_ECONN;
    }
    rt_log_warn(MOD, "connection lost, reconnecting host=%s port=%s", PQhost(db->conn),
                PQport(db->conn));
    PQreset(db->conn);
    db->server_fatal = false;
    for (int i = 0; i < PREPARED_MAX; i++)
        db->prepared[i].ready = false;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char msg[256];
        copy_message(msg, sizeof msg, PQerrorMessage(db->conn));
        redact(msg, sizeof msg, PQpass(db->conn));
        redact(msg, sizeof msg, getenv("PGPASSWORD"));
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "");
        snprintf(db->error, sizeof db->error, "%s", msg);
        rt_log_error(MOD, "reconnect failed: %s", msg);
        return RT_ECONN;
    }
    rt_log_info(MOD, "reconnected host=%s port=%s", PQhost(db->conn), PQport(db->conn));
    return RT_OK;
}

/* ---- statements ------------------------------------------------------------------------ */

/* Turns a PGresult into our return code and, on success, an optional result object.
 * Always consumes res. */
static int finish(rt_db_t *db, PGresult *res, const char *sql, rt_db_result_t **out)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = RT_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        rc = fail_result(db, res, sql);
        goto out;
    }
    set_ok(db);
    if (out != NULL) {
        rt_db_result_t *r = malloc(sizeof *r);
        if (r == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        r->res = res;
        res = NULL;
        *out = r;
    }
out:
    PQclear(res);
    return rc;
}

static int check_args(const rt_db_t *db, const char *sql, int nparams, const char *const *values)
{
    if (db == NULL || sql == NULL || nparams < 0 || nparams > 65535 ||
        (nparams > 0 && values == NULL))
        return RT_EINVAL;
    return RT_OK;
}

int rt_db_exec(rt_db_t *db, const char *sql, int nparams, const char *const *values,
               rt_db_result_t **out)
{
    int rc = check_args(db, sql, nparams, values);
    if (rc != RT_OK)
        return rc;
    rc = ensure_connected(db);
    if (rc != RT_OK)
        return rc;
    PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
    return finish(db, res, sql, out);
}

/* The cache slot for sql, a new slot, or NULL when the cache is full. */
static struct prepared *prepared_slot(rt_db_t *db, const char *sql)
{
    struct prepared *empty = NULL;
    for (int i = 0; i < PREPARED_MAX; i++) {
        struct prepared *p = &db->prepared[i];
        if (p->sql == NULL) {
            if (empty == NULL)
                empty = p;
        } else if (strcmp(p->sql, sql) == 0) {
            return p;
        }
    }
    if (empty == NULL)
        return NULL;
    empty->sql = strdup(sql);
    if (empty->sql == NULL)
        return NULL;
    snprintf(empty->name, sizeof empty->name, "rt_s%u", ++db->prepared_seq);
    empty->ready = false;
    return empty;
}

int rt_db_exec_prepared(rt_db_t *db, const char *sql, int nparams, const char *const *values,
                        rt_db_result_t **out)
{
    int rc = check_args(db, sql, nparams, values);
    if (rc != RT_OK)
        return rc;
    rc = ensure_connected(db);
    if (rc != RT_OK)
        return rc;
    struct prepared *p = prepared_slot(db, sql);
    if (p == NULL) {
        PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
        return finish(db, res, sql, out);
    }
    if (!p->ready) {
        PGresult *res = PQprepare(db->conn, p->name, sql, nparams, NULL);
        rc = finish(db, res, sql, NULL);
        if (rc != RT_OK) {
            free(p->sql);
            p->sql = NULL;
            return rc;
        }
        p->ready = true;
    }
    PGresult *res = PQexecPrepared(db->conn, p->name, nparams, values, NULL, NULL, 0);
    return finish(db, res, sql, out);
}

int rt_db_exec_script(rt_db_t *db, const char *sql)
{
    int rc = check_args(db, sql, 0, NULL);
    if (rc != RT_OK)
        return rc;
    rc = ensure_connected(db);
    if (rc != RT_OK)
        return rc;
    PGresult *res = PQexec(db->conn, sql);
    return finish(db, res, sql, NULL);
}

/* ---- results --------------------------------------------------------------------------- */

void rt_db_result_free(rt_db_result_t *res)
{
    if (res == NULL)
        return;
    PQclear(res->res);
    free(res);
}

int rt_db_nrows(const rt_db_result_t *res)
{
    return res ? PQntuples(res->res) : 0;
}

int rt_db_ncols(const rt_db_result_t *res)
{
    return res ? PQnfields(res->res) : 0;
}

int64_t rt_db_affected(const rt_db_result_t *res)
{
    if (res == NULL)
        return 0;
    const char *s = PQcmdTuples(res->res);
    if (s == NULL || s[0] == '\0')
        return 0;
    errno = 0;
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n < 0)
        return 0;
    return (int64_t)n;
}

int rt_db_col(const rt_db_result_t *res, const char *name)
{
    if (res == NULL || name == NULL)
        return RT_ENOTFOUND;
    /* PQfnumber folds unquoted names to lower case; quoting keeps the label exact. */
    for (int i = 0; i < PQnfields(res->res); i++) {
        if (strcmp(PQfname(res->res, i), name) == 0)
            return i;
    }
    return RT_ENOTFOUND;
}

static bool in_range(const rt_db_result_t *res, int row, int col)
{
    return res != NULL && row >= 0 && col >= 0 && row < PQntuples(res->res) &&
           col < PQnfields(res->res);
}

bool rt_db_is_null(const rt_db_result_t *res, int row, int col)
{
    return !in_range(res, row, col) || PQgetisnull(res->res, row, col);
}

const char *rt_db_get_text(const rt_db_result_t *res, int row, int col)
{
    if (rt_db_is_null(res, row, col))
        return NULL;
    return PQgetvalue(res->res, row, col);
}

int rt_db_get_int64(const rt_db_result_t *res, int row, int col, int64_t *out)
{
    const char *s = rt_db_get_text(res, row, col);
    if (s == NULL)
        return RT_ENOTFOUND;
    if (s[0] == '\0' || isspace((unsigned char)s[0]))
        return RT_EINVAL;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0')
        return RT_EINVAL;
    if (errno == ERANGE)
        return RT_ERANGE;
    if (errno != 0)
        return RT_EINVAL;
    *out = (int64_t)v;
    return RT_OK;
}

int rt_db_get_money(const rt_db_result_t *res, int row, int col, rt_money_t *out)
{
    const char *s = rt_db_get_text(res, row, col);
    if (s == NULL)
        return RT_ENOTFOUND;
    return rt_money_parse(s, out);
}

int rt_db_get_bool(const rt_db_result_t *res, int row, int col, bool *out)
{
    const char *s = rt_db_get_text(res, row, col);
    if (s == NULL)
        return RT_ENOTFOUND;
    if (strcmp(s, "t") == 0) {
        *out = true;
        return RT_OK;
    }
    if (strcmp(s, "f") == 0) {
        *out = false;
        return RT_OK;
    }
    return RT_EINVAL;
}

/* ---- transactions ---------------------------------------------------------------------- */

int rt_db_begin(rt_db_t *db)
{
    if (db == NULL)
        return RT_EINVAL;
    if (db->in_tx)
        return RT_ESTATE;
    int rc = rt_db_exec(db, "BEGIN", 0, NULL, NULL);
    if (rc == RT_OK)
        db->in_tx = true;
    return rc;
}

int rt_db_commit(rt_db_t *db)
{
    if (db == NULL)
        return RT_EINVAL;
    if (!db->in_tx)
        return RT_ESTATE;
    int rc = ensure_connected(db);
    if (rc != RT_OK) {
        db->in_tx = false;
        return rc;
    }
    if (PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
        /* COMMIT would answer "ROLLBACK" without an error: say it plainly. */
        rt_db_result_t *ignored = NULL;
        db->in_tx = false;
        (void)rt_db_exec(db, "ROLLBACK", 0, NULL, &ignored);
        rt_db_result_free(ignored);
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "25P02");
        snprintf(db->error, sizeof db->error, "%s",
                 "transaction aborted by an earlier error: rolled back");
        rt_log_warn(MOD, "commit refused: the transaction had failed, rolled back");
        return RT_ESTATE;
    }
    rt_db_result_t *res = NULL;
    rc = rt_db_exec(db, "COMMIT", 0, NULL, &res);
    db->in_tx = false;
    if (rc == RT_OK && strcmp(PQcmdStatus(res->res), "COMMIT") != 0) {
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "25P02");
        snprintf(db->error, sizeof db->error, "commit answered %s", PQcmdStatus(res->res));
        rt_log_warn(MOD, "commit answered %s: nothing written", PQcmdStatus(res->res));
        rc = RT_ESTATE;
    }
    rt_db_result_free(res);
    return rc;
}

int rt_db_rollback(rt_db_t *db)
{
    if (db == NULL)
        return RT_EINVAL;
    if (!db->in_tx)
        return RT_ESTATE;
    int rc = ensure_connected(db);
    if (rc == RT_OK)
        rc = rt_db_exec(db, "ROLLBACK", 0, NULL, NULL);
    db->in_tx = false;
    return rc;
}

bool rt_db_in_tx(const rt_db_t *db)
{
    return db != NULL && db->in_tx;
}

int rt_db_tx(rt_db_t *db, rt_db_tx_fn fn, void *ud)
{
    if (db == NULL || fn == NULL)
        return RT_EINVAL;
    int rc = rt_db_begin(db);
    if (rc != RT_OK)
        return rc;
    rc = fn(db, ud);
    if (rc != RT_OK) {
        /* Keep fn's error (and its SQLSTATE) for the caller; the rollback's own is logged. */
        char st[sizeof db->sqlstate], err[sizeof db->error];
        memcpy(st, db->sqlstate, sizeof st);
        memcpy(err, db->error, sizeof err);
        (void)rt_db_rollback(db);
        memcpy(db->sqlstate, st, sizeof st);
        memcpy(db->error, err, sizeof err);
        return rc;
    }
    return rt_db_commit(db);
}

const char *rt_db_last_sqlstate(const rt_db_t *db)
{
    return db ? db->sqlstate : "";
}

const char *rt_db_last_error(const rt_db_t *db)
{
    return db ? db->error : "";
}
