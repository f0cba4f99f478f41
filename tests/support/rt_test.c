#include "rt_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

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
                 "(or tests/harness.sh run)", name);
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
    if (strstr(line, "listening on") == NULL || colon == NULL || end == colon + 1 ||
        *end != '\0' || p < 1 || p > 65535) {
        fprintf(stderr, "simulator did not start: \"%s\"\n", line);
        pid_t dead = child;
        rt_test_proc_stop(&dead, 2000);
        return -1;
    }
    *pid = child;
    *port = (int)p;
    return 0;
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
