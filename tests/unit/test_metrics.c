#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/metrics.h"

static char *render(rt_metrics_t *reg)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(rt_metrics_render(reg, &text, &len), RT_OK);
    assert_int_equal(len, strlen(text));
    return text;
}

static void test_empty_registry(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    char *text = render(reg);
    assert_string_equal(text, "");
    free(text);
    rt_metrics_free(reg);
    rt_metrics_free(NULL);
}

static void test_counter_and_gauge_text(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    rt_metric_t *frames, *lag, *conns;
    rt_series_t *s;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    assert_int_equal(
        rt_metrics_counter(reg, "gw_frames_total", "Frames received.", NULL, 0, &frames), RT_OK);
    assert_int_equal(
        rt_metrics_gauge(reg, "gw_lag_seconds", "Lag behind the exchange.", "", 0, &lag), RT_OK);
    assert_int_equal(
        rt_metrics_gauge(reg, "http_connections", "Open connections.", NULL, 0, &conns), RT_OK);
    /* Unlabelled metrics render a zero sample before the first update. */
    char *text = render(reg);
    assert_string_equal(text, "# HELP gw_frames_total Frames received.\n"
                              "# TYPE gw_frames_total counter\n"
                              "gw_frames_total 0\n"
                              "# HELP gw_lag_seconds Lag behind the exchange.\n"
                              "# TYPE gw_lag_seconds gauge\n"
                              "gw_lag_seconds 0\n"
                              "# HELP http_connections Open connections.\n"
                              "# TYPE http_connections gauge\n"
                              "http_connections 0\n");
    free(text);

    assert_int_equal(rt_metric_series(frames, NULL, &s), RT_OK);
    rt_counter_inc(s);
    rt_counter_add(s, 41);
    assert_int_equal(rt_counter_value(s), 42);
    assert_int_equal(rt_metric_series(lag, NULL, &s), RT_OK);
    rt_gauge_set(s, 0.25);
    rt_gauge_add(s, 0.5);
    assert_true(rt_gauge_value(s) == 0.75);
    assert_int_equal(rt_metric_series(conns, NULL, &s), RT_OK);
    rt_gauge_set(s, 3);
    rt_gauge_add(s, -1);
    text = render(reg);
    assert_string_equal(text, "# HELP gw_frames_total Frames received.\n"
                              "# TYPE gw_frames_total counter\n"
                              "gw_frames_total 42\n"
                              "# HELP gw_lag_seconds Lag behind the exchange.\n"
                              "# TYPE gw_lag_seconds gauge\n"
                              "gw_lag_seconds 0.75\n"
                              "# HELP http_connections Open connections.\n"
                              "# TYPE http_connections gauge\n"
                              "http_connections 2\n");
    free(text);
    rt_metrics_free(reg);
}

static void test_labels_escaping_and_bound(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    rt_metric_t *m;
    rt_series_t *a, *b, *again;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    assert_int_equal(rt_metrics_counter(reg, "bus_messages_total",
                                        "Messages by channel.\nSecond line with \\ backslash.",
                                        "channel,result", 2, &m),
                     RT_OK);
    char *text = render(reg);
    assert_string_equal(text, "# HELP bus_messages_total Messages by channel.\\nSecond line with "
                              "\\\\ backslash.\n"
                              "# TYPE bus_messages_total counter\n");
    free(text);

    assert_int_equal(rt_metric_series(m, (const char *[]){"market:data:BTCUSDC", "ok"}, &a), RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"we\"ird\\\nname", "dropped"}, &b),
                     RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"market:data:BTCUSDC", "ok"}, &again),
                     RT_OK);
    assert_ptr_equal(a, again);
    /* The bound counts combinations: a third new one is refused, known ones still resolve. */
    rt_series_t *third = NULL;
    assert_int_equal(rt_metric_series(m, (const char *[]){"x", "ok"}, &third), RT_ERANGE);
    assert_null(third);
    assert_int_equal(rt_metric_series(m, NULL, &third), RT_EINVAL);
    assert_int_equal(rt_metric_series(m, (const char *[]){"x", NULL}, &third), RT_EINVAL);
    char longv[300];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(rt_metric_series(m, (const char *[]){longv, "ok"}, &third), RT_EINVAL);

    rt_counter_add(a, 7);
    rt_counter_inc(b);
    text = render(reg);
    assert_string_equal(text,
                        "# HELP bus_messages_total Messages by channel.\\nSecond line with "
                        "\\\\ backslash.\n"
                        "# TYPE bus_messages_total counter\n"
                        "bus_messages_total{channel=\"market:data:BTCUSDC\",result=\"ok\"} 7\n"
                        "bus_messages_total{channel=\"we\\\"ird\\\\\\nname\",result="
                        "\"dropped\"} 1\n");
    free(text);
    rt_metrics_free(reg);
}

