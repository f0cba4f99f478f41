#!/usr/bin/env python3
"""Pairs up the lines of build/bin/tick_to_trade (one observer, one wall clock) into tick-to-trade
chains and prints p50/p99 per hop. Standard library only.

    tick_to_trade.py OBSERVER_LOG

A chain starts at a strategy order on trader:events (an order event with a signal_id) and is
followed back: its signal on analyze:signal (by id), the closed candle on market:data:{SYMBOL}
(symbol and open time = the signal's timestamp) and the closing kline the exchange sent (the
WebSocket event with the same symbol and open time). Hops, each the difference of two arrival
times at the observer:

  exchange_to_gateway   closing kline (x:true) on the exchange's stream -> the closed candle
                        on market:data:{SYMBOL}: the gateway's parse, checks and PUBLISH
  gateway_to_analyzer   closed candle -> the signal on analyze:signal: the analyzer's strategies
                        (the signal is XADDed to `signals` before it is PUBLISHed)
  analyzer_to_order     signal -> the first order event of the order it became: the trader's
                        XREADGROUP, risk checks and the order's commit (PENDING row)
  order_to_fill         order event -> its trade event: the demo fill's transaction (trade,
                        position, balances, order status) and its commit
  total                 closing kline -> trade event (exchange event -> fill committed)

Prints one line per hop, then the total:
  bench=tick_to_trade hop=NAME n=N p50_ms=... p99_ms=... max_ms=...
and a comment line with what was seen and left out."""
import json
import sys


def pct(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tick_to_trade.py OBSERVER_LOG")
    exchange, gateway, signals, orders, fills = {}, {}, {}, {}, {}
    bad = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) != 3:
                bad += 1
                continue
            try:
                t, src, doc = int(parts[0]), parts[1], json.loads(parts[2])
            except ValueError:
                bad += 1
                continue
            if src == "ws":
                k = doc.get("data", {}).get("k")
                if k and k.get("x"):
                    exchange.setdefault((k["s"], k["t"]), t)
            elif src.startswith("market:data:"):
                if doc.get("closed"):
                    gateway.setdefault((doc["symbol"], doc["startTime"]), t)
            elif src == "analyze:signal":
                signals.setdefault(doc["id"], (t, doc["symbol"], doc["timestamp"]))
            elif src == "trader:events":
                d = doc.get("data", {})
                if doc.get("type") == "order" and d.get("signal_id"):
                    orders.setdefault(d["client_order_id"], (t, d["signal_id"]))
                elif doc.get("type") == "trade":
                    fills.setdefault(d["client_order_id"], t)
    hops = {h: [] for h in ("exchange_to_gateway", "gateway_to_analyzer", "analyzer_to_order",
                            "order_to_fill", "total")}
    incomplete = 0
    for coid, (t_order, sid) in orders.items():
        sig = signals.get(sid)
        t_fill = fills.get(coid)
        if not sig or t_fill is None:
            incomplete += 1
            continue
        t_sig, sym, ts = sig
        t_gw = gateway.get((sym, ts))
        t_ex = exchange.get((sym, ts))
        if t_gw is None or t_ex is None:
            incomplete += 1
            continue
        for h, v in (("exchange_to_gateway", t_gw - t_ex), ("gateway_to_analyzer", t_sig - t_gw),
                     ("analyzer_to_order", t_order - t_sig), ("order_to_fill", t_fill - t_order),
                     ("total", t_fill - t_ex)):
            hops[h].append(v / 1000.0)
    print("# closing klines %d, closed candles %d, signals %d, strategy orders %d, fills %d; "
          "chains complete %d, incomplete %d (seen only in part: before or after the window, "
          "or no fill), unreadable lines %d"
          % (len(exchange), len(gateway), len(signals), len(orders), len(fills),
             len(hops["total"]), incomplete, bad))
    for h, v in hops.items():
        if v:
            print("bench=tick_to_trade hop=%s n=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f"
                  % (h, len(v), pct(v, 50), pct(v, 99), max(v)))
        else:
            print("bench=tick_to_trade hop=%s n=0 p50_ms=nan p99_ms=nan max_ms=nan" % h)
    return 0 if hops["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
