#!/usr/bin/python3
"""The seed's own Bollinger strategy (../shared/seeds/roottrading.md, "Ajouter une nouvelle
strategie"), transcribed as written, timed over the same candles as bench/analyzer_bench.c.

    seed_bollinger.py [--min N] FILE.csv...

Candles are read and turned into the seed's market_data dicts before the clock starts; each
file gets a fresh strategy instance; passes repeat until at least --min candles (default: one
pass). Times are the thread's CPU time (time.thread_time), as the C side measures them.
Prints one line: seed_bollinger candles=... updates_per_s=... signals_per_pass=...
Runs on Debian's python3-numpy (/usr/bin/python3)."""
import csv
import os
import sys
import time
from collections import deque
from typing import Any, Dict, Optional

import numpy as np


class BaseStrategy:  # the seed's base class: only the interface matters here
    pass


# ---- from the seed, unchanged -------------------------------------------------------------
class BollingerBandsStrategy(BaseStrategy):
    """
    Stratégie basée sur les bandes de Bollinger
    """
    def __init__(self):
        self.window = int(os.getenv('BB_WINDOW', 20))
        self.num_std = float(os.getenv('BB_STD', 2.0))
        self.prices = deque(maxlen=self.window * 3)
        self.prev_price = None

    @property
    def name(self) -> str:
        return 'Bollinger_Bands'

    def generate_signal(self, market_data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        price = market_data.get('close')
        if price is None:
            return None

        # Ajouter le nouveau prix
        self.prices.append(price)

        # Attendre d'avoir assez de données
        if len(self.prices) < self.window:
            self.prev_price = price
            return None

        # Calcul des bandes de Bollinger
        prices_array = np.array(self.prices)
        mean = np.mean(prices_array[-self.window:])
        std = np.std(prices_array[-self.window:])
        upper_band = mean + (std * self.num_std)
        lower_band = mean - (std * self.num_std)

        signal = None
        if self.prev_price:
            # Signal d'achat: prix traverse la bande inférieure vers le haut
            if self.prev_price <= lower_band and price > lower_band:
                signal = 'BUY'
            # Signal de vente: prix traverse la bande supérieure vers le bas
            elif self.prev_price >= upper_band and price < upper_band:
                signal = 'SELL'

        self.prev_price = price

        if signal:
            return {
                'strategy': self.name,
                'symbol': market_data.get('symbol'),
                'side': signal,
                'timestamp': market_data.get('startTime'),
                'price': price,
                'bb_upper': upper_band,
                'bb_lower': lower_band,
                'bb_mean': mean
            }
        return None
# ---- end of the seed's code ---------------------------------------------------------------


def load(path, symbol):
    out = []
    with open(path, newline='') as f:
        rows = csv.reader(f)
        next(rows)
        for r in rows:
            t = int(r[0])
            out.append({'symbol': symbol, 'startTime': t, 'open': float(r[1]),
                        'high': float(r[2]), 'low': float(r[3]), 'close': float(r[4]),
                        'volume': float(r[5])})
    return out


def main(argv):
    minimum = 0
    files = []
    i = 1
    while i < len(argv):
        if argv[i] == '--min' and i + 1 < len(argv):
            minimum = int(argv[i + 1])
            i += 2
            continue
        files.append(argv[i])
        i += 1
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    data = [load(p, 'BENCH%d' % k) for k, p in enumerate(files)]
    candles = 0
    signals_per_pass = None
    elapsed = 0.0
    while True:
        signals = 0
        for series in data:
            s = BollingerBandsStrategy()
            t0 = time.thread_time()
            for md in series:
                if s.generate_signal(md) is not None:
                    signals += 1
            elapsed += time.thread_time() - t0
            candles += len(series)
        if signals_per_pass is None:
            signals_per_pass = signals
        if candles >= minimum:
            break
    print('seed_bollinger candles=%d updates_per_s=%.0f signals_per_pass=%d'
          % (candles, candles / elapsed, signals_per_pass))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
