/* rt_db and rt_db_migrate against a real PostgreSQL (RT_TEST_PG* from the harness).
 * Each run creates its own databases (unique names) through the maintenance database and drops
 * them at the end, so reruns start clean. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/time.h"
#include "rt_test.h"

#define MAX_DBS 8

struct env {
    const char *host, *port, *user, *maint_db;
    rt_db_t *maint;        /* connection to the maintenance database */
    char dbs[MAX_DBS][64]; /* databases created by this run */
    int ndbs;
    char main_conninfo[512];
    rt_db_t *db;           /* connection to the main test database (migrated) */
    char migrations[1024]; /* db/migrations of the source tree */
};

/* ---- helpers ------------------------------------------------------------------------------ */

static void conninfo_for(const struct env *e, const char *dbname, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "host=%s port=%s user=%s dbname=%s connect_timeout=5", e->host,
                     e->port, e->user, dbname);
    assert_true(n > 0 && (size_t)n < cap);
}

static rt_db_t *connect_to(const struct env *e, const char *dbname)
{
    char ci[512];
    conninfo_for(e, dbname, ci, sizeof ci);
    rt_db_opts_t opts = {.attempts = 3, .backoff_ms = 100};
    rt_db_t *db = NULL;
    ASSERT_RC(RT_OK, rt_db_connect(ci, &opts, &db));
    assert_non_null(db);
    return db;
}

/* Creates a fresh database named after this process and tag; its name goes into name. The
 * name is an identifier we generate (digits and letters), not data. */
static void create_db(struct env *e, const char *tag, char *name, size_t cap)
{
    static unsigned seq;
    assert_true(e->ndbs < MAX_DBS);
    int n = snprintf(name, cap, "rt_test_%ld_%lld_%u_%s", (long)getpid(),
                     (long long)(rt_time_now_ms() % 1000000000), ++seq, tag);
    assert_true(n > 0 && (size_t)n < cap && (size_t)n < sizeof e->dbs[0]);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    ASSERT_RC(RT_OK, rt_db_exec_script(e->maint, sql));
    snprintf(e->dbs[e->ndbs++], sizeof e->dbs[0], "%s", name);
}

static int64_t query_int(rt_db_t *db, const char *sql, int nparams, const char *const *values)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(db, sql, nparams, values, &res));
    int64_t v = -1;
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