static void test_histogram_text(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    rt_metric_t *plain, *labelled;
    rt_series_t *s, *get, *post;
    static const double buckets[] = {0.005, 0.1, 1, 2.5};
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    assert_int_equal(
        rt_metrics_histogram(reg, "tick_to_trade_seconds", "Latency.", NULL, 0, buckets, 4, &plain),
        RT_OK);
    assert_int_equal(rt_metrics_histogram(reg, "http_request_seconds", "Request duration.",
                                          "method", 4, buckets, 2, &labelled),
                     RT_OK);
    assert_int_equal(rt_metric_series(plain, NULL, &s), RT_OK);
    rt_histogram_observe(s, 0.005); /* on the bound: counts in that bucket (le = less or equal) */
    rt_histogram_observe(s, 0.05);
    rt_histogram_observe(s, 0.5);
    rt_histogram_observe(s, 3);
    rt_histogram_observe(s, NAN); /* ignored */
    assert_int_equal(rt_metric_series(labelled, (const char *[]){"GET"}, &get), RT_OK);
    assert_int_equal(rt_metric_series(labelled, (const char *[]){"POST"}, &post), RT_OK);
    rt_histogram_observe(get, 0.001);
    rt_histogram_observe(get, 0.25);
    char *text = render(reg);
    assert_string_equal(text, "# HELP tick_to_trade_seconds Latency.\n"
                              "# TYPE tick_to_trade_seconds histogram\n"
                              "tick_to_trade_seconds_bucket{le=\"0.005\"} 1\n"
                              "tick_to_trade_seconds_bucket{le=\"0.1\"} 2\n"
                              "tick_to_trade_seconds_bucket{le=\"1\"} 3\n"
                              "tick_to_trade_seconds_bucket{le=\"2.5\"} 3\n"
                              "tick_to_trade_seconds_bucket{le=\"+Inf\"} 4\n"
                              "tick_to_trade_seconds_sum 3.555\n"
                              "tick_to_trade_seconds_count 4\n"
                              "# HELP http_request_seconds Request duration.\n"
                              "# TYPE http_request_seconds histogram\n"
                              "http_request_seconds_bucket{method=\"GET\",le=\"0.005\"} 1\n"
                              "http_request_seconds_bucket{method=\"GET\",le=\"0.1\"} 1\n"
                              "http_request_seconds_bucket{method=\"GET\",le=\"+Inf\"} 2\n"
                              "http_request_seconds_sum{method=\"GET\"} 0.251\n"
                              "http_request_seconds_count{method=\"GET\"} 2\n"
                              "http_request_seconds_bucket{method=\"POST\",le=\"0.005\"} 0\n"
                              "http_request_seconds_bucket{method=\"POST\",le=\"0.1\"} 0\n"
                              "http_request_seconds_bucket{method=\"POST\",le=\"+Inf\"} 0\n"
                              "http_request_seconds_sum{method=\"POST\"} 0\n"
                              "http_request_seconds_count{method=\"POST\"} 0\n");
    free(text);
    rt_metrics_free(reg);
}

