#include "rt/db_migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/time.h"

#define MOD "migrate"
#define FILE_MAX_BYTES (16 * 1024 * 1024)
#define FILES_MAX 10000
#define LOCK_WAIT_MS 60000
#define LOCK_POLL_MS 100
/* The advisory lock's key: the bytes of "RTMIGRAT" as a big-endian bigint. */
#define LOCK_KEY "5932451586278310228"

struct migration {
    int version;
    char file[256];
    char name[256];
    char *sql; /* the file's content, NUL-terminated */
    size_t len;
    char sum[65]; /* SHA-256, lower-case hex */
};

struct set {
    struct migration *m;
    size_t n;
};

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->m[i].sql);
    free(s->m);
    s->m = NULL;
    s->n = 0;
}

/* Writes the reason into why and logs it; returns rc. */
__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t cap,
                                                      const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "%s", "(unformattable reason)");
    if (why != NULL && cap > 0)
        snprintf(why, cap, "%s", msg);
    rt_log_error(MOD, "%s err=%s", msg, rt_strerror(rc));
    return rc;
}

/* Parses "NNN_name.sql"; returns false when the name does not have that shape. */
static bool parse_name(const char *file, int *version, char *name, size_t cap)
{
    const char *p = file;
    long v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 9)
            return false;
        v = v * 10 + (*p - '0');
        p++;
    }
    if (digits == 0 || *p != '_' || v < 1)
        return false;
    const char *start = ++p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '_' || *p == '-')
        p++;
    size_t len = (size_t)(p - start);
    if (len == 0 || len >= cap || strcmp(p, ".sql") != 0)
        return false;
    memcpy(name, start, len);
    name[len] = '\0';
    *version = (int)v;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return RT_EIO;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[64] = '\0';
    return RT_OK;
}

/* Reads dir/m->file into m->sql and checksums it. */
static int load_file(const char *dir, struct migration *m, char *why, size_t cap)
{
    char path[4096];
    FILE *f = NULL;
    char *buf = NULL;
    int rc = RT_OK;
    int n = snprintf(path, sizeof path, "%s/%s", dir, m->file);
    if (n < 0 || (size_t)n >= sizeof path)
        return fail(RT_EINVAL, why, cap, "path too long: %s/%s", dir, m->file);
    f = fopen(path, "rb");
    if (f == NULL) {
        rc = fail(RT_EIO, why, cap, "cannot open %s (errno %d)", path, errno);
        goto out;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = fail(RT_EIO, why, cap, "%s is not a readable regular file", path);
        goto out;
    }
    if (st.st_size > FILE_MAX_BYTES) {
        rc = fail(RT_ETOOBIG, why, cap, "%s is larger than %d bytes", path, FILE_MAX_BYTES);
        goto out;
    }
    size_t len = (size_t)st.st_size;
    buf = malloc(len + 1);
    if (buf == NULL) {
        rc = fail(RT_ENOMEM, why, cap, "out of memory reading %s", path);
        goto out;
    }
    if (fread(buf, 1, len, f) != len) {
        rc = fail(RT_EIO, why, cap, "short read on %s", path);
        goto out;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        rc = fail(RT_EINVAL, why, cap, "%s contains a NUL byte", m->file);
        goto out;
    }
    if (sha256_hex(buf, len, m->sum) != RT_OK) {
        rc = fail(RT_EIO, why, cap, "cannot checksum %s", path);
        goto out;
    }
    m->sql = buf;
    m->len = len;
    buf = NULL;
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return strcmp(x->file, y->file);
}