static void count_applied(void *ud, int version, const char *file)
{
    int *n = ud;
    assert_true(version > 0);
    assert_non_null(file);
    (*n)++;
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A temporary directory holding a copy of the project's migrations (when copy is true). */
static void make_mig_dir(const struct env *e, char *dir, size_t cap, int copy)
{
    snprintf(dir, cap, "/tmp/rt_test_mig_XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (!copy)
        return;
    DIR *d = opendir(e->migrations);
    assert_non_null(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", e->migrations, ent->d_name);
        size_t len = 0;
        char *data = rt_test_read_file(path, &len);
        write_file(dir, ent->d_name, data, len);
        free(data);
    }
    closedir(d);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->host = rt_test_require_env("RT_TEST_PGHOST");
    e->port = rt_test_require_env("RT_TEST_PGPORT");
    e->user = rt_test_require_env("RT_TEST_PGUSER");
    e->maint_db = rt_test_require_env("RT_TEST_PGDATABASE");
    rt_test_source_path(e->migrations, sizeof e->migrations, "db/migrations");
    e->maint = connect_to(e, e->maint_db);

    char name[64];
    create_db(e, "main", name, sizeof name);
    conninfo_for(e, name, e->main_conninfo, sizeof e->main_conninfo);
    e->db = connect_to(e, name);
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    struct env *e = *state;
    if (e == NULL)
        return 0;
    rt_db_close(e->db);
    for (int i = 0; i < e->ndbs; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", e->dbs[i]);
        if (rt_db_exec_script(e->maint, sql) != RT_OK)
            fprintf(stderr, "could not drop %s\n", e->dbs[i]);
    }
    rt_db_close(e->maint);
    free(e);
    return 0;
}

/* Number of migration files (NNN_name.sql) the project ships: the tests below hold for any. */
static int project_migrations(const struct env *e)
{
    DIR *d = opendir(e->migrations);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len > 8 && ent->d_name[0] >= '0' && ent->d_name[0] <= '9' &&
            strcmp(ent->d_name + len - 4, ".sql") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- migrations --------------------------------------------------------------------------- */

static void test_migrate_fresh_then_noop(void **state)
{
    struct env *e = *state;
    int nmig = project_migrations(e);
    int applied = 0;
    char why[512] = "";
    ASSERT_RC(RT_OK, rt_db_migrate(e->db, e->migrations, count_applied, &applied, why, sizeof why));
    assert_int_equal(applied, nmig);
    assert_int_equal(query_int(e->db, "SELECT count(*) FROM schema_migrations", 0, NULL), nmig);
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "SELECT name, length(checksum), applied_at IS NOT NULL "
                                "FROM schema_migrations WHERE version = 1",
                                0, NULL, &res));
    assert_string_equal(rt_db_get_text(res, 0, 0), "init");
    assert_string_equal(rt_db_get_text(res, 0, 1), "64");
    assert_string_equal(rt_db_get_text(res, 0, 2), "t");
    rt_db_result_free(res);

    /* Every table of the design is there; no float and no zone-less timestamp anywhere. */
    assert_int_equal(query_int(e->db,
                               "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
                               "tablename IN ('trades', 'orders', 'positions', 'signals', "
                               "'balance_snapshots', 'candles', 'balances', 'schema_migrations')",
                               0, NULL),
                     8);
    assert_int_equal(query_int(e->db,
                               "SELECT count(*) FROM information_schema.columns WHERE "
                               "table_schema = 'public' AND data_type IN ('real', "
                               "'double precision', 'money', 'timestamp without time zone')",
                               0, NULL),
                     0);

    /* Again: nothing to do. */
    applied = 0;
    ASSERT_RC(RT_OK, rt_db_migrate(e->db, e->migrations, count_applied, &applied, why, sizeof why));
    assert_int_equal(applied, 0);
    assert_int_equal(query_int(e->db, "SELECT count(*) FROM schema_migrations", 0, NULL), nmig);
}

static void test_migrate_tampered_refused(void **state)
{
    struct env *e = *state;
    char dir[64];
    make_mig_dir(e, dir, sizeof dir, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/001_init.sql", dir);
    size_t len = 0;
    char *data = rt_test_read_file(path, &len);
    data[len - 2] = data[len - 2] == ' ' ? '\t' : ' '; /* one byte changed */
    write_file(dir, "001_init.sql", data, len);
    free(data);

    char why[512] = "";
    int applied = 0;
    ASSERT_RC(RT_ESTATE, rt_db_migrate(e->db, dir, count_applied, &applied, why, sizeof why));
    assert_int_equal(applied, 0);
    if (strstr(why, "001_init.sql") == NULL || strstr(why, "changed") == NULL)
        fail_msg("reason does not name the changed file: %s", why);
    remove_dir(dir);
}

struct bad_set {
    const char *what;
    const char *files[3]; /* names; content is a harmless statement */
    const char *expect_in_why;
};

static void test_migrate_bad_sets(void **state)
{
    struct env *e = *state;
    static const struct bad_set cases[] = {
        {"gap", {"001_a.sql", "003_c.sql", NULL}, "2 is missing"},
        {"starts at 2", {"002_b.sql", NULL, NULL}, "1 is missing"},
        {"duplicate", {"001_a.sql", "1_b.sql", NULL}, "duplicate migration number 1"},
        {"bad name", {"001_a.sql", "2-b.sql", NULL}, "2-b.sql"},
        {"no name", {"001_.sql", NULL, NULL}, "001_.sql"},
        {"empty", {NULL, NULL, NULL}, "no migrations"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[64];
        make_mig_dir(e, dir, sizeof dir, 0);
        write_file(dir, "README.md", "ignored\n", 8);
        for (int f = 0; f < 3 && cases[i].files[f]; f++)
            write_file(dir, cases[i].files[f], "SELECT 1;\n", 10);
        char why[512] = "";
        int rc = rt_db_migrate(e->db, dir, NULL, NULL, why, sizeof why);
        remove_dir(dir);
        if (rc != RT_EINVAL || strstr(why, cases[i].expect_in_why) == NULL)
            fail_msg("case %s: expected RT_EINVAL with '%s', got %d (%s) '%s'", cases[i].what,
                     cases[i].expect_in_why, rc, rt_strerror(rc), why);
    }
    ASSERT_RC(RT_EIO, rt_db_migrate(e->db, "/nonexistent/rt", NULL, NULL, NULL, 0));
}

/* New migrations after applied ones; a failing one rolls back alone; one that commits by
 * itself is refused. Runs on its own database. */
static void test_migrate_incremental_and_failing(void **state)
{
    struct env *e = *state;
    int nmig = project_migrations(e);
    char extra[32], broken[32], renamed[32];
    snprintf(extra, sizeof extra, "%03d_extra.sql", nmig + 1);
    snprintf(broken, sizeof broken, "%03d_broken.sql", nmig + 2);
    snprintf(renamed, sizeof renamed, "%03d_renamed.sql", nmig + 1);
    char name[64];
    create_db(e, "incr", name, sizeof name);
    rt_db_t *db = connect_to(e, name);
    char dir[64];
    make_mig_dir(e, dir, sizeof dir, 1);
    char why[512] = "";
    int applied = 0;
    ASSERT_RC(RT_OK, rt_db_migrate(db, dir, count_applied, &applied, why, sizeof why));
    assert_int_equal(applied, nmig);

    static const char ok2[] = "CREATE TABLE rt_extra (x INTEGER);\n";
    static const char bad3[] =
        "CREATE TABLE rt_half (x INTEGER);\nSELECT no_such_column FROM rt_half;\n";
    write_file(dir, extra, ok2, sizeof ok2 - 1);
    write_file(dir, broken, bad3, sizeof bad3 - 1);
    applied = 0;
    int rc = rt_db_migrate(db, dir, count_applied, &applied, why, sizeof why);
    assert_int_equal(applied, 1); /* the extra one went in */
    if (rc == RT_OK || strstr(why, broken) == NULL)
        fail_msg("broken migration: got %d '%s'", rc, why);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_migrations", 0, NULL), nmig + 1);
    assert_int_equal(
        query_int(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'rt_extra'", 0, NULL), 1);
    assert_int_equal(
        query_int(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'rt_half'", 0, NULL), 0);

    /* Renaming an applied migration is refused too. */
    char from[128], to[128];
    snprintf(from, sizeof from, "%s/%s", dir, extra);
    snprintf(to, sizeof to, "%s/%s", dir, renamed);
    assert_int_equal(rename(from, to), 0);
    ASSERT_RC(RT_ESTATE, rt_db_migrate(db, dir, NULL, NULL, why, sizeof why));
    assert_non_null(strstr(why, renamed));
    assert_int_equal(rename(to, from), 0);

    /* A migration that commits by itself breaks the all-or-nothing rule: refused. */
    static const char commits3[] = "CREATE TABLE rt_self (x INTEGER);\nCOMMIT;\n";
    write_file(dir, broken, commits3, sizeof commits3 - 1);
    ASSERT_RC(RT_ESTATE, rt_db_migrate(db, dir, NULL, NULL, why, sizeof why));
    assert_non_null(strstr(why, "ended its own transaction"));
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_migrations", 0, NULL), nmig + 1);

    /* The database knows a migration the directory lacks (older checkout). */
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, broken);
    unlink(path);
    unlink(from);
    ASSERT_RC(RT_ESTATE, rt_db_migrate(db, dir, NULL, NULL, why, sizeof why));
    assert_non_null(strstr(why, "does not"));

    remove_dir(dir);
    rt_db_close(db);
}

struct runner {
    const char *conninfo;
    const char *dir;
    int rc;
    int applied;
};

static void *run_migrate(void *arg)
{
    struct runner *r = arg;
    rt_db_t *db = NULL;
    r->rc = rt_db_connect(r->conninfo, NULL, &db);
    if (r->rc == RT_OK)
        r->rc = rt_db_migrate(db, r->dir, count_applied, &r->applied, NULL, 0);
    rt_db_close(db);
    return NULL;
}

static void test_migrate_concurrent_runners(void **state)
{
    struct env *e = *state;
    char name[64], ci[512];
    create_db(e, "conc", name, sizeof name);
    conninfo_for(e, name, ci, sizeof ci);
    struct runner r[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        r[i] = (struct runner){.conninfo = ci, .dir = e->migrations};
        assert_int_equal(pthread_create(&t[i], NULL, run_migrate, &r[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        ASSERT_RC(RT_OK, r[i].rc);
        total += r[i].applied;
    }
    assert_int_equal(total, project_migrations(e));
    rt_db_t *db = connect_to(e, name);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_migrations", 0, NULL),
                     project_migrations(e));
    rt_db_close(db);
}

/* ---- the migrate program ------------------------------------------------------------------ */

static int run_binary(const char *args, char *out, size_t cap)
{
    const char *bin = getenv("RT_BINARY_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/bin/rt-migrate' %s 2>&1", bin ? bin : "build", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_rt_migrate_binary(void **state)
{
    struct env *e = *state;
    char name[64];
    create_db(e, "bin", name, sizeof name);
    setenv("PGHOST", e->host, 1);
    setenv("PGPORT", e->port, 1);
    setenv("PGUSER", e->user, 1);
    setenv("PGDATABASE", name, 1);
    char args[1200], out[4096];
    snprintf(args, sizeof args, "--dir '%s'", e->migrations);

    int status = run_binary(args, out, sizeof out);
    if (status != 0 || strstr(out, "applied 001_init.sql") == NULL)
        fail_msg("first run: exit %d, output: %s", status, out);
    status = run_binary(args, out, sizeof out);
    if (status != 0 || strcmp(out, "up to date\n") != 0)
        fail_msg("second run: exit %d, output: %s", status, out);

    /* A tampered file: exit 1 and the reason names it. */
    char dir[64];
    make_mig_dir(e, dir, sizeof dir, 1);
    write_file(dir, "001_init.sql", "-- changed\n", 11);
    snprintf(args, sizeof args, "--dir '%s'", dir);
    status = run_binary(args, out, sizeof out);
    remove_dir(dir);
    if (status != 1 || strstr(out, "rt-migrate: failed:") == NULL ||
        strstr(out, "001_init.sql") == NULL)
        fail_msg("tampered run: exit %d, output: %s", status, out);

    status = run_binary("--bogus", out, sizeof out);
    assert_int_equal(status, 1);
    unsetenv("PGDATABASE");
}

/* ---- statements --------------------------------------------------------------------------- */

static void test_numeric_round_trip(void **state)
{
    struct env *e = *state;
    static const struct {
        const char *in, *text;
        rt_money_t money;
    } cases[] = {
        {"0.00000001", "0.00000001", 1},
        {"92233720368.54775807", "92233720368.54775807", RT_MONEY_MAX},
        {"-92233720368.54775807", "-92233720368.54775807", RT_MONEY_MIN},
        {"55445.8", "55445.80000000", INT64_C(5544580000000)},
        {"0", "0.00000000", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p[] = {cases[i].in};
        rt_db_result_t *res = NULL;
        ASSERT_RC(RT_OK, rt_db_exec(e->db, "SELECT $1::numeric(28,8)", 1, p, &res));
        assert_string_equal(rt_db_get_text(res, 0, 0), cases[i].text);
        rt_money_t m = 0;
        ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, &m));
        assert_int_equal(m, cases[i].money);
        rt_db_result_free(res);
    }

    /* Through a real row, written from formatted money and read back. */
    char price[RT_MONEY_FMT_MAX], qty[RT_MONEY_FMT_MAX];
    assert_true(rt_money_format(1, price, sizeof price) > 0);
    assert_true(rt_money_format(RT_MONEY_MAX, qty, sizeof qty) > 0);
    const char *p[] = {"BTCUSDC", "BUY", price, qty, "922.33720368"};
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK,
              rt_db_exec(e->db,
                         "INSERT INTO trades (symbol, side, price, quantity, quote_quantity) "
                         "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                         5, p, &res));
    assert_int_equal(rt_db_affected(res), 1);
    const char *id = rt_db_get_text(res, 0, 0);
    assert_non_null(id);
    const char *q[] = {id};
    rt_db_result_t *row = NULL;
    ASSERT_RC(RT_OK,
              rt_db_exec(e->db, "SELECT price, quantity, fee, demo FROM trades WHERE id = $1", 1, q,
                         &row));
    assert_int_equal(rt_db_nrows(row), 1);
    rt_money_t v = 0;
    ASSERT_RC(RT_OK, rt_db_get_money(row, 0, rt_db_col(row, "price"), &v));
    assert_int_equal(v, 1);
    ASSERT_RC(RT_OK, rt_db_get_money(row, 0, rt_db_col(row, "quantity"), &v));
    assert_int_equal(v, RT_MONEY_MAX);
    ASSERT_RC(RT_OK, rt_db_get_money(row, 0, rt_db_col(row, "fee"), &v));
    assert_int_equal(v, 0);
    bool demo = true;
    ASSERT_RC(RT_OK, rt_db_get_bool(row, 0, 3, &demo));
    assert_false(demo);
    rt_db_result_free(row);
    rt_db_result_free(res);
}

static void test_sql_looking_text_stays_data(void **state)
{
    struct env *e = *state;
    static const char *const evil[] = {
        "x'); DROP TABLE trades; --",
        "Robert'); DELETE FROM orders WHERE ('1'='1",
        "$1 \\' \" ;; /* */ -- \n SELECT pg_sleep(10)",
    };
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        const char *p[] = {evil[i], "12.5"};
        rt_db_result_t *res = NULL;
        ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                    "INSERT INTO trades (symbol, side, price, quantity, "
                                    "quote_quantity, strategy) VALUES ('ETHUSDC', 'SELL', $2, 1, "
                                    "$2, $1) RETURNING strategy",
                                    2, p, &res));
        assert_string_equal(rt_db_get_text(res, 0, 0), evil[i]);
        rt_db_result_free(res);
        const char *q[] = {evil[i]};
        assert_int_equal(query_int(e->db, "SELECT count(*) FROM trades WHERE strategy = $1", 1, q),
                         1);
    }
    /* The tables are all still there. */
    assert_int_equal(query_int(e->db,
                               "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                               "AND tablename IN ('trades', 'orders')",
                               0, NULL),
                     2);
    /* Also as JSON inside JSONB. */
    const char *p[] = {"{\"note\":\"'); DROP TABLE signals; --\"}"};
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "INSERT INTO signals (id, strategy, symbol, side, price, metadata, "
                                "signal_time) VALUES ('sig-json', 'RSI_Strategy', 'BTCUSDC', "
                                "'BUY', 1, $1::jsonb, now()) RETURNING metadata->>'note'",
                                1, p, &res));
    assert_string_equal(rt_db_get_text(res, 0, 0), "'); DROP TABLE signals; --");
    rt_db_result_free(res);
}

struct violation {
    const char *what;
    const char *prep; /* run first, must succeed (NULL: none) */
    const char *sql;
    const char *params[5];
    int nparams;
    int rc;
    const char *sqlstate;
};

static void test_constraint_errors(void **state)
{
    struct env *e = *state;
    static const char ins_order[] =
        "INSERT INTO orders (client_order_id, symbol, side, type, quantity, source) "
        "VALUES ($1, $2, $3, $4, $5, 'manual')";
    static const char ins_trade[] =
        "INSERT INTO trades (symbol, side, price, quantity, quote_quantity) "
        "VALUES ($1, $2, $3, $4, 1)";
    static const struct violation cases[] = {
        {"duplicate client_order_id",
         "INSERT INTO orders (client_order_id, symbol, side, type, quantity, source) "
         "VALUES ('dup-1', 'BTCUSDC', 'BUY', 'MARKET', 1, 'manual')",
         ins_order,
         {"dup-1", "BTCUSDC", "SELL", "MARKET", "2"},
         5,
         RT_EEXIST,
         "23505"},
        {"negative quantity",
         NULL,
         ins_trade,
         {"BTCUSDC", "BUY", "100", "-0.5"},
         4,
         RT_EINVAL,
         "23514"},
        {"zero price", NULL, ins_trade, {"BTCUSDC", "BUY", "0", "1"}, 4, RT_EINVAL, "23514"},
        {"bad side", NULL, ins_trade, {"BTCUSDC", "HOLD", "100", "1"}, 4, RT_EINVAL, "23514"},
        {"lower-case side", NULL, ins_trade, {"BTCUSDC", "buy", "100", "1"}, 4, RT_EINVAL, "23514"},
        {"bad symbol", NULL, ins_trade, {"btc/usdc", "BUY", "100", "1"}, 4, RT_EINVAL, "23514"},
        {"NULL symbol", NULL, ins_trade, {NULL, "BUY", "100", "1"}, 4, RT_EINVAL, "23502"},
        {"not a number", NULL, ins_trade, {"BTCUSDC", "BUY", "abc", "1"}, 4, RT_EINVAL, "22P02"},
        {"unknown order",
         NULL,
         "INSERT INTO trades (order_id, symbol, side, price, quantity, quote_quantity) "
         "VALUES (987654321, 'BTCUSDC', 'BUY', 1, 1, 1)",
         {NULL},
         0,
         RT_EINVAL,
         "23503"},
        {"limit without price",
         NULL,
         ins_order,
         {"lim-1", "BTCUSDC", "BUY", "LIMIT", "1"},
         5,
         RT_EINVAL,
         "23514"},
        {"bad order type",
         NULL,
         ins_order,
         {"typ-1", "BTCUSDC", "BUY", "STOP", "1"},
         5,
         RT_EINVAL,
         "23514"},
        {"candle high below low",
         NULL,
         "INSERT INTO candles (symbol, interval, open_time, close_time, open, high, low, close, "
         "volume) VALUES ('BTCUSDC', '1m', $1, $2, 10, 9, 11, 10, 0)",
         {"2021-03-24T03:00:00Z", "2021-03-24T03:00:59.999Z"},
         2,
         RT_EINVAL,
         "23514"},
        {"duplicate candle",
         "INSERT INTO candles (symbol, interval, open_time, close_time, open, high, low, close, "
         "volume) VALUES ('BTCUSDC', '1m', '2021-03-24T03:00:00Z', '2021-03-24T03:00:59.999Z', "
         "10, 11, 9, 10, 0)",
         "INSERT INTO candles (symbol, interval, open_time, close_time, open, high, low, close, "
         "volume) VALUES ('BTCUSDC', '1m', $1, $2, 10, 11, 9, 10, 0)",
         {"2021-03-24T03:00:00Z", "2021-03-24T03:00:59.999Z"},
         2,
         RT_EEXIST,
         "23505"},
        {"negative demo balance",
         NULL,
         "INSERT INTO balances (asset, free) VALUES ('USDC', $1)",
         {"-0.00000001"},
         1,
         RT_EINVAL,
         "23514"},
        {"closed position without close time",
         NULL,
         "INSERT INTO positions (symbol, strategy, status, entry_price, quantity, "
         "initial_quantity) VALUES ('BTCUSDC', 'RSI_Strategy', 'closed', 100, 0, 1)",
         {NULL},
         0,
         RT_EINVAL,
         "23514"},
        {"rejected signal without reason",
         NULL,
         "INSERT INTO signals (id, strategy, symbol, side, price, signal_time, outcome) "
         "VALUES ('s-1', 'RSI_Strategy', 'BTCUSDC', 'BUY', 1, now(), 'rejected')",
         {NULL},
         0,
         RT_EINVAL,
         "23514"},
        {"duplicate signal id",
         "INSERT INTO signals (id, strategy, symbol, side, price, signal_time) "
         "VALUES ('s-2', 'RSI_Strategy', 'BTCUSDC', 'BUY', 1, now())",
         "INSERT INTO signals (id, strategy, symbol, side, price, signal_time) "
         "VALUES ($1, 'MA_Cross', 'ETHUSDC', 'SELL', 2, now())",
         {"s-2"},
         1,
         RT_EEXIST,
         "23505"},
        {"duplicate exchange trade id",
         "INSERT INTO trades (symbol, side, price, quantity, quote_quantity, exchange_trade_id) "
         "VALUES ('BTCUSDC', 'BUY', 1, 1, 1, 42)",
         "INSERT INTO trades (symbol, side, price, quantity, quote_quantity, exchange_trade_id) "
         "VALUES ($1, 'SELL', 2, 1, 2, 42)",
         {"BTCUSDC"},
         1,
         RT_EEXIST,
         "23505"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct violation *c = &cases[i];
        ASSERT_RC(RT_OK, rt_db_begin(e->db));
        if (c->prep)
            ASSERT_RC(RT_OK, rt_db_exec(e->db, c->prep, 0, NULL, NULL));
        int rc = rt_db_exec(e->db, c->sql, c->nparams, c->params, NULL);
        char state_[8];
        snprintf(state_, sizeof state_, "%s", rt_db_last_sqlstate(e->db));
        ASSERT_RC(RT_OK, rt_db_rollback(e->db));
        if (rc != c->rc || strcmp(state_, c->sqlstate) != 0)
            fail_msg("case '%s': expected %s/%s, got %s/%s", c->what, rt_strerror(c->rc),
                     c->sqlstate, rt_strerror(rc), state_);
    }
    /* The same duplicate through the prepared path maps the same way. */
    const char *p[] = {"dup-p", "BTCUSDC", "BUY", "MARKET", "1"};
    ASSERT_RC(RT_OK, rt_db_exec_prepared(e->db, ins_order, 5, p, NULL));
    ASSERT_RC(RT_EEXIST, rt_db_exec_prepared(e->db, ins_order, 5, p, NULL));
    assert_string_equal(rt_db_last_sqlstate(e->db), "23505");
    assert_true(rt_db_last_error(e->db)[0] != '\0');
}

/* ---- transactions ------------------------------------------------------------------------- */

static int insert_order_then(rt_db_t *db, void *ud)
{
    const int *result = ud;
    const char *p[] = {"tx-order"};
    int rc =
        rt_db_exec(db,
                   "INSERT INTO orders (client_order_id, symbol, side, type, quantity, source) "
                   "VALUES ($1, 'BTCUSDC', 'BUY', 'MARKET', 1, 'manual')",
                   1, p, NULL);
    if (rc != RT_OK)
        return rc;
    if (*result == 1) /* a second insert of the same id fails in the middle */
        return rt_db_exec(db,
                          "INSERT INTO orders (client_order_id, symbol, side, type, quantity, "
                          "source) VALUES ($1, 'BTCUSDC', 'BUY', 'MARKET', 1, 'manual')",
                          1, p, NULL);
    return *result;
}

static void test_transactions(void **state)
{
    struct env *e = *state;
    const char *p[] = {"tx-order"};
    static const char count_sql[] = "SELECT count(*) FROM orders WHERE client_order_id = $1";

    ASSERT_RC(RT_OK, rt_db_begin(e->db));
    assert_true(rt_db_in_tx(e->db));
    ASSERT_RC(RT_ESTATE, rt_db_begin(e->db));
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "INSERT INTO orders (client_order_id, symbol, side, type, "
                                "quantity, source) VALUES ($1, 'BTCUSDC', 'BUY', 'MARKET', 1, "
                                "'manual')",
                                1, p, NULL));
    assert_int_equal(query_int(e->db, count_sql, 1, p), 1);
    ASSERT_RC(RT_OK, rt_db_rollback(e->db));
    assert_false(rt_db_in_tx(e->db));
    assert_int_equal(query_int(e->db, count_sql, 1, p), 0);
    ASSERT_RC(RT_ESTATE, rt_db_commit(e->db));
    ASSERT_RC(RT_ESTATE, rt_db_rollback(e->db));

    /* A failed statement poisons the transaction: commit refuses and writes nothing. */
    ASSERT_RC(RT_OK, rt_db_begin(e->db));
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "INSERT INTO orders (client_order_id, symbol, side, type, "
                                "quantity, source) VALUES ($1, 'BTCUSDC', 'BUY', 'MARKET', 1, "
                                "'manual')",
                                1, p, NULL));
    ASSERT_RC(RT_EINVAL, rt_db_exec(e->db, "SELECT 1/0", 0, NULL, NULL));
    ASSERT_RC(RT_ESTATE, rt_db_commit(e->db));
    assert_false(rt_db_in_tx(e->db));
    assert_int_equal(query_int(e->db, count_sql, 1, p), 0);

    /* rt_db_tx: an error from the callback rolls back and is returned. */
    int result = RT_EINVAL;
    ASSERT_RC(RT_EINVAL, rt_db_tx(e->db, insert_order_then, &result));
    assert_int_equal(query_int(e->db, count_sql, 1, p), 0);
    result = 1;
    ASSERT_RC(RT_EEXIST, rt_db_tx(e->db, insert_order_then, &result));
    assert_string_equal(rt_db_last_sqlstate(e->db), "23505");
    assert_int_equal(query_int(e->db, count_sql, 1, p), 0);
    result = RT_OK;
    ASSERT_RC(RT_OK, rt_db_tx(e->db, insert_order_then, &result));
    assert_false(rt_db_in_tx(e->db));
    assert_int_equal(query_int(e->db, count_sql, 1, p), 1);

    /* A deferred foreign key fails at COMMIT with the mapped code. */
    ASSERT_RC(RT_OK, rt_db_begin(e->db));
    ASSERT_RC(RT_OK, rt_db_exec(e->db, "SET CONSTRAINTS ALL DEFERRED", 0, NULL, NULL));
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "INSERT INTO trades (order_id, symbol, side, price, quantity, "
                                "quote_quantity) VALUES (987654321, 'BTCUSDC', 'BUY', 1, 1, 1)",
                                0, NULL, NULL));
    ASSERT_RC(RT_EINVAL, rt_db_commit(e->db));
    assert_string_equal(rt_db_last_sqlstate(e->db), "23503");
    assert_false(rt_db_in_tx(e->db));
}

