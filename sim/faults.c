#include "faults.h"

#include <string.h>

#include "account.h"
#include "rt/err.h"
#include "rt/str.h"

#define COUNT_MAX 1000000
#define DELAY_MAX_MS 600000

static const struct {
    sim_fault_mode_t mode;
    const char *name;
} modes[] = {
    {SIM_FAULT_OFF, "off"},
    {SIM_FAULT_EXEC_500, "exec-500"},
    {SIM_FAULT_EXEC_503, "exec-503"},
    {SIM_FAULT_REJECT_503, "reject-503"},
    {SIM_FAULT_RATE_LIMIT, "rate-limit"},
    {SIM_FAULT_BAN, "ban"},
    {SIM_FAULT_DELAY, "delay"},
};

static const char *mode_name(sim_fault_mode_t m)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (modes[i].mode == m)
            return modes[i].name;
    return "off";
}

void sim_faults_init(sim_faults_t *f)
{
    memset(f, 0, sizeof *f);
}

/* Binance's newClientOrderId alphabet; only such ids are counted (and echoed in JSON). */
static bool id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= SIM_FAULTS_ID_CAP)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

uint64_t sim_faults_count(const sim_faults_t *f, const char *id)
{
    if (f == NULL || id == NULL)
        return 0;
    for (size_t i = 0; i < f->nids; i++)
        if (strcmp(f->ids[i].id, id) == 0)
            return f->ids[i].count;
    return 0;
}

static void count_order(sim_faults_t *f, const char *id)
{
    f->order_requests++;
    if (!id_ok(id))
        return;
    for (size_t i = 0; i < f->nids; i++)
        if (strcmp(f->ids[i].id, id) == 0) {
            f->ids[i].count++;
            return;
        }
    if (f->nids == SIM_FAULTS_IDS)
        return;
    (void)rt_str_copy(f->ids[f->nids].id, sizeof f->ids[f->nids].id, id);
    f->ids[f->nids].count = 1;
    f->nids++;
}

/* Takes one request off the armed fault and returns the mode it gets. */
static sim_fault_mode_t take(sim_faults_t *f)
{
    if (f->mode == SIM_FAULT_OFF || f->remaining <= 0)
        return SIM_FAULT_OFF;
    sim_fault_mode_t m = f->mode;
    if (--f->remaining == 0)
        f->mode = SIM_FAULT_OFF;
    f->faulted++;
    return m;
}

static int server_error(sim_rest_resp_t *r, int status)
{
    sim_buf_reset(&r->body);
    r->retry_after = 0;
    if (status == 500)
        return sim_rest_error(r, 500, -1000,
                              "An unknown error occurred while processing the request.");
    return sim_rest_error(r, 503, -1008,
                          "Server is currently overloaded with other requests. Please try again "
                          "in a few minutes.");
}

int sim_faults_signed(sim_faults_t *f, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                      sim_rest_resp_t *r)
{
    bool order = req->method == SIM_HTTP_POST && req->path != NULL &&
                 strcmp(req->path, "/api/v3/order") == 0;
    if (f == NULL)
        return sim_account_handle(ctx->account, ctx, req, r);
    f->signed_requests++;
    if (!order)
        return sim_account_handle(ctx->account, ctx, req, r);
    count_order(f, sim_params_get(req->params, "newClientOrderId"));
    sim_fault_mode_t m = take(f);
    int rc;
    switch (m) {
    case SIM_FAULT_EXEC_500:
    case SIM_FAULT_EXEC_503:
        /* whatever the account did, the client only learns that it does not know */
        rc = sim_account_handle(ctx->account, ctx, req, r);
        if (rc != RT_OK)
            return rc;
        return server_error(r, m == SIM_FAULT_EXEC_500 ? 500 : 503);
    case SIM_FAULT_REJECT_503:
        return server_error(r, 503);
    case SIM_FAULT_RATE_LIMIT:
        r->retry_after = (int)f->retry_after_s;
        return sim_rest_error(r, 429, -1003,
                              "Too much request weight used; current limit is %d request weight "
                              "per 1 MINUTE. Please use WebSocket Streams for live updates to "
                              "avoid polling the API.",
                              SIM_WEIGHT_LIMIT);
    case SIM_FAULT_BAN:
        r->retry_after = (int)f->retry_after_s;
        return sim_rest_error(r, 418, -1003,
                              "Way too much request weight used; IP banned until %lld. Please use "
                              "WebSocket Streams for live updates to avoid bans.",
                              (long long)(ctx->real_now_ms + f->retry_after_s * 1000));
    case SIM_FAULT_DELAY:
        rc = sim_account_handle(ctx->account, ctx, req, r);
        if (rc == RT_OK)
            r->delay_ms = f->delay_ms;
        return rc;
    case SIM_FAULT_OFF:
    default:
        return sim_account_handle(ctx->account, ctx, req, r);
    }
}