/* Lists, checks and loads the migrations of dir, sorted by version. */
static int scan(const char *dir, struct set *out, char *why, size_t cap)
{
    struct set s = {0};
    size_t alloc = 0;
    int rc = RT_OK;
    DIR *d = opendir(dir);
    if (d == NULL)
        return fail(RT_EIO, why, cap, "cannot open migrations directory %s (errno %d)", dir, errno);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".sql"))
            continue;
        struct migration m = {0};
        if (strlen(e->d_name) >= sizeof m.file ||
            !parse_name(e->d_name, &m.version, m.name, sizeof m.name)) {
            rc = fail(RT_EINVAL, why, cap, "bad migration file name %s (want NNN_name.sql)",
                      e->d_name);
            goto out;
        }
        snprintf(m.file, sizeof m.file, "%s", e->d_name);
        if (s.n == FILES_MAX) {
            rc = fail(RT_ETOOBIG, why, cap, "more than %d migrations in %s", FILES_MAX, dir);
            goto out;
        }
        if (s.n == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            struct migration *nm = realloc(s.m, na * sizeof *nm);
            if (nm == NULL) {
                rc = fail(RT_ENOMEM, why, cap, "out of memory listing %s", dir);
                goto out;
            }
            s.m = nm;
            alloc = na;
        }
        s.m[s.n++] = m;
    }
    if (s.n == 0) {
        rc = fail(RT_EINVAL, why, cap, "no migrations (NNN_name.sql) in %s", dir);
        goto out;
    }
    qsort(s.m, s.n, sizeof *s.m, by_version);
    for (size_t i = 0; i < s.n; i++) {
        if (i > 0 && s.m[i].version == s.m[i - 1].version) {
            rc = fail(RT_EINVAL, why, cap, "duplicate migration number %d: %s and %s",
                      s.m[i].version, s.m[i - 1].file, s.m[i].file);
            goto out;
        }
        if (s.m[i].version != (int)i + 1) {
            rc = fail(RT_EINVAL, why, cap, "gap in migrations: %d is missing (next is %s)",
                      (int)i + 1, s.m[i].file);
            goto out;
        }
    }
    for (size_t i = 0; i < s.n; i++) {
        rc = load_file(dir, &s.m[i], why, cap);
        if (rc != RT_OK)
            goto out;
    }
    *out = s;
    s = (struct set){0};
out:
    closedir(d);
    set_free(&s);
    return rc;
}

static int lock(rt_db_t *db, char *why, size_t cap)
{
    const char *key[] = {LOCK_KEY};
    int64_t deadline = rt_time_mono_ms() + LOCK_WAIT_MS;
    bool logged = false;
    for (;;) {
        rt_db_result_t *res = NULL;
        int rc = rt_db_exec(db, "SELECT pg_try_advisory_lock($1::bigint)", 1, key, &res);
        if (rc != RT_OK)
            return fail(rc, why, cap, "cannot take the migration lock: %s", rt_db_last_error(db));
        bool got = false;
        rc = rt_db_get_bool(res, 0, 0, &got);
        rt_db_result_free(res);
        if (rc != RT_OK)
            return fail(RT_EPROTO, why, cap, "unexpected answer to pg_try_advisory_lock");
        if (got)
            return RT_OK;
        if (!logged) {
            rt_log_info(MOD, "another runner holds the migration lock, waiting");
            logged = true;
        }
        if (rt_time_mono_ms() >= deadline)
            return fail(RT_ETIMEDOUT, why, cap, "another migration runner held the lock for %d ms",
                        LOCK_WAIT_MS);
        rt_time_sleep_ms(LOCK_POLL_MS);
    }
}

static void unlock(rt_db_t *db)
{
    const char *key[] = {LOCK_KEY};
    if (rt_db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, key, NULL) != RT_OK)
        rt_log_warn(MOD, "could not release the migration lock (released when the session ends)");
}

static const char CREATE_TABLE[] = "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                   "    version    INTEGER PRIMARY KEY CHECK (version > 0),\n"
                                   "    name       TEXT NOT NULL,\n"
                                   "    checksum   CHAR(64) NOT NULL,\n"
                                   "    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()\n"
                                   ")";

/* Checks the applied migrations against the files; *applied receives how many there are
 * (they are versions 1..*applied). */
static int check_applied(rt_db_t *db, const struct set *s, size_t *applied, char *why, size_t cap)
{
    rt_db_result_t *res = NULL;
    int rc =
        rt_db_exec(db, "SELECT version, name, checksum FROM schema_migrations ORDER BY version", 0,
                   NULL, &res);
    if (rc != RT_OK)
        return fail(rc, why, cap, "cannot read schema_migrations: %s", rt_db_last_error(db));
    int rows = rt_db_nrows(res);
    for (int r = 0; r < rows; r++) {
        int64_t v = 0;
        const char *name = rt_db_get_text(res, r, 1);
        const char *sum = rt_db_get_text(res, r, 2);
        if (rt_db_get_int64(res, r, 0, &v) != RT_OK || name == NULL || sum == NULL) {
            rc = fail(RT_EPROTO, why, cap, "unreadable row in schema_migrations");
            goto out;
        }
        if (v != r + 1) {
            rc = fail(RT_ESTATE, why, cap,
                      "schema_migrations is not a sequence from 1: version %lld at row %d",
                      (long long)v, r + 1);
            goto out;
        }
        if ((size_t)r >= s->n) {
            rc = fail(RT_ESTATE, why, cap,
                      "the database has migration %lld (%s) that the directory does not: "
                      "is this an older checkout?",
                      (long long)v, name);
            goto out;
        }
        const struct migration *m = &s->m[r];
        if (strcmp(m->name, name) != 0) {
            rc = fail(RT_ESTATE, why, cap,
                      "migration %s: version %lld was applied under the name '%s'", m->file,
                      (long long)v, name);
            goto out;
        }
        if (strcmp(m->sum, sum) != 0) {
            rc = fail(RT_ESTATE, why, cap,
                      "migration %s was changed after it was applied (sha256 applied %.12s..., "
                      "file now %.12s...): add a new migration instead",
                      m->file, sum, m->sum);
            goto out;
        }
    }
    *applied = (size_t)rows;
out:
    rt_db_result_free(res);
    return rc;
}