/* ---- the seed's queries ------------------------------------------------------------------- */

/* Copied as written in roottrading.md, "Requêtes communes". */
static const char SEED_BY_SYMBOL[] =
    "SELECT symbol, \n"
    "       COUNT(*) as trade_count,\n"
    "       SUM(CASE WHEN side = 'BUY' THEN quote_quantity ELSE 0 END) as buy_volume,\n"
    "       SUM(CASE WHEN side = 'SELL' THEN quote_quantity ELSE 0 END) as sell_volume,\n"
    "       SUM(CASE WHEN side = 'SELL' THEN quote_quantity ELSE -quote_quantity END) as net_pnl\n"
    "FROM trades\n"
    "GROUP BY symbol\n"
    "ORDER BY net_pnl DESC;";
static const char SEED_BY_STRATEGY[] =
    "SELECT t.strategy,\n"
    "       COUNT(*) as trade_count,\n"
    "       SUM(CASE WHEN side = 'SELL' THEN quote_quantity ELSE -quote_quantity END) as net_pnl\n"
    "FROM trades t\n"
    "GROUP BY t.strategy\n"
    "ORDER BY net_pnl DESC;";

static void expect_money(const rt_db_result_t *res, int row, const char *col, const char *want)
{
    rt_money_t got = 0, expected = 0;
    ASSERT_RC(RT_OK, rt_money_parse(want, &expected));
    int c = rt_db_col(res, col);
    assert_true(c >= 0);
    ASSERT_RC(RT_OK, rt_db_get_money(res, row, c, &got));
    if (got != expected)
        fail_msg("row %d %s: expected %s, got %s", row, col, want, rt_db_get_text(res, row, c));
}

