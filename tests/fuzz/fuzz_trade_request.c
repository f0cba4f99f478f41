/* libFuzzer target for rt-trader's POST /trade body (trader/core/tr_request.c). Built only with
 * clang; see CMakeLists.txt.
 *
 * Input: the body bytes as they come off the wire.
 * Properties, for any input: no crash, leak or undefined behaviour; exactly one of the request
 * and the error is written; a refusal has status 400 or 413, a code and a printable ASCII
 * message; an accepted request is coherent (a valid symbol and side, amounts > 0 where given,
 * a LIMIT has a price and a quantity and no quote_quantity, a MARKET has no price), and its
 * re-encoded form parses back to the same request. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "tr_request.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_trade_request: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR);
    return 0;
}

static size_t put_money(char *buf, size_t cap, size_t len, const char *key, rt_money_t v)
{
    char m[RT_MONEY_FMT_MAX];
    if (v == 0)
        return len;
    if (rt_money_format(v, m, sizeof m) == 0)
        die("an accepted amount does not format");
    int n = snprintf(buf + len, cap - len, ",\"%s\":\"%s\"", key, m);
    if (n < 0 || (size_t)n >= cap - len)
        die("re-encoded body too long");
    return len + (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tr_trade_request_t t, before;
    tr_request_error_t e, ebefore;
    memset(&t, 0x5a, sizeof t);
    memset(&e, 0x5a, sizeof e);
    before = t;
    ebefore = e;
    int rc = tr_trade_request_parse((const char *)data, size, &t, &e);
    if (rc != RT_OK) {
        if (memcmp(&t, &before, sizeof t) != 0)
            die("refused but wrote the request");
        if (e.status != 400 && e.status != 413)
            die("refusal status not 400/413");
        if (!memchr(e.code, '\0', sizeof e.code) || !e.code[0] ||
            !memchr(e.field, '\0', sizeof e.field) || !memchr(e.message, '\0', sizeof e.message))
            die("refusal strings not terminated");
        for (const char *p = e.message; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                die("refusal message not printable ASCII");
        return 0;
    }
    if (memcmp(&e, &ebefore, sizeof e) != 0)
        die("accepted but wrote the error");
    if (!memchr(t.symbol, '\0', sizeof t.symbol) || !rt_msg_symbol_valid(t.symbol))
        die("accepted an invalid symbol");
    if (t.side != RT_SIDE_BUY && t.side != RT_SIDE_SELL)
        die("accepted an invalid side");
    if (t.quantity < 0 || t.quote_quantity < 0 || t.price < 0 || t.stop_loss < 0 ||
        t.take_profit < 0)
        die("accepted a negative amount");
    if (t.quantity > 0 && t.quote_quantity > 0)
        die("accepted both quantity and quote_quantity");
    if (t.limit && (t.price <= 0 || t.quantity <= 0 || t.quote_quantity != 0))
        die("accepted an incoherent LIMIT");
    if (!t.limit && t.price != 0)
        die("accepted a price on a MARKET order");
    if (t.side == RT_SIDE_BUY && t.quantity == 0 && t.quote_quantity == 0)
        die("accepted a BUY without an amount");
    char body[512];
    int n =
        snprintf(body, sizeof body, "{\"symbol\":\"%s\",\"side\":\"%s\",\"type\":\"%s\"", t.symbol,
                 t.side == RT_SIDE_BUY ? "BUY" : "SELL", t.limit ? "LIMIT" : "MARKET");
    if (n < 0 || (size_t)n >= sizeof body)
        die("re-encoded body too long");
    size_t len = (size_t)n;
    len = put_money(body, sizeof body, len, "quantity", t.quantity);
    len = put_money(body, sizeof body, len, "quote_quantity", t.quote_quantity);
    len = put_money(body, sizeof body, len, "price", t.price);
    len = put_money(body, sizeof body, len, "stop_loss", t.stop_loss);
    len = put_money(body, sizeof body, len, "take_profit", t.take_profit);
    if (len + 2 > sizeof body)
        die("re-encoded body too long");
    body[len++] = '}';
    body[len] = '\0';
    tr_trade_request_t back;
    if (tr_trade_request_parse(body, len, &back, &e) != RT_OK)
        die("the re-encoded request is refused");
    if (memcmp(&back, &t, sizeof t) != 0) {
        /* padding and the symbol's tail may differ: compare field by field */
        if (strcmp(back.symbol, t.symbol) != 0 || back.side != t.side || back.limit != t.limit ||
            back.quantity != t.quantity || back.quote_quantity != t.quote_quantity ||
            back.price != t.price || back.stop_loss != t.stop_loss ||
            back.take_profit != t.take_profit)
            die("the re-encoded request parses differently");
    }
    return 0;
}