/* The current transaction's id (assigning one). */
static int xact_id(rt_db_t *db, char *buf, size_t cap)
{
    rt_db_result_t *res = NULL;
    int rc = rt_db_exec(db, "SELECT pg_current_xact_id()::text", 0, NULL, &res);
    if (rc == RT_OK) {
        const char *t = rt_db_get_text(res, 0, 0);
        snprintf(buf, cap, "%s", t ? t : "");
    }
    rt_db_result_free(res);
    return rc;
}

static int apply(rt_db_t *db, const struct migration *m, char *why, size_t cap)
{
    char before[32], after[32];
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[] = {version, m->name, m->sum};

    int rc = rt_db_begin(db);
    if (rc == RT_OK)
        rc = xact_id(db, before, sizeof before);
    if (rc != RT_OK) {
        rc = fail(rc, why, cap, "migration %s: cannot start: %s", m->file, rt_db_last_error(db));
        goto out;
    }
    rc = rt_db_exec_script(db, m->sql);
    if (rc != RT_OK) {
        rc = fail(rc, why, cap, "migration %s failed (rolled back): %s [sqlstate %s]", m->file,
                  rt_db_last_error(db), rt_db_last_sqlstate(db));
        goto out;
    }
    rc = xact_id(db, after, sizeof after);
    if (rc == RT_OK && strcmp(before, after) != 0) {
        rc = fail(RT_ESTATE, why, cap,
                  "migration %s ended its own transaction (BEGIN/COMMIT inside the file): "
                  "it may be partly applied and is not recorded",
                  m->file);
        goto out;
    }
    if (rc == RT_OK)
        rc = rt_db_exec(db,
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES ($1::integer, $2, $3)",
                        3, params, NULL);
    if (rc != RT_OK) {
        rc =
            fail(rc, why, cap, "migration %s: cannot record it: %s", m->file, rt_db_last_error(db));
        goto out;
    }
    rc = rt_db_commit(db);
    if (rc != RT_OK)
        rc = fail(rc, why, cap, "migration %s: commit failed: %s", m->file, rt_db_last_error(db));
out:
    if (rt_db_in_tx(db))
        (void)rt_db_rollback(db);
    return rc;
}

int rt_db_migrate(rt_db_t *db, const char *dir, rt_db_migrate_fn on_applied, void *ud, char *why,
                  size_t why_cap)
{
    struct set s = {0};
    bool locked = false;
    size_t applied = 0;
    int rc;

    if (db == NULL || dir == NULL)
        return fail(RT_EINVAL, why, why_cap, "rt_db_migrate: no database or directory");
    if (rt_db_in_tx(db))
        return fail(RT_ESTATE, why, why_cap, "rt_db_migrate: called inside a transaction");
    rc = scan(dir, &s, why, why_cap);
    if (rc != RT_OK)
        goto out;
    rc = lock(db, why, why_cap);
    if (rc != RT_OK)
        goto out;
    locked = true;
    rc = rt_db_exec_script(db, CREATE_TABLE);
    if (rc != RT_OK) {
        rc = fail(rc, why, why_cap, "cannot create schema_migrations: %s", rt_db_last_error(db));
        goto out;
    }
    rc = check_applied(db, &s, &applied, why, why_cap);
    if (rc != RT_OK)
        goto out;
    for (size_t i = applied; i < s.n; i++) {
        rc = apply(db, &s.m[i], why, why_cap);
        if (rc != RT_OK)
            goto out;
        rt_log_info(MOD, "applied file=%s version=%d sha256=%.12s", s.m[i].file, s.m[i].version,
                    s.m[i].sum);
        if (on_applied)
            on_applied(ud, s.m[i].version, s.m[i].file);
    }
    if (applied == s.n)
        rt_log_info(MOD, "up to date version=%zu", s.n);
out:
    if (locked)
        unlock(db);
    set_free(&s);
    return rc;
}