static void test_seed_queries(void **state)
{
    struct env *e = *state;
    static const struct {
        const char *symbol, *side, *price, *qty, *quote, *strategy;
    } rows[] = {
        {"BTCUSDC", "BUY", "50000", "0.00201", "100.5", "RSI_Strategy"},
        {"BTCUSDC", "SELL", "55000", "0.00200455", "110.25", "RSI_Strategy"},
        {"BTCUSDC", "BUY", "50000", "0.0002", "10", NULL},
        {"BTCUSDC", "SELL", "15000", "0.0002", "3", NULL},
        {"ETHUSDC", "BUY", "2000", "0.025", "50", "MA_Cross"},
        {"ETHUSDC", "SELL", "1600", "0.025", "40", "MA_Cross"},
    };
    /* Inside a transaction that is rolled back: the sums see only these rows. */
    ASSERT_RC(RT_OK, rt_db_begin(e->db));
    ASSERT_RC(RT_OK, rt_db_exec(e->db, "DELETE FROM trades", 0, NULL, NULL));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *p[] = {rows[i].symbol, rows[i].side,  rows[i].price,
                           rows[i].qty,    rows[i].quote, rows[i].strategy};
        ASSERT_RC(RT_OK, rt_db_exec_prepared(e->db,
                                             "INSERT INTO trades (symbol, side, price, quantity, "
                                             "quote_quantity, strategy) "
                                             "VALUES ($1, $2, $3, $4, $5, $6)",
                                             6, p, NULL));
    }
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db, SEED_BY_SYMBOL, 0, NULL, &res));
    assert_int_equal(rt_db_nrows(res), 2);
    assert_string_equal(rt_db_get_text(res, 0, rt_db_col(res, "symbol")), "BTCUSDC");
    assert_string_equal(rt_db_get_text(res, 0, rt_db_col(res, "trade_count")), "4");
    expect_money(res, 0, "buy_volume", "110.5");
    expect_money(res, 0, "sell_volume", "113.25");
    expect_money(res, 0, "net_pnl", "2.75");
    assert_string_equal(rt_db_get_text(res, 1, rt_db_col(res, "symbol")), "ETHUSDC");
    assert_string_equal(rt_db_get_text(res, 1, rt_db_col(res, "trade_count")), "2");
    expect_money(res, 1, "buy_volume", "50");
    expect_money(res, 1, "sell_volume", "40");
    expect_money(res, 1, "net_pnl", "-10");
    rt_db_result_free(res);

    ASSERT_RC(RT_OK, rt_db_exec(e->db, SEED_BY_STRATEGY, 0, NULL, &res));
    assert_int_equal(rt_db_nrows(res), 3);
    assert_string_equal(rt_db_get_text(res, 0, rt_db_col(res, "strategy")), "RSI_Strategy");
    assert_string_equal(rt_db_get_text(res, 0, rt_db_col(res, "trade_count")), "2");
    expect_money(res, 0, "net_pnl", "9.75");
    assert_true(rt_db_is_null(res, 1, rt_db_col(res, "strategy"))); /* manual trades */
    assert_string_equal(rt_db_get_text(res, 1, rt_db_col(res, "trade_count")), "2");
    expect_money(res, 1, "net_pnl", "-7");
    assert_string_equal(rt_db_get_text(res, 2, rt_db_col(res, "strategy")), "MA_Cross");
    expect_money(res, 2, "net_pnl", "-10");
    rt_db_result_free(res);
    ASSERT_RC(RT_OK, rt_db_rollback(e->db));
}

