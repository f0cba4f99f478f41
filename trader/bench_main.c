/* rt-trader-bench: signals per second through rt-trader's risk decision, demo execution and
 * commit, and p50/p99 from a signal's arrival on the stream (its entry id's time) to its
 * order's fill commit (orders.updated_at). Not a test: run by hand, prints one line.
 *
 *   REDIS_HOST REDIS_PORT PGHOST PGPORT PGUSER PGDATABASE (an existing database to connect to;
 *   the bench creates and drops its own scratch database beside it), RT_SOURCE_DIR (for
 *   db/migrations, default "."), and optionally BENCH_SIGNALS (default 2000) and BENCH_RATE
 *   (signals per second to send at; default 0 = all at once, which measures throughput; a
 *   rate below it measures latency without a queue).
 *   rt-trader and rt-exchange-sim are taken from the bench's own directory: the simulator
 *   (on BENCH_SIM_PORT, default 28890) gives the demo trader its exchange filters. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/str.h"
#include "rt/time.h"

#define SIGNALS_MAX 100000

typedef struct {
    const char *redis_host, *redis_port, *pghost, *pgport, *pguser, *pgdb;
    char scratch[64];
    char stream[64];
} bench_env_t;

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && v[0] ? v : dflt;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int connect_db(const bench_env_t *e, const char *db, rt_db_t **out)
{
    char ci[512];
    int n = snprintf(ci, sizeof ci, "host=%s port=%s user=%s dbname=%s", e->pghost, e->pgport,
                     e->pguser, db);
    if (n < 0 || (size_t)n >= sizeof ci)
        return RT_ETOOBIG;
    rt_db_opts_t o = {.attempts = 3};
    return rt_db_connect(ci, &o, out);
}

/* The exchange whose exchangeInfo the demo trader trades by (tick, step, notional). */
static pid_t spawn_sim(const char *bin)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setenv("SIM_PORT", env_or("BENCH_SIM_PORT", "28890"), 1);
    setenv("SIM_BIND", "127.0.0.1", 1);
    setenv("SYMBOLS", "BTCUSDC", 1);
    setenv("SIM_HISTORY", "10", 1);
    setenv("LOG_LEVEL", "warn", 1);
    execl(bin, bin, (char *)NULL);
    _exit(127);
}

static pid_t spawn_trader(const bench_env_t *e, const char *bin)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setenv("PGDATABASE", e->scratch, 1);
    setenv("PGHOST", e->pghost, 1);
    setenv("PGPORT", e->pgport, 1);
    setenv("PGUSER", e->pguser, 1);
    setenv("REDIS_HOST", e->redis_host, 1);
    setenv("REDIS_PORT", e->redis_port, 1);
    setenv("TRADER_STREAM", e->stream, 1);
    setenv("TRADE_QUANTITY", "0.001", 1);
    setenv("DEMO_BALANCES", "USDC=100000000", 1);
    setenv("TRADER_PORT", env_or("BENCH_TRADER_PORT", "28801"), 1);
    setenv("LOG_LEVEL", "WARN", 1);
    setenv("TRADER_RUN_SECONDS", "600", 1);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%s", env_or("BENCH_SIM_PORT", "28890"));
    setenv("EXCHANGE_REST_URL", url, 1);
    setenv("SYMBOLS", "BTCUSDC", 1);
    /* every signal its own position on one symbol: no cooldown, no count or exposure cap */
    setenv("COOLDOWN_SECONDS", "0", 1);
    setenv("MAX_OPEN_POSITIONS", "0", 1);
    setenv("MAX_EXPOSURE_PCT", "0", 1);
    execl(bin, bin, (char *)NULL);
    _exit(127);
}

static int64_t count(rt_db_t *db, const char *sql)
{
    rt_db_result_t *res = NULL;
    int64_t v = -1;
    if (rt_db_exec(db, sql, 0, NULL, &res) == 0)
        rt_db_get_int64(res, 0, 0, &v);
    rt_db_result_free(res);
    return v;
}

