/* Helpers shared by the tests: where the shared data lives, and the servers the harness
 * (./rt test) started for integration tests. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/err.h"
#include "rt/money.h"

/* Fails the test unless actual (an rt_err code) equals expected, naming both. */
#define ASSERT_RC(expected, actual)                                                                \
    do {                                                                                           \
        int rc_ = (actual);                                                                        \
        if (rc_ != (expected))                                                                     \
            fail_msg("%s: expected %d (%s), got %d (%s)", #actual, (expected),                     \
                     rt_strerror(expected), rc_, rt_strerror(rc_));                                \
    } while (0)

/* Fails the test unless the two rt_money_t are equal, printing both as decimals. */
#define ASSERT_MONEY(expected, actual)                                                             \
    do {                                                                                           \
        rt_money_t e_ = (expected), a_ = (actual);                                                 \
        if (e_ != a_) {                                                                            \
            char es_[RT_MONEY_FMT_MAX], as_[RT_MONEY_FMT_MAX];                                     \
            rt_money_format(e_, es_, sizeof es_);                                                  \
            rt_money_format(a_, as_, sizeof as_);                                                  \
            fail_msg("%s: expected %s, got %s", #actual, es_, as_);                                \
        }                                                                                          \
    } while (0)

/** Path of a file under ../shared (the data folder beside the repo), written into buf.
 *  Fails the test if it does not fit or does not exist. */
const char *rt_test_shared_path(char *buf, size_t cap, const char *rel);

/** Path of a file under the source tree (e.g. "tests/fixtures/x.json"). Fails if missing. */
const char *rt_test_source_path(char *buf, size_t cap, const char *rel);

/** Value of an environment variable the harness sets (RT_TEST_REDIS_PORT, RT_TEST_PGPORT, ...).
 *  An integration test that finds none fails with a message naming it: never skipped. */
const char *rt_test_require_env(const char *name);

/** Reads a whole file into a new NUL-terminated buffer (caller frees); fails the test on error. */
char *rt_test_read_file(const char *path, size_t *len_out);

/** Starts $RT_BINARY_DIR/bin/rt-exchange-sim from "/" (no .env there) with exactly the n
 *  settings ("NAME=value") as its environment (include SIM_PORT=0 so that it picks a free
 *  port), killed if the test dies, and waits at most 20 s for its "listening on HOST:PORT"
 *  line. Returns 0 with *pid and *port written, or -1 with the reason on stderr. */
int rt_test_sim_start(const char *const *settings, size_t n, pid_t *pid, int *port);

/** A loopback TCP port free now, chosen by the kernel (its ephemeral range: outside the
 *  20000-29999 the harness's servers and the stack tests pick from). Fails the test on error. */
int rt_test_free_port(void);

/** Sends SIGTERM to *pid and waits up to grace_ms for it (then SIGKILL); sets *pid to -1.
 *  Returns 0 when it exited with status 0 within the grace period, -1 otherwise (also 0 when
 *  *pid was not running: <= 0). */
int rt_test_proc_stop(pid_t *pid, int grace_ms);

/** One rt-trader under test: the harness's servers (RT_TEST_*), a database of its own
 *  (created and migrated), a stream, an HTTP port and an API token of its own, and at most one
 *  trader process at a time. */
typedef struct {
    const char *pghost, *pgport, *pguser, *maint_db, *redis_host, *redis_port;
    char dbname[64];
    char stream[96];
    char bin[1024];     /* build/bin/rt-trader */
    char log_path[128]; /* the trader's stderr when capture_log */
    char token[40];
    int http_port;
    bool capture_log; /* set before rt_test_trader_start: stderr to log_path, else inherited */
    rt_db_t *maint;   /* the harness's database, to create and drop ours */
    rt_db_t *db;      /* ours */
    rt_bus_t *bus;
    pid_t pid; /* the trader; 0 when none runs */
    pid_t sim; /* an rt-exchange-sim the test started for it (exchangeInfo, orders); 0: none */
    int sim_port;
} rt_test_trader_t;

/** Fills *t (zeroed first): reads RT_TEST_*, creates the database rt_test_<tag>_<pid>_<n>
 *  (dropped first if it exists), applies db/migrations, connects db, maint and bus, and picks
 *  the stream, the token, the log path and an HTTP port the kernel gives (rt_test_free_port).
 *  Fails the test on any error. */
void rt_test_trader_setup(rt_test_trader_t *t, const char *tag);

/** A new rt_test_trader_t (malloc'd) filled by rt_test_trader_setup; fails the test on error. */
rt_test_trader_t *rt_test_trader_new(const char *tag);

/** A cmocka teardown for a test whose *state is an rt_test_trader_new: tears it down
 *  (rt_test_trader_teardown) and frees it. Returns 0. */
int rt_test_trader_teardown_state(void **state);

/** A subscriber on the trader's Redis subscribed to channel (the caller frees it with
 *  rt_bus_sub_free); fails the test on error. */
rt_bus_sub_t *rt_test_trader_subscribe(rt_test_trader_t *t, const char *channel);

/** Kills a trader still running (SIGKILL), stops t->sim when set, drops the database, closes
 *  the connections and removes the log file (kept when RT_TEST_KEEP_LOGS is set). Never fails. */
void rt_test_trader_teardown(rt_test_trader_t *t);

/** Starts rt-trader with: REDIS_HOST/PORT, PGHOST/PORT/USER/PASSWORD(empty)/DATABASE,
 *  TRADER_STREAM, TRADER_PORT, API_TOKEN, TRADER_FAULT=fault, TRADER_RUN_SECONDS=60 (it never
 *  outlives a broken test), LOG_LEVEL=INFO, then settings: NULL or NAME, VALUE, ..., NULL
 *  (which may override any of those). Fails the test if one already runs or fork fails. */
void rt_test_trader_start(rt_test_trader_t *t, const char *fault, const char *const *settings);

/** SIGTERM, then waits up to 10 s: fails the test unless it exits with status 0 (under the
 *  sanitizers a leak or an error makes it fail). No-op when none runs. */
void rt_test_trader_stop(rt_test_trader_t *t);

/** Waits up to 15 s for the trader to die by itself (a fault point); returns its wait
 *  status. Fails the test otherwise. */
int rt_test_trader_wait_dead(rt_test_trader_t *t);

#endif
