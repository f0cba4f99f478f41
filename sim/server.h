/* The simulator's network shell: one libwebsockets vhost on one port serving the WebSocket
 * streams (/ws/..., /stream?streams=...) and the REST endpoints (rest.h), driving the market
 * from a timer. All of it runs on one thread; callbacks only parse, hand off and return.
 *
 * Timing (real time): the market advances every 50 ms to sim_start + elapsed * speed; closed
 * klines (x:true) go out as they close, exactly once; the forming kline of each subscribed
 * stream goes out (x:false) at most every kline_update_ms (1s klines: every 1000 ms) when it
 * changed; miniTicker every 1000 ms; pings every ping_interval_ms, and a client whose pong is
 * pong_timeout_ms late is dropped. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <stdint.h>

#include "account.h"
#include "market.h"

typedef struct {
    int port;             /* 0: any free port (see sim_server_port) */
    const char *bind;     /* address to listen on */
    int64_t speed;        /* simulated ms per real ms */
    int64_t sim_start_ms; /* simulated time at sim_server_run's start */
    int64_t ping_interval_ms;
    int64_t pong_timeout_ms;
    int64_t kline_update_ms;
    int64_t fault_mute_pings_s; /* faults active from the start */
    int64_t fault_refuse_s;
    sim_account_t *account; /* signed endpoints' state, borrowed; NULL: they answer -2015 */
} sim_server_config_t;

typedef struct sim_server sim_server_t;

/** Creates the server and starts listening. market (and cfg->account) are borrowed (the server
 * advances it) and must outlive the server. Returns 0 and *out, RT_EIO when lws cannot listen (port
 * in use), RT_ENOMEM, RT_EINVAL. */
int sim_server_new(const sim_server_config_t *cfg, sim_market_t *market, sim_server_t **out);

/** The port actually listened on. */
int sim_server_port(const sim_server_t *s);

/** Serves until rt_sig_stopping(). Returns 0, or RT_EIO when the event loop failed. */
int sim_server_run(sim_server_t *s);

/** Closes every connection and frees the server. NULL is a no-op. */
void sim_server_free(sim_server_t *s);

#endif