int main(void)
{
    bench_env_t e = {
        .redis_host = env_or("REDIS_HOST", "127.0.0.1"),
        .redis_port = env_or("REDIS_PORT", "16379"),
        .pghost = env_or("PGHOST", "127.0.0.1"),
        .pgport = env_or("PGPORT", "15432"),
        .pguser = env_or("PGUSER", "roottrading"),
        .pgdb = env_or("PGDATABASE", "trading"),
    };
    int64_t n = 2000;
    if (rt_str_parse_int64(env_or("BENCH_SIGNALS", "2000"), &n) != 0 || n < 1 || n > SIGNALS_MAX) {
        fprintf(stderr, "BENCH_SIGNALS: 1..%d\n", SIGNALS_MAX);
        return 2;
    }
    int64_t rate = 0;
    if (rt_str_parse_int64(env_or("BENCH_RATE", "0"), &rate) != 0 || rate < 0 || rate > 1000000) {
        fprintf(stderr, "BENCH_RATE: 0..1000000 signals per second\n");
        return 2;
    }
    snprintf(e.scratch, sizeof e.scratch, "rt_bench_trader_%ld", (long)getpid());
    snprintf(e.stream, sizeof e.stream, "signals:bench:%ld", (long)getpid());
    char bin[1100], sim_bin[1100], self[1024], mig[1024], why[256], sql[128];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        return 2;
    self[k] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(bin, sizeof bin, "%s/rt-trader", self);
    snprintf(sim_bin, sizeof sim_bin, "%s/rt-exchange-sim", self);
    snprintf(mig, sizeof mig, "%s/db/migrations", env_or("RT_SOURCE_DIR", "."));

    rt_db_t *maint = NULL, *db = NULL;
    rt_bus_t *bus = NULL;
    int64_t *sent = calloc((size_t)n, sizeof *sent), *lat = calloc((size_t)n, sizeof *lat);
    pid_t trader = -1, sim = -1;
    int rc = RT_ENOMEM;
    if (!sent || !lat)
        goto out;
    if ((rc = connect_db(&e, e.pgdb, &maint)) != 0)
        goto out;
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", e.scratch);
    if ((rc = rt_db_exec_script(maint, sql)) != 0 || (rc = connect_db(&e, e.scratch, &db)) != 0 ||
        (rc = rt_db_migrate(db, mig, NULL, NULL, why, sizeof why)) != 0)
        goto out;
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = e.redis_host;
    int64_t port = 0;
    if ((rc = rt_str_parse_int64(e.redis_port, &port)) != 0)
        goto out;
    bo.port = (int)port;
    if ((rc = rt_bus_new(&bo, &bus)) != 0 ||
        (rc = rt_bus_group_create(bus, e.stream, "trader", "0")) != 0)
        goto out;
    sim = spawn_sim(sim_bin);
    rt_time_sleep_ms(500);
    trader = spawn_trader(&e, bin);
    rt_time_sleep_ms(3000); /* let it connect, recover and load the filters */
    int64_t t0 = rt_time_mono_ms();
    for (int64_t i = 0; i < n; i++) {
        char json[256], id[RT_BUS_ID_CAP];
        if (rate > 0) {
            int64_t due = t0 + i * 1000 / rate, now = rt_time_mono_ms();
            if (due > now)
                rt_time_sleep_ms(due - now);
        }
        /* each signal its own strategy, so none is refused as already in position */
        snprintf(json, sizeof json,
                 "{\"id\":\"bench-%lld\",\"strategy\":\"bench_%lld\",\"symbol\":\"BTCUSDC\","
                 "\"side\":\"BUY\",\"timestamp\":1616554800000,\"price\":50000}",
                 (long long)i, (long long)i);
        if ((rc = rt_bus_xadd(bus, e.stream, 0, json, strlen(json), id, sizeof id)) != 0)
            goto out;
        sent[i] = strtoll(id, NULL, 10); /* the entry id's milliseconds */
    }
    int64_t done = 0;
    while (done < n && rt_time_mono_ms() - t0 < 300000) {
        rt_time_sleep_ms(50);
        done = count(db, "SELECT count(*) FROM orders WHERE status = 'FILLED'");
        if (count(db, "SELECT count(*) FROM signals WHERE outcome = 'rejected'") > 0) {
            fprintf(stderr, "signals were refused: SELECT reason FROM signals shows why\n");
            rc = RT_ESTATE;
            goto out;
        }
    }
    int64_t wall = rt_time_mono_ms() - t0;
    if (done < n) {
        fprintf(stderr, "only %lld of %lld orders filled in 300 s\n", (long long)done,
                (long long)n);
        rc = RT_ETIMEDOUT;
        goto out;
    }
    rt_db_result_t *res = NULL;
    if ((rc = rt_db_exec(db,
                         "SELECT substr(signal_id, 7)::bigint, (extract(epoch FROM updated_at) "
                         "* 1000)::bigint FROM orders",
                         0, NULL, &res)) != 0)
        goto out;
    for (int r = 0; r < rt_db_nrows(res); r++) {
        int64_t i = 0, ms = 0;
        rt_db_get_int64(res, r, 0, &i);
        rt_db_get_int64(res, r, 1, &ms);
        if (i >= 0 && i < n)
            lat[i] = ms - sent[i];
    }
    rt_db_result_free(res);
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("bench=trader_signal_to_commit signals=%lld rate=%lld wall_ms=%lld signals_per_s=%.0f "
           "p50_ms=%lld p99_ms=%lld max_ms=%lld\n",
           (long long)n, (long long)rate, (long long)wall,
           (double)n * 1000.0 / (double)(wall ? wall : 1), (long long)lat[n / 2],
           (long long)lat[(n * 99) / 100], (long long)lat[n - 1]);
    rc = 0;
out:
    if (trader > 0) {
        kill(trader, SIGTERM);
        waitpid(trader, NULL, 0);
    }
    if (sim > 0) {
        kill(sim, SIGTERM);
        waitpid(sim, NULL, 0);
    }
    if (rc != 0)
        fprintf(stderr, "rt-trader-bench: %s\n", rt_strerror(rc));
    rt_db_close(db);
    if (maint) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", e.scratch);
        rt_db_exec_script(maint, sql);
    }
    rt_db_close(maint);
    rt_bus_free(bus);
    free(sent);
    free(lat);
    return rc == 0 ? 0 : 1;
}
