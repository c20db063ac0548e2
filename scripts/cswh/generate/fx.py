"""Daily exchange rates to USD for the currencies the simulated customers are billed in.

Each rate follows a random walk in its logarithm from a plausible level, so a year moves it by a
few percent: enough for the warehouse to show that exchange rates alone never move MRR.
"""

from __future__ import annotations

import numpy as np

from cswh.contracts import entity
from cswh.generate.timeline import DAY, Timeline, stream, ts_days
from cswh.generate.versions import EntityLog, immutable

# Dollars per unit at the start of the window, and the daily volatility of the logarithm.
USD_PER_UNIT = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0068, "CAD": 0.74, "AUD": 0.66}
DAILY_VOLATILITY = 0.004
# Rates for a day are published shortly after it ends.
PUBLISHED_AFTER_SECONDS = DAY + 600


def exchange_rates_log(seed: int, timeline: Timeline) -> EntityLog:
    rng = stream(seed, "fx")
    first_day = timeline.start_ts - timeline.start_ts % DAY
    days = np.arange(first_day, timeline.horizon_ts - DAY + 1, DAY, dtype=np.int64)
    currencies, rates, dates = [], [], []
    for currency, level in USD_PER_UNIT.items():
        walk = np.cumsum(rng.normal(0.0, DAILY_VOLATILITY, len(days)))
        currencies.append(np.full(len(days), currency, dtype=object))
        rates.append(level * np.exp(walk - walk[0]))
        dates.append(days)
    day_ts = np.concatenate(dates)
    n = len(day_ts)
    base = {
        "rate_date": ts_days(day_ts),
        "currency": np.concatenate(currencies),
        "quote_currency": np.full(n, "USD", dtype=object),
        "rate": np.concatenate(rates),
        "updated_at": day_ts + PUBLISHED_AFTER_SECONDS,
    }
    return immutable(entity("exchange_rates"), base, np.arange(n), timeline.horizon_ts)
