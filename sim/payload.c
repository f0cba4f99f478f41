#include "payload.h"

#include <string.h>

int sim_payload_kline(sim_buf_t *b, const char *symbol, sim_interval_t iv, const sim_kline_t *k,
                      bool closed, int64_t event_time)
{
    const char *i = sim_interval_name(iv);
    sim_buf_printf(b,
                   "{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\",\"k\":{\"t\":%lld,\"T\":%lld,"
                   "\"s\":\"%s\",\"i\":\"%s\",\"f\":%lld,\"L\":%lld,\"o\":",
                   (long long)event_time, symbol, (long long)k->open_time, (long long)k->close_time,
                   symbol, i, (long long)k->first_id, (long long)k->last_id);
    sim_buf_money(b, k->open);
    sim_buf_puts(b, ",\"c\":");
    sim_buf_money(b, k->close);
    sim_buf_puts(b, ",\"h\":");
    sim_buf_money(b, k->high);
    sim_buf_puts(b, ",\"l\":");
    sim_buf_money(b, k->low);
    sim_buf_puts(b, ",\"v\":");
    sim_buf_money(b, k->volume);
    sim_buf_printf(b, ",\"n\":%lld,\"x\":%s,\"q\":", (long long)k->trades,
                   closed ? "true" : "false");
    sim_buf_money(b, k->quote_volume);
    sim_buf_puts(b, ",\"V\":");
    sim_buf_money(b, k->taker_base);
    sim_buf_puts(b, ",\"Q\":");
    sim_buf_money(b, k->taker_quote);
    return sim_buf_puts(b, ",\"B\":\"0\"}}");
}

int sim_payload_mini_ticker(sim_buf_t *b, const char *symbol, const sim_ticker24_t *t,
                            int64_t event_time)
{
    sim_buf_printf(b, "{\"e\":\"24hrMiniTicker\",\"E\":%lld,\"s\":\"%s\",\"c\":",
                   (long long)event_time, symbol);
    sim_buf_money(b, t->close);
    sim_buf_puts(b, ",\"o\":");
    sim_buf_money(b, t->open);
    sim_buf_puts(b, ",\"h\":");
    sim_buf_money(b, t->high);
    sim_buf_puts(b, ",\"l\":");
    sim_buf_money(b, t->low);
    sim_buf_puts(b, ",\"v\":");
    sim_buf_money(b, t->volume);
    sim_buf_puts(b, ",\"q\":");
    sim_buf_money(b, t->quote_volume);
    return sim_buf_puts(b, "}");
}

int sim_payload_trade(sim_buf_t *b, const char *symbol, const sim_trade_t *t, int64_t event_time)
{
    sim_buf_printf(b, "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%lld,\"p\":",
                   (long long)event_time, symbol, (long long)t->id);
    sim_buf_money(b, t->price);
    sim_buf_puts(b, ",\"q\":");
    sim_buf_money(b, t->qty);
    return sim_buf_printf(b, ",\"T\":%lld,\"m\":%s,\"M\":true}", (long long)t->time,
                          t->buyer_maker ? "true" : "false");
}

int sim_payload_shutdown(sim_buf_t *b, int64_t event_time)
{
    return sim_buf_printf(b, "{\"e\":\"serverShutdown\",\"E\":%lld}", (long long)event_time);
}

int sim_payload_combined(sim_buf_t *b, const char *stream, const char *data, size_t n)
{
    sim_buf_puts(b, "{\"stream\":\"");
    sim_buf_puts(b, stream);
    sim_buf_puts(b, "\",\"data\":");
    sim_buf_append(b, data, n);
    return sim_buf_puts(b, "}");
}

int sim_payload_kline_row(sim_buf_t *b, const sim_kline_t *k)
{
    sim_buf_printf(b, "[%lld,", (long long)k->open_time);
    sim_buf_money(b, k->open);
    sim_buf_puts(b, ",");
    sim_buf_money(b, k->high);
    sim_buf_puts(b, ",");
    sim_buf_money(b, k->low);
    sim_buf_puts(b, ",");
    sim_buf_money(b, k->close);
    sim_buf_puts(b, ",");
    sim_buf_money(b, k->volume);
    sim_buf_printf(b, ",%lld,", (long long)k->close_time);
    sim_buf_money(b, k->quote_volume);
    sim_buf_printf(b, ",%lld,", (long long)k->trades);
    sim_buf_money(b, k->taker_base);
    sim_buf_puts(b, ",");
    sim_buf_money(b, k->taker_quote);
    return sim_buf_puts(b, ",\"0\"]");
}