/* ---- the schema in use ------------------------------------------------------------------- */

static int64_t insert_returning_id(rt_db_t *db, const char *sql, int n, const char *const *p)
{
    return query_int(db, sql, n, p);
}

/* A signal followed through order, fill, position, balances and snapshots, as the trader and
 * portfolio will write them; then real candles from the shared data. Rolled back at the end. */
static void test_schema_books_flow(void **state)
{
    struct env *e = *state;
    rt_db_t *db = e->db;
    ASSERT_RC(RT_OK, rt_db_begin(db));

    const char *sig[] = {"sig-flow-1", "{\"rsi\": 28.5}", "2021-03-24T03:00:00Z"};
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "INSERT INTO signals (id, strategy, symbol, interval, side, price, "
                                "stop_loss, take_profit, metadata, signal_time) VALUES ($1, "
                                "'RSI_Strategy', 'BTCUSDC', '1m', 'BUY', 55445.8, 55000, 57000, "
                                "$2::jsonb, $3)",
                                3, sig, NULL));
    const char *ord[] = {"rt-flow-1", "sig-flow-1"};
    int64_t order_id = insert_returning_id(
        db,
        "INSERT INTO orders (client_order_id, symbol, side, type, quote_quantity, source, "
        "strategy, signal_id, reason) VALUES ($1, 'BTCUSDC', 'BUY', 'MARKET', 100, 'strategy', "
        "'RSI_Strategy', $2, 'entry') RETURNING id",
        2, ord);
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "UPDATE signals SET outcome = 'accepted', client_order_id = $1 "
                                "WHERE id = $2",
                                2, ord, NULL));
    int64_t pos_id = insert_returning_id(
        db,
        "INSERT INTO positions (symbol, strategy, entry_price, quantity, initial_quantity, "
        "stop_loss, take_profit, highest_price) VALUES ('BTCUSDC', 'RSI_Strategy', 55445.8, "
        "0.0018, 0.0018, 55000, 57000, 55445.8) RETURNING id",
        0, NULL);
    char order_s[32], pos_s[32];
    snprintf(order_s, sizeof order_s, "%lld", (long long)order_id);
    snprintf(pos_s, sizeof pos_s, "%lld", (long long)pos_id);
    const char *fill[] = {order_s, pos_s, "rt-flow-1"};
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "INSERT INTO trades (order_id, symbol, side, price, quantity, fee, "
                                "fee_asset, role, quote_quantity, strategy, client_order_id, "
                                "position_id, exchange_trade_id, demo) VALUES ($1, 'BTCUSDC', "
                                "'BUY', 55445.8, 0.0018, 0.0000018, 'BTC', 'TAKER', 99.80244, "
                                "'RSI_Strategy', $3, $2, 1001, true)",
                                3, fill, NULL));
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "UPDATE orders SET status = 'FILLED', filled_quantity = 0.0018, "
                                "filled_quote_quantity = 99.80244, avg_price = 55445.8, "
                                "position_id = $2 WHERE id = $1",
                                2, fill, NULL));
    /* Filled more than ordered is refused. */
    ASSERT_RC(RT_OK, rt_db_exec(db, "SAVEPOINT s", 0, NULL, NULL));
    const char *over[] = {"rt-over", "1", "1.5"};
    ASSERT_RC(RT_EINVAL, rt_db_exec(db,
                                    "INSERT INTO orders (client_order_id, symbol, side, type, "
                                    "quantity, filled_quantity, avg_price, source) VALUES ($1, "
                                    "'BTCUSDC', 'SELL', 'MARKET', $2, $3, 1, 'manual')",
                                    3, over, NULL));
    ASSERT_RC(RT_OK, rt_db_exec(db, "ROLLBACK TO SAVEPOINT s", 0, NULL, NULL));

    /* Demo balances: debit with an upsert, overspend refused. */
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "INSERT INTO balances (asset, free) VALUES ('USDC', 1000), "
                                "('BTC', 0) ON CONFLICT (asset) DO UPDATE SET free = "
                                "EXCLUDED.free",
                                0, NULL, NULL));
    ASSERT_RC(RT_OK,
              rt_db_exec(db, "UPDATE balances SET free = free - 99.80244 WHERE asset = 'USDC'", 0,
                         NULL, NULL));
    ASSERT_RC(RT_OK, rt_db_exec(db, "SAVEPOINT s", 0, NULL, NULL));
    ASSERT_RC(RT_EINVAL,
              rt_db_exec(db, "UPDATE balances SET free = free - 1000 WHERE asset = 'USDC'", 0, NULL,
                         NULL));
    ASSERT_RC(RT_OK, rt_db_exec(db, "ROLLBACK TO SAVEPOINT s", 0, NULL, NULL));
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK,
              rt_db_exec(db, "SELECT free FROM balances WHERE asset = 'USDC'", 0, NULL, &res));
    expect_money(res, 0, "free", "900.19756");
    rt_db_result_free(res);

    /* Snapshot: one row per asset and the account's '*' row. */
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "INSERT INTO balance_snapshots (ts, asset, free, locked, total, "
                                "quote_value, total_quote, quote_asset) VALUES "
                                "('2021-03-24T03:01:00Z', 'USDC', 900.19756, 0, 900.19756, "
                                "900.19756, 999.99, 'USDC'), "
                                "('2021-03-24T03:01:00Z', 'BTC', 0.0018, 0, 0.0018, 99.79244, "
                                "999.99, 'USDC'), "
                                "('2021-03-24T03:01:00Z', '*', NULL, NULL, NULL, 999.99, 999.99, "
                                "'USDC')",
                                0, NULL, NULL));
    assert_int_equal(
        query_int(db, "SELECT count(*) FROM balance_snapshots WHERE asset = '*'", 0, NULL), 1);

    /* Close the position; updated_at moves with the trigger. */
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "UPDATE positions SET status = 'closed', quantity = 0, closed_at = "
                                "opened_at + interval '1 minute', exit_price = 57000, "
                                "exit_reason = 'take_profit', realized_pnl = 2.69, updated_at = "
                                "'2000-01-01Z' WHERE id = $1",
                                1, (const char *const[]){pos_s}, NULL));
    assert_int_equal(query_int(db,
                               "SELECT count(*) FROM positions WHERE id = $1 AND status = "
                               "'closed' AND updated_at > '2001-01-01Z'",
                               1, (const char *const[]){pos_s}),
                     1);

    /* Real candles: the first rows of a shared data file, stored once (upsert). */
    char path[1024];
    rt_test_shared_path(path, sizeof path, "data/btcusdt_1m_2023-03-01_2023-03-21.csv");
    char *csv = rt_test_read_file(path, NULL);
    char *line = strchr(csv, '\n');
    assert_non_null(line);
    for (int i = 0; i < 5; i++) {
        char *start = line + 1;
        line = strchr(start, '\n');
        assert_non_null(line);
        *line = '\0';
        char *f[6];
        char *save = NULL;
        int n = 0;
        for (char *t = strtok_r(start, ",", &save); t && n < 6; t = strtok_r(NULL, ",", &save))
            f[n++] = t;
        assert_int_equal(n, 6);
        const char *p[] = {f[0], f[1], f[2], f[3], f[4], f[5]};
        for (int twice = 0; twice < 2; twice++)
            ASSERT_RC(RT_OK, rt_db_exec_prepared(
                                 db,
                                 "INSERT INTO candles (symbol, interval, open_time, close_time, "
                                 "open, high, low, close, volume) VALUES ('BTCUSDT', '1m', "
                                 "to_timestamp($1::bigint / 1000.0), to_timestamp(($1::bigint + "
                                 "59999) / 1000.0), $2, $3, $4, $5, $6) ON CONFLICT (symbol, "
                                 "interval, open_time) DO UPDATE SET close = EXCLUDED.close",
                                 6, p, NULL));
    }
    free(csv);
    ASSERT_RC(RT_OK, rt_db_exec(db,
                                "SELECT (extract(epoch FROM open_time) * 1000)::bigint AS t, open, "
                                "volume FROM candles WHERE symbol = 'BTCUSDT' ORDER BY open_time "
                                "LIMIT 1",
                                0, NULL, &res));
    assert_int_equal(rt_db_nrows(res), 1);
    assert_string_equal(rt_db_get_text(res, 0, 0), "1677628800000");
    expect_money(res, 0, "open", "23140.48");
    expect_money(res, 0, "volume", "2.131777");
    rt_db_result_free(res);
    assert_int_equal(
        query_int(db, "SELECT count(*) FROM candles WHERE symbol = 'BTCUSDT'", 0, NULL), 5);

    ASSERT_RC(RT_OK, rt_db_rollback(db));
}