static void test_gauge_specials(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    rt_metric_t *m;
    rt_series_t *a, *b, *c, *d;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    assert_int_equal(rt_metrics_gauge(reg, "g", "h", "k", 0, &m), RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"inf"}, &a), RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"ninf"}, &b), RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"nan"}, &c), RT_OK);
    assert_int_equal(rt_metric_series(m, (const char *[]){"tenth"}, &d), RT_OK);
    rt_gauge_set(a, INFINITY);
    rt_gauge_set(b, -INFINITY);
    rt_gauge_set(c, NAN);
    rt_gauge_set(d, 0.1);
    /* Calls meant for another kind do nothing. */
    rt_counter_inc(d);
    rt_histogram_observe(d, 1);
    rt_counter_inc(NULL);
    assert_int_equal(rt_counter_value(d), 0);
    char *text = render(reg);
    assert_string_equal(text, "# HELP g h\n# TYPE g gauge\n"
                              "g{k=\"inf\"} +Inf\ng{k=\"ninf\"} -Inf\ng{k=\"nan\"} NaN\n"
                              "g{k=\"tenth\"} 0.1\n");
    free(text);
    rt_metrics_free(reg);
}

struct reg_case {
    const char *what;
    int kind; /* 0 counter, 1 gauge, 2 histogram */
    const char *name;
    const char *labels;
    size_t max_series;
    int nbuckets; /* histograms: how many of bad_buckets/good_buckets to use; -1 = good */
    int expect;
};

static void test_registration_validation(void **state)
{
    (void)state;
    static const struct reg_case cases[] = {
        {"plain name", 0, "a_b:c_total", NULL, 0, 0, RT_OK},
        {"leading colon", 0, ":rule", NULL, 0, 0, RT_OK},
        {"leading digit", 0, "9lives", NULL, 0, 0, RT_EINVAL},
        {"dash", 0, "bad-name", NULL, 0, 0, RT_EINVAL},
        {"space", 1, "bad name", NULL, 0, 0, RT_EINVAL},
        {"empty name", 1, "", NULL, 0, 0, RT_EINVAL},
        {"NULL name", 1, NULL, NULL, 0, 0, RT_EINVAL},
        {"duplicate name", 1, "a_b:c_total", NULL, 0, 0, RT_EEXIST},
        {"good labels", 1, "g1", "symbol,side", 0, 0, RT_OK},
        {"label with colon", 1, "g2", "a:b", 0, 0, RT_EINVAL},
        {"reserved label", 1, "g3", "__name", 0, 0, RT_EINVAL},
        {"empty label", 1, "g4", "a,,b", 0, 0, RT_EINVAL},
        {"trailing comma", 1, "g5", "a,", 0, 0, RT_EINVAL},
        {"repeated label", 1, "g6", "a,a", 0, 0, RT_EINVAL},
        {"too many labels", 1, "g7", "a,b,c,d,e,f,g,h,i", 0, 0, RT_EINVAL},
        {"eight labels", 1, "g8", "a,b,c,d,e,f,g,h", 0, 0, RT_OK},
        {"bound too large", 0, "c1", "a", RT_METRICS_MAX_SERIES + 1, 0, RT_EINVAL},
        {"histogram ok", 2, "h1", "route", 0, -1, RT_OK},
        {"histogram le label", 2, "h2", "le", 0, -1, RT_EINVAL},
        {"histogram no buckets", 2, "h3", NULL, 0, 0, RT_EINVAL},
        {"histogram unsorted", 2, "h4", NULL, 0, 3, RT_EINVAL},
        {"histogram too many", 2, "h5", NULL, 0, RT_METRICS_MAX_BUCKETS + 1, RT_EINVAL},
    };
    static const double good[] = {1, 2, 3};
    static const double bad[] = {1, 3, 2};
    double many[RT_METRICS_MAX_BUCKETS + 1];
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = (double)i;
    rt_metrics_t *reg;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct reg_case *c = &cases[i];
        rt_metric_t *m = NULL;
        int rc;
        if (c->kind == 0) {
            rc = rt_metrics_counter(reg, c->name, "help", c->labels, c->max_series, &m);
        } else if (c->kind == 1) {
            rc = rt_metrics_gauge(reg, c->name, "help", c->labels, c->max_series, &m);
        } else {
            const double *b = c->nbuckets == -1 ? good : c->nbuckets == 3 ? bad : many;
            size_t n = c->nbuckets == -1 ? 3 : (size_t)c->nbuckets;
            rc = rt_metrics_histogram(reg, c->name, "help", c->labels, c->max_series, b, n, &m);
        }
        if (rc != c->expect)
            print_error("case '%s': got %d (%s), want %d\n", c->what, rc, rt_strerror(rc),
                        c->expect);
        assert_int_equal(rc, c->expect);
        assert_true((rc == RT_OK) == (m != NULL));
    }
    static const double inf_bucket[] = {1, INFINITY};
    rt_metric_t *m = NULL;
    assert_int_equal(rt_metrics_histogram(reg, "h6", "help", NULL, 0, inf_bucket, 2, &m),
                     RT_EINVAL);
    assert_int_equal(rt_metrics_counter(reg, "c2", NULL, NULL, 0, &m), RT_EINVAL);
    assert_null(m);
    rt_metrics_free(reg);
}

