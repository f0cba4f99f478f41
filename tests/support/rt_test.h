/* Helpers shared by the tests: where the shared data lives, and the servers the harness
 * (./rt test) started for integration tests. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stddef.h>
#include <sys/types.h>

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

/** Sends SIGTERM to *pid and waits up to grace_ms for it (then SIGKILL); sets *pid to -1.
 *  Returns 0 when it exited with status 0 within the grace period, -1 otherwise (also 0 when
 *  *pid was not running: <= 0). */
int rt_test_proc_stop(pid_t *pid, int grace_ms);

#endif
