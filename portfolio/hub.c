/* The SSE hub: the dashboard clients of GET /events and the broadcast to them. The server keeps
 * each client's buffer bounded and drops a client that falls behind; the hub only holds one
 * reference per client, released when the server says the stream ended. */
#include <string.h>

#include "pf.h"
#include "rt/err.h"

int pf_hub_init(pf_hub_t *h, size_t max)
{
    if (!h || max < 1 || max > PF_HUB_MAX)
        return RT_EINVAL;
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    h->max = max;
    return 0;
}

void pf_hub_cleanup(pf_hub_t *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->count; i++)
        rt_http_stream_release(h->clients[i]);
    h->count = 0;
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_destroy(&h->lock);
}

void pf_hub_broadcast(pf_hub_t *h, const char *event, const char *data)
{
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->count; i++) {
        int rc = rt_http_stream_send(h->clients[i], event, data);
        if (rc == RT_ECONN && h->m_dropped)
            rt_counter_inc(h->m_dropped); /* it leaves through pf_hub_closed */
    }
    if (h->m_events)
        rt_counter_inc(h->m_events);
    pthread_mutex_unlock(&h->lock);
}

size_t pf_hub_count(pf_hub_t *h)
{
    pthread_mutex_lock(&h->lock);
    size_t n = h->count;
    pthread_mutex_unlock(&h->lock);
    return n;
}

int pf_hub_add(pf_hub_t *h, rt_http_stream_t *s)
{
    int rc = 0;
    pthread_mutex_lock(&h->lock);
    if (h->count >= h->max) {
        rc = RT_ERANGE;
        goto out;
    }
    h->clients[h->count++] = s;
out:
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void pf_hub_closed(void *ud, rt_http_stream_t *s)
{
    pf_hub_t *h = ud;
    bool found = false;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->count; i++) {
        if (h->clients[i] == s) {
            h->clients[i] = h->clients[--h->count];
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (found)
        rt_http_stream_release(s);
}
