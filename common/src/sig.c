#include "rt/sig.h"

#include <signal.h>
#include <stddef.h>

#include "rt/err.h"

/* The one piece of global mutable state STYLE.md allows besides the log level. */
static volatile sig_atomic_t g_stop;

static void on_signal(int signo)
{
    (void)signo;
    g_stop = 1;
}

int rt_sig_install(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return RT_EIO;
    struct sigaction ign = {0};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, NULL) != 0)
        return RT_EIO;
    return RT_OK;
}

bool rt_sig_stopping(void)
{
    return g_stop != 0;
}

void rt_sig_request_stop(void)
{
    g_stop = 1;
}

void rt_sig_reset(void)
{
    g_stop = 0;
}
