"""Time and randomness for the simulation: the window, the month grid and named random streams.

All instants are int64 seconds since the Unix epoch, in UTC. Nulls are sentinels (``NULL_TS``,
``NULL_INT``, ``NULL_DATE``) so that columns stay plain numpy arrays until they are written.
"""

from __future__ import annotations

import bisect
import math
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from cswh.generate import params

DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)
NULL_TS = np.iinfo(np.int64).min
NULL_INT = np.iinfo(np.int64).min
NULL_DATE = np.iinfo(np.int32).min


def date_ts(d: date) -> int:
    """Midnight UTC of a date, as epoch seconds."""
    return (d - EPOCH).days * DAY


def ts_date(ts: int) -> date:
    return EPOCH + timedelta(days=int(ts) // DAY)


def ts_days(ts: np.ndarray) -> np.ndarray:
    """Epoch day numbers (date32 values) of instants; nulls stay null."""
    ts = np.asarray(ts, dtype=np.int64)
    days = np.floor_divide(ts, DAY).astype(np.int32)
    return np.where(ts == NULL_TS, NULL_DATE, days).astype(np.int32)


def add_months(d: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def anniversary_ts(start_ts: int, months: int) -> int:
    """The instant ``months`` after ``start_ts`` at the same time of day (billing anniversary)."""
    day_part = start_ts % DAY
    return date_ts(add_months(ts_date(start_ts), months)) + day_part


class Anniversaries:
    """Billing anniversaries of one start instant, computed once each (the walks ask often)."""

    def __init__(self, start_ts: int) -> None:
        self.start_ts = start_ts
        self._cache: dict[int, int] = {}

    def __call__(self, months: int) -> int:
        value = self._cache.get(months)
        if value is None:
            value = anniversary_ts(self.start_ts, months)
            self._cache[months] = value
        return value


def history_start(end: date) -> date:
    """First day of the three-year window ending at ``end`` (end - 3 years + 1 day)."""
    years = params.HISTORY_YEARS
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return back + timedelta(days=1)


@dataclass(frozen=True)
class Timeline:
    """The history window and the simulated horizon after it, with a calendar-month grid."""

    start: date
    end: date
    horizon_end: date
    month_starts: np.ndarray = field(repr=False)
    month_list: list[int] = field(repr=False)

    @classmethod
    def for_end(cls, end: date) -> Timeline:
        start = history_start(end)
        horizon_end = end + timedelta(days=params.HORIZON_DAYS)
        months = []
        cursor = start.replace(day=1)
        while cursor <= horizon_end:
            months.append(date_ts(cursor))
            cursor = add_months(cursor, 1)
        months.append(date_ts(cursor))
        return cls(start, end, horizon_end, np.asarray(months, dtype=np.int64), months)

    @property
    def start_ts(self) -> int:
        return date_ts(self.start)

    @property
    def end_cutoff_ts(self) -> int:
        """Last second of end_date: the initial extract shows everything up to here."""
        return date_ts(self.end) + DAY - 1

    @property
    def horizon_ts(self) -> int:
        return date_ts(self.horizon_end) + DAY - 1

    @property
    def n_months(self) -> int:
        return len(self.month_starts) - 1

    @property
    def n_days(self) -> int:
        return (self.horizon_end - self.start).days + 1

    def month_of(self, ts: np.ndarray | int) -> np.ndarray:
        """Calendar-month index of instants, clipped to the grid."""
        index = np.searchsorted(self.month_starts, ts, side="right") - 1
        return np.clip(index, 0, self.n_months - 1)

    def month_index(self, ts: int) -> int:
        """Scalar ``month_of`` for the per-account loops."""
        index = bisect.bisect_right(self.month_list, ts) - 1
        return min(max(index, 0), len(self.month_list) - 2)

    def month_date(self, month: int) -> date:
        return ts_date(int(self.month_starts[month]))


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """An independent random stream per named part of the simulation.

    Streams are children of ``SeedSequence(seed)`` keyed by a stable hash of the name, so adding a
    new stream (a new entity) never shifts the numbers any other part draws.
    """
    key = (zlib.crc32(name.encode("utf-8")), *index)
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


class Draws:
    """Fast scalar draws for per-account Python loops, backed by buffered numpy streams."""

    def __init__(self, rng: np.random.Generator, size: int = 65_536) -> None:
        self._rng = rng
        self._size = size
        self._uniform = rng.random(size)
        self._normal = rng.standard_normal(size)
        self._u = 0
        self._n = 0

    def u(self) -> float:
        if self._u == self._size:
            self._uniform = self._rng.random(self._size)
            self._u = 0
        value = self._uniform[self._u]
        self._u += 1
        return float(value)

    def normal(self) -> float:
        if self._n == self._size:
            self._normal = self._rng.standard_normal(self._size)
            self._n = 0
        value = self._normal[self._n]
        self._n += 1
        return float(value)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.u()

    def integer(self, low: int, high: int) -> int:
        """Uniform integer in [low, high], both inclusive."""
        return low + min(int(self.u() * (high - low + 1)), high - low)

    def chance(self, probability: float) -> bool:
        return self.u() < probability

    def pick(self, weights: tuple[float, ...] | list[float]) -> int:
        """Index drawn with the given (not necessarily normalised) weights."""
        total = sum(weights)
        target = self.u() * total
        running = 0.0
        for index, weight in enumerate(weights):
            running += weight
            if target < running:
                return index
        return len(weights) - 1


def logistic_hazard(h: np.ndarray | float, curve: dict[str, float]) -> np.ndarray | float:
    """floor + span / (1 + exp((h - midpoint) / width)): low when healthy, high when weak."""
    if isinstance(h, float):
        z = min(50.0, max(-50.0, (h - curve["midpoint"]) / curve["width"]))
        return curve.get("floor", 0.0) + curve.get("span", 1.0) / (1.0 + math.exp(z))
    z = (np.asarray(h, dtype=np.float64) - curve["midpoint"]) / curve["width"]
    value = curve.get("floor", 0.0) + curve.get("span", 1.0) / (1.0 + np.exp(np.clip(z, -50, 50)))
    return value if isinstance(h, np.ndarray) else float(value)


def business_seconds(rng: np.random.Generator, start_hour: np.ndarray) -> np.ndarray:
    """Random second of a 9-hour business day starting at ``start_hour`` UTC."""
    start_hour = np.asarray(start_hour, dtype=np.int64)
    return start_hour * HOUR + rng.integers(0, 9 * HOUR, size=start_hour.shape)
