/* The stop flag: SIGINT and SIGTERM set it, loops poll it and end cleanly. */
#ifndef RT_SIG_H
#define RT_SIG_H

#include <stdbool.h>

/** Installs SIGINT/SIGTERM handlers that only set the stop flag, and ignores SIGPIPE (a
 *  closed socket is reported by the write, not by a signal). Returns 0 or RT_EIO. */
int rt_sig_install(void);

/** True once a stop was requested (signal or rt_sig_request_stop). Async-signal-safe. */
bool rt_sig_stopping(void);

/** Requests a stop from code (e.g. a fatal error in a worker thread, or a test). */
void rt_sig_request_stop(void);

/** Clears the flag (tests that stop and restart a loop in one process). */
void rt_sig_reset(void);

#endif
