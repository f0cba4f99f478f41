/* Helpers shared by the tests: where the shared data lives, and the servers the harness
 * (./rt test) started for integration tests. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stddef.h>

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

#endif
