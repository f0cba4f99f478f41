/* POST /trade's body, parsed without I/O (api.c calls it; tests/fuzz/fuzz_trade_request.c
 * fuzzes it). What the body may hold (docs/TRADER.md):
 *   symbol          required, 1..20 upper-case letters or digits
 *   side            required, BUY or SELL
 *   type            MARKET (default) or LIMIT
 *   quantity        base quantity; required for a BUY unless quote_quantity is given
 *   quote_quantity  MARKET BUY only: the most quote to spend, fees included
 *   price           LIMIT only (and required for it): the limit price
 *   stop_loss, take_profit
 * Amounts are JSON numbers or decimal strings, > 0, with at most 8 decimals. Anything else
 * (not JSON, not an object, a duplicate, unknown or wrong-typed field, NaN, too many decimals,
 * a body over TR_REQUEST_BODY_MAX) is refused with the field and why. Whether the symbol is
 * traded, and the exchange filters, are the service's to say (422), not this parser's. */
#ifndef TR_REQUEST_H
#define TR_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "rt/money.h"
#include "rt/types.h"

/** Largest body read (the HTTP server's own limit, 64 KiB, comes first). */
#define TR_REQUEST_BODY_MAX (64u * 1024u)

/** A valid POST /trade body. Absent amounts are 0. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    bool limit; /* type LIMIT */
    rt_money_t quantity;
    rt_money_t quote_quantity;
    rt_money_t price; /* LIMIT only */
    rt_money_t stop_loss;
    rt_money_t take_profit;
} tr_trade_request_t;

/** Why a body was refused: the HTTP status (400, or 413 for a body too large), a code for the
 *  API's "error" ("bad_request", "too_large"), the field at fault ("" when none) and a
 *  sentence (printable ASCII: quoted input is escaped). */
typedef struct {
    unsigned status;
    char code[24];
    char field[32];
    char message[200];
} tr_request_error_t;

/** Parses body[0..len) (need not be NUL-terminated) as a POST /trade body. Returns 0 and *out,
 *  or RT_EINVAL (RT_ETOOBIG for a body over TR_REQUEST_BODY_MAX) with *err filled; *out is
 *  written only on success, *err only on failure. RT_EINVAL without *err for NULL out or err,
 *  or NULL body with len > 0. */
int tr_trade_request_parse(const char *body, size_t len, tr_trade_request_t *out,
                           tr_request_error_t *err);

#endif
