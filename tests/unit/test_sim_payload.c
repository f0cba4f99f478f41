/* The simulator's payloads against Binance's exact shapes (tests/fixtures/binance/sim_*.json):
 * same keys, same order, strings with 8 decimals for prices and quantities, numbers for ids
 * and times, no spaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt_test.h"
#include "sim/buf.h"
#include "sim/payload.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    assert_int_equal(rt_money_parse(s, &v), RT_OK);
    return v;
}

/* Compares b with a fixture file (its trailing newline aside), printing both on a mismatch. */
static void expect_fixture(const sim_buf_t *b, const char *name)
{
    char rel[128], path[512];
    snprintf(rel, sizeof rel, "tests/fixtures/binance/%s", name);
    rt_test_source_path(path, sizeof path, rel);
    size_t len = 0;
    char *want = rt_test_read_file(path, &len);
    while (len > 0 && (want[len - 1] == '\n' || want[len - 1] == '\r'))
        want[--len] = '\0';
    assert_int_equal(sim_buf_err(b), RT_OK);
    if (b->len != len || memcmp(sim_buf_str(b), want, len) != 0)
        fail_msg("%s:\n got  %s\n want %s", name, sim_buf_str(b), want);
    free(want);
}

static sim_kline_t sample_kline(void)
{
    sim_kline_t k = {
        .open_time = 1716219780000,
        .close_time = 1716219839999,
        .open = M("60421.01"),
        .high = M("60436.55"),
        .low = M("60398.12"),
        .close = M("60430"),
        .volume = M("0.06012"),
        .quote_volume = M("3461.5274437"),
        .taker_base = M("0.03127"),
        .taker_quote = M("1889.5596113"),
        .trades = 278,
        .first_id = 4471208154,
        .last_id = 4471208431,
    };
    return k;
}

static void test_kline(void **state)
{
    (void)state;
    sim_buf_t b, data;
    sim_buf_init(&b);
    sim_buf_init(&data);
    sim_kline_t k = sample_kline();

    assert_int_equal(sim_payload_kline(&data, "BTCUSDC", SIM_IV_1M, &k, true, 1716219840001),
                     RT_OK);
    assert_int_equal(sim_payload_combined(&b, "btcusdc@kline_1m", sim_buf_str(&data), data.len),
                     RT_OK);
    expect_fixture(&b, "sim_ws_kline_closed.json");

    sim_buf_reset(&b);
    assert_int_equal(sim_payload_kline(&b, "BTCUSDC", SIM_IV_1M, &k, false, 1716219822000), RT_OK);
    expect_fixture(&b, "sim_ws_kline_update_raw.json");

    /* A minute without trades: ids -1, zero volumes, all prices the previous close. */
    sim_kline_t e = {.open_time = 1716219960000,
                     .close_time = 1716220019999,
                     .open = M("0.5213"),
                     .high = M("0.5213"),
                     .low = M("0.5213"),
                     .close = M("0.5213"),
                     .first_id = -1,
                     .last_id = -1};
    sim_buf_reset(&b);
    assert_int_equal(sim_payload_kline(&b, "XRPUSDC", SIM_IV_1M, &e, false, 1716220000000), RT_OK);
    expect_fixture(&b, "sim_ws_kline_empty_raw.json");
    sim_buf_cleanup(&b);
    sim_buf_cleanup(&data);
}

static void test_mini_ticker_trade_shutdown(void **state)
{
    (void)state;
    sim_buf_t b, data;
    sim_buf_init(&b);
    sim_buf_init(&data);
    sim_ticker24_t t = {.open = M("3650.1"),
                        .high = M("3730"),
                        .low = M("3601.22"),
                        .close = M("3712.45"),
                        .volume = M("18234.2123"),
                        .quote_volume = M("67231099.12345")};
    assert_int_equal(sim_payload_mini_ticker(&b, "ETHUSDC", &t, 1716219782136), RT_OK);
    expect_fixture(&b, "sim_ws_miniticker_raw.json");

    sim_trade_t tr = {.id = 12345,
                      .time = 1672515782136,
                      .price = M("600.01"),
                      .qty = M("0.1"),
                      .buyer_maker = true};
    assert_int_equal(sim_payload_trade(&data, "BNBUSDC", &tr, 1672515782136), RT_OK);
    sim_buf_reset(&b);
    assert_int_equal(sim_payload_combined(&b, "bnbusdc@trade", sim_buf_str(&data), data.len),
                     RT_OK);
    expect_fixture(&b, "sim_ws_trade.json");

    sim_buf_reset(&data);
    assert_int_equal(sim_payload_shutdown(&data, 1770123456789), RT_OK);
    expect_fixture(&data, "sim_ws_server_shutdown_raw.json");
    sim_buf_reset(&b);
    assert_int_equal(sim_payload_combined(&b, "!serverShutdown", sim_buf_str(&data), data.len),
                     RT_OK);
    expect_fixture(&b, "sim_ws_server_shutdown.json");
    sim_buf_cleanup(&b);
    sim_buf_cleanup(&data);
}

static void test_kline_row(void **state)
{
    (void)state;
    /* The row of Binance's documentation. */
    sim_kline_t k = {.open_time = 1499040000000,
                     .close_time = 1499644799999,
                     .open = M("0.0163479"),
                     .high = M("0.8"),
                     .low = M("0.015758"),
                     .close = M("0.015771"),
                     .volume = M("148976.11427815"),
                     .quote_volume = M("2434.19055334"),
                     .trades = 308,
                     .taker_base = M("1756.87402397"),
                     .taker_quote = M("28.46694368")};
    sim_buf_t b;
    sim_buf_init(&b);
    assert_int_equal(sim_payload_kline_row(&b, &k), RT_OK);
    expect_fixture(&b, "sim_rest_kline_row.json");
    sim_buf_cleanup(&b);
}

static void test_buf(void **state)
{
    (void)state;
    sim_buf_t b;
    sim_buf_init(&b);
    assert_string_equal(sim_buf_str(&b), "");
    /* Growth past the first allocation, through printf's slow path too. */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 50; i++)
        assert_int_equal(sim_buf_printf(&b, "%s%d", big, i), RT_OK);
    assert_int_equal(b.len, 50 * 999 + 10 + 40 * 2);
    assert_int_equal(sim_buf_money(&b, -1), RT_OK);
    assert_memory_equal(b.data + b.len - 13, "\"-0.00000001\"", 13);
    sim_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(sim_buf_int(&b, INT64_MIN), RT_OK);
    assert_int_equal(sim_buf_bool(&b, false), RT_OK);
    assert_string_equal(sim_buf_str(&b), "-9223372036854775808false");
    sim_buf_cleanup(&b);
    sim_buf_cleanup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kline),
        cmocka_unit_test(test_mini_ticker_trade_shutdown),
        cmocka_unit_test(test_kline_row),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