#define THREADS 4
#define PER_THREAD 100000

struct hammer {
    rt_series_t *counter;
    rt_series_t *gauge;
    rt_series_t *hist;
    rt_metric_t *labelled;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        rt_counter_inc(h->counter);
        rt_gauge_add(h->gauge, 1.0);
        rt_histogram_observe(h->hist, 0.5);
        if (i % 1000 == 0) {
            rt_series_t *s;
            char v[16];
            snprintf(v, sizeof v, "s%d", i % 5000);
            (void)rt_metric_series(h->labelled, (const char *[]){v}, &s);
        }
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    rt_metrics_t *reg;
    rt_metric_t *c, *g, *h, *l;
    static const double buckets[] = {1};
    struct hammer hm;
    assert_int_equal(rt_metrics_new(&reg), RT_OK);
    assert_int_equal(rt_metrics_counter(reg, "c_total", "c", NULL, 0, &c), RT_OK);
    assert_int_equal(rt_metrics_gauge(reg, "g", "g", NULL, 0, &g), RT_OK);
    assert_int_equal(rt_metrics_histogram(reg, "h", "h", NULL, 0, buckets, 1, &h), RT_OK);
    assert_int_equal(rt_metrics_counter(reg, "l_total", "l", "k", 0, &l), RT_OK);
    assert_int_equal(rt_metric_series(c, NULL, &hm.counter), RT_OK);
    assert_int_equal(rt_metric_series(g, NULL, &hm.gauge), RT_OK);
    assert_int_equal(rt_metric_series(h, NULL, &hm.hist), RT_OK);
    hm.labelled = l;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &hm), 0);
    for (int i = 0; i < 20; i++) { /* render while the others write */
        char *text = render(reg);
        free(text);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(rt_counter_value(hm.counter), (uint64_t)THREADS * PER_THREAD);
    assert_true(rt_gauge_value(hm.gauge) == (double)THREADS * PER_THREAD);
    char *text = render(reg);
    assert_non_null(strstr(text, "h_bucket{le=\"1\"} 400000\n"));
    assert_non_null(strstr(text, "h_sum 200000\n"));
    assert_non_null(strstr(text, "h_count 400000\n"));
    free(text);
    rt_metrics_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry),
        cmocka_unit_test(test_counter_and_gauge_text),
        cmocka_unit_test(test_labels_escaping_and_bound),
        cmocka_unit_test(test_histogram_text),
        cmocka_unit_test(test_gauge_specials),
        cmocka_unit_test(test_registration_validation),
        cmocka_unit_test(test_concurrent_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