/* ---- result helpers ----------------------------------------------------------------------- */

static void test_getters(void **state)
{
    struct env *e = *state;
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "SELECT NULL::numeric AS n, true AS t, false AS f, "
                                "9223372036854775807::bigint AS big, "
                                "9223372036854775808::numeric AS huge, 'abc' AS word, "
                                "12.5::numeric AS half, 0.000000001::numeric AS tiny, "
                                "'' AS empty",
                                0, NULL, &res));
    assert_int_equal(rt_db_nrows(res), 1);
    assert_int_equal(rt_db_ncols(res), 9);
    int64_t i = 7;
    rt_money_t m = 7;
    bool b = false;
    ASSERT_RC(RT_ENOTFOUND, rt_db_get_money(res, 0, rt_db_col(res, "n"), &m));
    ASSERT_RC(RT_ENOTFOUND, rt_db_get_int64(res, 0, rt_db_col(res, "n"), &i));
    assert_true(rt_db_is_null(res, 0, 0));
    assert_null(rt_db_get_text(res, 0, 0));
    ASSERT_RC(RT_OK, rt_db_get_bool(res, 0, rt_db_col(res, "t"), &b));
    assert_true(b);
    ASSERT_RC(RT_OK, rt_db_get_bool(res, 0, rt_db_col(res, "f"), &b));
    assert_false(b);
    ASSERT_RC(RT_EINVAL, rt_db_get_bool(res, 0, rt_db_col(res, "word"), &b));
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, rt_db_col(res, "big"), &i));
    assert_true(i == INT64_MAX);
    ASSERT_RC(RT_ERANGE, rt_db_get_int64(res, 0, rt_db_col(res, "huge"), &i));
    ASSERT_RC(RT_EINVAL, rt_db_get_int64(res, 0, rt_db_col(res, "word"), &i));
    ASSERT_RC(RT_EINVAL, rt_db_get_int64(res, 0, rt_db_col(res, "half"), &i));
    ASSERT_RC(RT_EINVAL, rt_db_get_int64(res, 0, rt_db_col(res, "empty"), &i));
    assert_true(i == INT64_MAX); /* untouched by the failures */
    ASSERT_RC(RT_EINVAL, rt_db_get_money(res, 0, rt_db_col(res, "tiny"), &m));
    ASSERT_RC(RT_ERANGE, rt_db_get_money(res, 0, rt_db_col(res, "huge"), &m));
    assert_int_equal(m, 7);
    ASSERT_RC(RT_ENOTFOUND, rt_db_col(res, "nope"));
    ASSERT_RC(RT_ENOTFOUND, rt_db_get_int64(res, 1, 0, &i));
    ASSERT_RC(RT_ENOTFOUND, rt_db_get_int64(res, 0, 99, &i));
    ASSERT_RC(RT_ENOTFOUND, rt_db_get_int64(res, -1, 0, &i));
    assert_null(rt_db_get_text(res, 0, -1));
    rt_db_result_free(res);

    /* Affected rows of an UPDATE. */
    ASSERT_RC(RT_OK, rt_db_begin(e->db));
    ASSERT_RC(RT_OK, rt_db_exec(e->db, "UPDATE trades SET demo = true", 0, NULL, &res));
    assert_true(rt_db_affected(res) > 0);
    rt_db_result_free(res);
    ASSERT_RC(RT_OK, rt_db_rollback(e->db));

    /* Bad arguments. */
    ASSERT_RC(RT_EINVAL, rt_db_exec(e->db, NULL, 0, NULL, NULL));
    ASSERT_RC(RT_EINVAL, rt_db_exec(e->db, "SELECT $1", 1, NULL, NULL));
    ASSERT_RC(RT_EINVAL, rt_db_exec(NULL, "SELECT 1", 0, NULL, NULL));
    ASSERT_RC(RT_EDB, rt_db_exec(e->db, "SELEC 1", 0, NULL, NULL));
    assert_string_equal(rt_db_last_sqlstate(e->db), "42601");
    ASSERT_RC(RT_OK, rt_db_exec(e->db, "SELECT 1", 0, NULL, NULL));
    assert_string_equal(rt_db_last_sqlstate(e->db), "");
    rt_db_result_free(NULL);
    rt_db_close(NULL);
}

