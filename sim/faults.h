/* Fault switches of the order endpoint, for tests of a client's failure paths: the next N
 * `POST /api/v3/order` requests execute then answer 5xx, answer 503 without executing, answer
 * 429 or 418 with Retry-After, or execute and delay the reply. Counters say how many order
 * requests arrived, in total and per newClientOrderId, so that a test can prove nothing was
 * resent. Pure: the state lives in a sim_faults_t the shell owns and passes in
 * sim_rest_ctx_t.faults; the admin routes (rest.c) call these functions.
 *
 *   POST /admin/order-fault?mode=M&count=N[&seconds=S][&delayMs=D]   arm (mode=off disarms)
 *   GET  /admin/order-requests[?newClientOrderId=X]                   the counters */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rest.h"

typedef enum {
    SIM_FAULT_OFF = 0,
    SIM_FAULT_EXEC_500,   /* executed, then 500: status unknown to the client */
    SIM_FAULT_EXEC_503,   /* executed, then 503 */
    SIM_FAULT_REJECT_503, /* 503 and nothing executed */
    SIM_FAULT_RATE_LIMIT, /* 429, -1003, Retry-After; nothing executed */
    SIM_FAULT_BAN,        /* 418, -1003, Retry-After; nothing executed */
    SIM_FAULT_DELAY,      /* executed, the reply held back delay_ms */
} sim_fault_mode_t;

/** Distinct newClientOrderIds counted; later new ids count only in the total. */
#define SIM_FAULTS_IDS 512
#define SIM_FAULTS_ID_CAP 40

struct sim_faults {
    sim_fault_mode_t mode;
    int64_t remaining;        /* requests the mode still applies to */
    int64_t retry_after_s;    /* RATE_LIMIT, BAN */
    int64_t delay_ms;         /* DELAY */
    uint64_t order_requests;  /* POST /api/v3/order requests that arrived */
    uint64_t signed_requests; /* requests to any SIGNED endpoint */
    uint64_t faulted;         /* requests a fault answered */
    size_t nids;
    struct {
        char id[SIM_FAULTS_ID_CAP];
        uint64_t count;
    } ids[SIM_FAULTS_IDS];
};
typedef struct sim_faults sim_faults_t;

/** Disarms and zeroes every counter. */
void sim_faults_init(sim_faults_t *f);

/** Counts a request to a signed endpoint and, for POST /api/v3/order, answers it through the
 *  armed fault (one of the remaining count) or the account (account.h). f may be NULL (no
 *  faults, no counting). Returns as sim_account_handle. */
int sim_faults_signed(sim_faults_t *f, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                      sim_rest_resp_t *r);

/** POST /admin/order-fault: arms mode for the next count order requests. Answers 400 with a
 *  JSON reason for a bad parameter. Returns 0 or the body's error. */
int sim_faults_admin_set(sim_faults_t *f, const sim_rest_req_t *req, sim_rest_resp_t *r);

/** GET /admin/order-requests: {"orders":N,"signed":N,"faulted":N,"armed":"mode",
 *  "remaining":N[,"clientOrderId":"x","count":N]}. Returns 0 or the body's error. */
int sim_faults_admin_get(const sim_faults_t *f, const sim_rest_req_t *req, sim_rest_resp_t *r);

/** How many POST /api/v3/order requests carried newClientOrderId id (0 when never seen). */
uint64_t sim_faults_count(const sim_faults_t *f, const char *id);

#endif