static int bad(sim_rest_resp_t *r, const char *detail)
{
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body, "{\"error\":\"bad_request\",\"detail\":\"%s\"}", detail);
    return sim_rest_json(r, 400);
}

/* An optional integer parameter in [lo, hi]; def when absent. */
static int int_param(const sim_rest_req_t *req, const char *name, int64_t lo, int64_t hi,
                     int64_t def, int64_t *out)
{
    const char *v = sim_params_get(req->params, name);
    if (v == NULL) {
        *out = def;
        return RT_OK;
    }
    int64_t x;
    if (rt_str_parse_int64(v, &x) != RT_OK || x < lo || x > hi)
        return RT_EINVAL;
    *out = x;
    return RT_OK;
}

int sim_faults_admin_set(sim_faults_t *f, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    if (f == NULL)
        return bad(r, "this server has no order faults");
    const char *name = sim_params_get(req->params, "mode");
    sim_fault_mode_t m = SIM_FAULT_OFF;
    bool known = false;
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].name, name) == 0) {
            m = modes[i].mode;
            known = true;
        }
    if (!known)
        return bad(r, "mode must be off, exec-500, exec-503, reject-503, rate-limit, ban or delay");
    int64_t count, seconds, delay;
    if (int_param(req, "count", 1, COUNT_MAX, 1, &count) != RT_OK)
        return bad(r, "count must be an integer from 1 to 1000000");
    if (int_param(req, "seconds", 1, 86400, 60, &seconds) != RT_OK)
        return bad(r, "seconds (Retry-After) must be an integer from 1 to 86400");
    if (int_param(req, "delayMs", 1, DELAY_MAX_MS, 15000, &delay) != RT_OK)
        return bad(r, "delayMs must be an integer from 1 to 600000");
    f->mode = m;
    f->remaining = m == SIM_FAULT_OFF ? 0 : count;
    f->retry_after_s = seconds;
    f->delay_ms = delay;
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body,
                   "{\"ok\":true,\"action\":\"order-fault\",\"mode\":\"%s\",\"count\":%lld,"
                   "\"seconds\":%lld,\"delayMs\":%lld}",
                   mode_name(m), (long long)f->remaining, (long long)seconds, (long long)delay);
    return sim_rest_json(r, 200);
}

int sim_faults_admin_get(const sim_faults_t *f, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    if (f == NULL)
        return bad(r, "this server has no order faults");
    const char *id = sim_params_get(req->params, "newClientOrderId");
    if (id != NULL && !id_ok(id))
        return bad(r, "newClientOrderId must match ^[a-zA-Z0-9-_]{1,36}$");
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body,
                   "{\"orders\":%llu,\"signed\":%llu,\"faulted\":%llu,\"armed\":\"%s\","
                   "\"remaining\":%lld",
                   (unsigned long long)f->order_requests, (unsigned long long)f->signed_requests,
                   (unsigned long long)f->faulted, mode_name(f->mode), (long long)f->remaining);
    if (id != NULL)
        sim_buf_printf(&r->body, ",\"clientOrderId\":\"%s\",\"count\":%llu", id,
                       (unsigned long long)sim_faults_count(f, id));
    sim_buf_puts(&r->body, "}");
    return sim_rest_json(r, 200);
}