/* ---- connection --------------------------------------------------------------------------- */

static int64_t backend_pid(rt_db_t *db)
{
    return query_int(db, "SELECT pg_backend_pid()", 0, NULL);
}

/* Ends a backend from the maintenance connection and waits until it is gone. */
static void kill_backend(struct env *e, int64_t pid)
{
    char pid_s[32];
    snprintf(pid_s, sizeof pid_s, "%lld", (long long)pid);
    const char *p[] = {pid_s};
    assert_int_equal(query_int(e->maint, "SELECT pg_terminate_backend($1::int)::int", 1, p), 1);
    for (int i = 0; i < 100; i++) {
        if (query_int(e->maint, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", 1,
                      p) == 0)
            return;
        rt_time_sleep_ms(50);
    }
    fail_msg("backend %lld did not end", (long long)pid);
}

static void test_reconnect(void **state)
{
    struct env *e = *state;
    rt_db_t *db = NULL;
    ASSERT_RC(RT_OK, rt_db_connect(e->main_conninfo, NULL, &db));
    static const char q[] = "SELECT count(*) FROM trades WHERE symbol = $1";
    const char *p[] = {"BTCUSDC"};
    ASSERT_RC(RT_OK, rt_db_exec_prepared(db, q, 1, p, NULL));

    /* Outside a transaction: the broken session is noticed and replaced. */
    int64_t pid = backend_pid(db);
    kill_backend(e, pid);
    int64_t pid2 = backend_pid(db);
    assert_true(pid2 != pid);
    ASSERT_RC(RT_OK, rt_db_exec_prepared(db, q, 1, p, NULL)); /* prepared again */

    /* Inside a transaction: the loss is reported, never papered over. */
    ASSERT_RC(RT_OK, rt_db_begin(db));
    kill_backend(e, pid2);
    ASSERT_RC(RT_ECONN, rt_db_exec(db, "SELECT 1", 0, NULL, NULL));
    ASSERT_RC(RT_ECONN, rt_db_exec(db, "SELECT 1", 0, NULL, NULL));
    ASSERT_RC(RT_ECONN, rt_db_commit(db));
    assert_false(rt_db_in_tx(db));
    assert_true(backend_pid(db) != pid2);
    rt_db_close(db);
}

