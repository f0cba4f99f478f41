#include "rt_test.h"

#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/str.h"

static const char *join(char *buf, size_t cap, const char *base, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", base, rel);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("path too long: %s/%s", base, rel);
    struct stat st;
    if (stat(buf, &st) != 0)
        fail_msg("missing file: %s", buf);
    return buf;
}

const char *rt_test_shared_path(char *buf, size_t cap, const char *rel)
{
    const char *base = getenv("RT_SHARED_DIR");
    return join(buf, cap, base ? base : "../shared", rel);
}

const char *rt_test_source_path(char *buf, size_t cap, const char *rel)
{
    const char *base = getenv("RT_SOURCE_DIR");
    return join(buf, cap, base ? base : ".", rel);
}

const char *rt_test_require_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        fail_msg("%s is not set: integration tests need the servers started by ./rt test "
                 "(or tests/harness.sh run)",
                 name);
    return v;
}

char *rt_test_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    if (fseek(f, 0, SEEK_END) != 0)
        fail_msg("cannot seek %s", path);
    long n = ftell(f);
    if (n < 0)
        fail_msg("cannot size %s", path);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL)
        fail_msg("out of memory reading %s", path);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("short read on %s", path);
    fclose(f);
    buf[n] = '\0';
    if (len_out)
        *len_out = (size_t)n;
    return buf;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rt_test_sim_start(const char *const *settings, size_t n, pid_t *pid, int *port)
{
    const char *bindir = rt_test_require_env("RT_BINARY_DIR");
    char exe[1024];
    int len = snprintf(exe, sizeof exe, "%s/bin/rt-exchange-sim", bindir);
    if (len < 0 || (size_t)len >= sizeof exe || n > 64)
        return -1;
    char *envp[65];
    for (size_t i = 0; i < n; i++)
        envp[i] = (char *)(uintptr_t)settings[i]; /* execve's prototype is not const-correct */
    envp[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t child = fork();
    if (child < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        if (chdir("/") != 0)
            _exit(126);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char *const argv[] = {exe, NULL};
        execve(exe, argv, envp);
        _exit(127);
    }
    close(fds[1]);
    /* "rt-exchange-sim listening on 127.0.0.1:PORT" within 20 s. */
    char line[256];
    size_t got = 0;
    int64_t deadline = mono_ms() + 20000;
    while (got + 1 < sizeof line && mono_ms() < deadline) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t r = read(fds[0], line + got, 1);
        if (r <= 0 || line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    close(fds[0]);
    const char *colon = strrchr(line, ':');
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : 0;
    if (strstr(line, "listening on") == NULL || colon == NULL || end == colon + 1 || *end != '\0' ||
        p < 1 || p > 65535) {
        fprintf(stderr, "simulator did not start: \"%s\"\n", line);
        pid_t dead = child;
        rt_test_proc_stop(&dead, 2000);
        return -1;
    }
    *pid = child;
    *port = (int)p;
    return 0;
}

int rt_test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

int rt_test_proc_stop(pid_t *pid, int grace_ms)
{
    if (*pid <= 0)
        return 0;
    kill(*pid, SIGTERM);
    int status = 0;
    int64_t deadline = mono_ms() + grace_ms;
    while (mono_ms() < deadline) {
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = -1;
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        }
        usleep(20000);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    *pid = -1;
    return -1;
}

/* ---- rt-trader under test ------------------------------------------------------------------ */

static void trader_conninfo(const rt_test_trader_t *t, const char *db, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "host=%s port=%s user=%s dbname=%s connect_timeout=5", t->pghost,
                     t->pgport, t->pguser, db);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("connection string too long");
}

/* The options that reach the harness's Redis (t->redis_host, t->redis_port). */
static void trader_bus_opts(const rt_test_trader_t *t, rt_bus_opts_t *bo)
{
    rt_bus_opts_init(bo);
    bo->host = t->redis_host;
    int64_t port = 0;
    ASSERT_RC(RT_OK, rt_str_parse_int64(t->redis_port, &port));
    bo->port = (int)port;
}

void rt_test_trader_setup(rt_test_trader_t *t, const char *tag)
{
    static unsigned seq;
    memset(t, 0, sizeof *t);
    t->pghost = rt_test_require_env("RT_TEST_PGHOST");
    t->pgport = rt_test_require_env("RT_TEST_PGPORT");
    t->pguser = rt_test_require_env("RT_TEST_PGUSER");
    t->maint_db = rt_test_require_env("RT_TEST_PGDATABASE");
    t->redis_host = rt_test_require_env("RT_TEST_REDIS_HOST");
    t->redis_port = rt_test_require_env("RT_TEST_REDIS_PORT");
    const char *bindir = rt_test_require_env("RT_BINARY_DIR");
    int n = snprintf(t->bin, sizeof t->bin, "%s/bin/rt-trader", bindir);
    if (n < 0 || (size_t)n >= sizeof t->bin || access(t->bin, X_OK) != 0)
        fail_msg("no executable %s/bin/rt-trader", bindir);
    seq++;
    long pid = (long)getpid();
    n = snprintf(t->dbname, sizeof t->dbname, "rt_test_%s_%ld_%u", tag, pid, seq);
    if (n < 0 || (size_t)n >= sizeof t->dbname)
        fail_msg("database name too long for tag %s", tag);
    snprintf(t->stream, sizeof t->stream, "signals:test:%s:%ld:%u", tag, pid, seq);
    snprintf(t->log_path, sizeof t->log_path, "/tmp/rt_test_%s_%ld_%u.log", tag, pid, seq);
    snprintf(t->token, sizeof t->token, "test-token-%ld-%u", pid, seq);
    t->http_port = rt_test_free_port(); /* the kernel's: none of the harness's or stack's */

    char ci[512], sql[160];
    rt_db_opts_t opts = {.attempts = 3, .backoff_ms = 100};
    trader_conninfo(t, t->maint_db, ci, sizeof ci);
    ASSERT_RC(RT_OK, rt_db_connect(ci, &opts, &t->maint));
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", t->dbname);
    ASSERT_RC(RT_OK, rt_db_exec_script(t->maint, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", t->dbname);
    ASSERT_RC(RT_OK, rt_db_exec_script(t->maint, sql));
    trader_conninfo(t, t->dbname, ci, sizeof ci);
    ASSERT_RC(RT_OK, rt_db_connect(ci, &opts, &t->db));
    char mig[1024], why[256];
    rt_test_source_path(mig, sizeof mig, "db/migrations");
    int rc = rt_db_migrate(t->db, mig, NULL, NULL, why, sizeof why);
    if (rc != RT_OK)
        fail_msg("migrations failed: %s (%s)", rt_strerror(rc), why);

    rt_bus_opts_t bo;
    trader_bus_opts(t, &bo);
    ASSERT_RC(RT_OK, rt_bus_new(&bo, &t->bus));
}

rt_bus_sub_t *rt_test_trader_subscribe(rt_test_trader_t *t, const char *channel)
{
    rt_bus_opts_t bo;
    trader_bus_opts(t, &bo);
    rt_bus_sub_t *sub = NULL;
    ASSERT_RC(RT_OK, rt_bus_sub_new(&bo, &sub));
    ASSERT_RC(RT_OK, rt_bus_sub_subscribe(sub, channel));
    return sub;
}

void rt_test_trader_teardown(rt_test_trader_t *t)
{
    if (t->pid > 0) { /* a failed test left it running */
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
        t->pid = 0;
    }
    rt_db_close(t->db);
    t->db = NULL;
    if (t->maint) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", t->dbname);
        rt_db_exec_script(t->maint, sql);
        rt_db_close(t->maint);
        t->maint = NULL;
    }
    rt_bus_free(t->bus);
    t->bus = NULL;
    if (t->sim > 0)
        rt_test_proc_stop(&t->sim, 5000);
    if (t->log_path[0] && getenv("RT_TEST_KEEP_LOGS") == NULL)
        unlink(t->log_path);
}

rt_test_trader_t *rt_test_trader_new(const char *tag)
{
    rt_test_trader_t *t = malloc(sizeof *t);
    if (t == NULL)
        fail_msg("out of memory");
    rt_test_trader_setup(t, tag);
    return t;
}

int rt_test_trader_teardown_state(void **state)
{
    rt_test_trader_t *t = *state;
    rt_test_trader_teardown(t);
    free(t);
    return 0;
}

void rt_test_trader_start(rt_test_trader_t *t, const char *fault, const char *const *settings)
{
    if (t->pid > 0)
        fail_msg("rt-trader already runs (pid %ld)", (long)t->pid);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        if (t->capture_log && freopen(t->log_path, "w", stderr) == NULL)
            _exit(126);
        char port[16];
        setenv("REDIS_HOST", t->redis_host, 1);
        setenv("REDIS_PORT", t->redis_port, 1);
        setenv("PGHOST", t->pghost, 1);
        setenv("PGPORT", t->pgport, 1);
        setenv("PGUSER", t->pguser, 1);
        setenv("PGPASSWORD", "", 1);
        setenv("PGDATABASE", t->dbname, 1);
        setenv("TRADER_STREAM", t->stream, 1);
        snprintf(port, sizeof port, "%d", t->http_port);
        setenv("TRADER_PORT", port, 1);
        setenv("API_TOKEN", t->token, 1);
        setenv("TRADER_FAULT", fault ? fault : "", 1);
        setenv("TRADER_RUN_SECONDS", "60", 1);
        setenv("LOG_LEVEL", "INFO", 1);
        for (size_t i = 0; settings && settings[i] && settings[i + 1]; i += 2)
            setenv(settings[i], settings[i + 1], 1);
        execl(t->bin, t->bin, (char *)NULL);
        _exit(127);
    }
    t->pid = pid;
}

void rt_test_trader_stop(rt_test_trader_t *t)
{
    if (t->pid <= 0)
        return;
    kill(t->pid, SIGTERM);
    int status = 0;
    int64_t deadline = mono_ms() + 10000;
    while (mono_ms() < deadline) {
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
            t->pid = 0;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("rt-trader did not exit cleanly: status 0x%x", (unsigned)status);
            return;
        }
        usleep(50000);
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, &status, 0);
    t->pid = 0;
    fail_msg("rt-trader did not stop within 10 s of SIGTERM");
}

int rt_test_trader_wait_dead(rt_test_trader_t *t)
{
    int status = 0;
    int64_t deadline = mono_ms() + 15000;
    while (t->pid > 0 && mono_ms() < deadline) {
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
            t->pid = 0;
            return status;
        }
        usleep(50000);
    }
    fail_msg("rt-trader did not die within 15 s");
    return 0;
}
