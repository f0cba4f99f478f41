/* A fixed pool of database connections for the HTTP threads (rt_db_t is one thread at a time). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pf.h"
#include "rt/err.h"
#include "rt/log.h"

struct pf_dbpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int n;
    int nfree;
    rt_db_t **all;
    rt_db_t **free_list;
};

void pf_dbpool_free(pf_dbpool_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        rt_db_close(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int pf_dbpool_new(const char *conninfo, int n, pf_dbpool_t **out)
{
    int rc = 0;
    if (n < 1 || n > 64 || !out)
        return RT_EINVAL;
    pf_dbpool_t *p = calloc(1, sizeof *p);
    if (!p)
        return RT_ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    p->all = calloc((size_t)n, sizeof *p->all);
    p->free_list = calloc((size_t)n, sizeof *p->free_list);
    if (!p->all || !p->free_list) {
        rc = RT_ENOMEM;
        goto out;
    }
    rt_db_opts_t opts = {.attempts = 15, .backoff_ms = 200, .application_name = "rt-portfolio"};
    for (int i = 0; i < n; i++) {
        rc = rt_db_connect(conninfo, &opts, &p->all[i]);
        if (rc < 0)
            goto out;
        p->n++;
        p->free_list[p->nfree++] = p->all[i];
    }
    *out = p;
    p = NULL;
out:
    pf_dbpool_free(p);
    return rc;
}

int pf_dbpool_get(pf_dbpool_t *p, int64_t timeout_ms, rt_db_t **out)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    while (p->nfree == 0) {
        if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT && p->nfree == 0) {
            rc = RT_EAGAIN;
            goto out;
        }
    }
    *out = p->free_list[--p->nfree];
out:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void pf_dbpool_put(pf_dbpool_t *p, rt_db_t *db)
{
    if (!p || !db)
        return;
    pthread_mutex_lock(&p->lock);
    p->free_list[p->nfree++] = db;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}