/* Runs fn with stderr sent to a file and returns what it wrote (new string). */
static char *capture_stderr(void (*fn)(const struct env *), const struct env *e)
{
    char path[] = "/tmp/rt_test_db_err_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn(e);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *out = rt_test_read_file(path, NULL);
    unlink(path);
    return out;
}

static void connect_bad(const struct env *e)
{
    (void)e;
    rt_db_opts_t opts = {.attempts = 2, .backoff_ms = 10, .connect_timeout_s = 2};
    rt_db_t *db = NULL;
    ASSERT_RC(RT_ECONN,
              rt_db_connect("host=127.0.0.1 port=1 user=x password=Sup3rS3cret", &opts, &db));
    ASSERT_RC(RT_ECONN, rt_db_connect("postgresql://x:Sup3rS3cret@127.0.0.1:1/db", &opts, &db));
    ASSERT_RC(RT_EINVAL, rt_db_connect("host=127.0.0.1 password='Sup3rS3cret", &opts, &db));
    ASSERT_RC(RT_EINVAL, rt_db_connect("nonsense password Sup3rS3cret", &opts, &db));
    assert_null(db);
}

static void test_connect_failures(void **state)
{
    struct env *e = *state;
    int64_t t0 = rt_time_mono_ms();
    char *err = capture_stderr(connect_bad, e);
    assert_true(rt_time_mono_ms() - t0 < 10000);
    if (strstr(err, "Sup3rS3cret") != NULL)
        fail_msg("password leaked into the log: %s", err);
    if (strstr(err, "connect attempt 2/2 failed") == NULL)
        fail_msg("attempts not logged: %s", err);
    free(err);

    rt_db_opts_t bad = {.attempts = -1};
    rt_db_t *db = NULL;
    ASSERT_RC(RT_EINVAL, rt_db_connect(e->main_conninfo, &bad, &db));
    ASSERT_RC(RT_EINVAL, rt_db_connect(e->main_conninfo, NULL, NULL));

    /* NULL conninfo: libpq's environment. */
    setenv("PGHOST", e->host, 1);
    setenv("PGPORT", e->port, 1);
    setenv("PGUSER", e->user, 1);
    setenv("PGDATABASE", e->maint_db, 1);
    ASSERT_RC(RT_OK, rt_db_connect(NULL, NULL, &db));
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(db, "SELECT current_database(), current_setting('TimeZone')", 0,
                                NULL, &res));
    assert_string_equal(rt_db_get_text(res, 0, 0), e->maint_db);
    assert_string_equal(rt_db_get_text(res, 0, 1), "UTC");
    rt_db_result_free(res);
    rt_db_close(db);
    unsetenv("PGDATABASE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* The first one migrates the main database the others use. */
        cmocka_unit_test(test_migrate_fresh_then_noop),
        cmocka_unit_test(test_migrate_tampered_refused),
        cmocka_unit_test(test_migrate_bad_sets),
        cmocka_unit_test(test_migrate_incremental_and_failing),
        cmocka_unit_test(test_migrate_concurrent_runners),
        cmocka_unit_test(test_rt_migrate_binary),
        cmocka_unit_test(test_numeric_round_trip),
        cmocka_unit_test(test_sql_looking_text_stays_data),
        cmocka_unit_test(test_constraint_errors),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_seed_queries),
        cmocka_unit_test(test_schema_books_flow),
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_connect_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
