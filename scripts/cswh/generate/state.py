"""Vectorised views of the simulated lifecycles that the signal generators (usage, tickets,
engagement, sentiment) read: episodes as arrays, the state of each episode at any instant, and one
row per episode and calendar month of service."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cswh.generate.billing import BillingLog
from cswh.generate.lifecycle import Episode
from cswh.generate.population import Health
from cswh.generate.timeline import DAY, NULL_TS, Timeline

_SHIFT = 1 << 36


class StepIndex:
    """Last entry at or before an instant, per key (keys and instants are non-negative ints)."""

    def __init__(self, keys: np.ndarray, times: np.ndarray) -> None:
        composite = np.asarray(keys, dtype=np.int64) * _SHIFT + np.asarray(times, dtype=np.int64)
        self.order = np.argsort(composite, kind="stable")
        self.sorted_keys = np.asarray(keys, dtype=np.int64)[self.order]
        self.composite = composite[self.order]

    def find(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Index into the original arrays, or -1 where the key has no entry by then."""
        keys = np.asarray(keys, dtype=np.int64)
        query = keys * _SHIFT + np.asarray(times, dtype=np.int64)
        pos = np.searchsorted(self.composite, query, side="right") - 1
        ok = (pos >= 0) & (self.sorted_keys[np.maximum(pos, 0)] == keys)
        return np.where(ok, self.order[np.maximum(pos, 0)], -1)

    def find_next(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Index of the first entry strictly after an instant for the key, or -1."""
        keys = np.asarray(keys, dtype=np.int64)
        query = keys * _SHIFT + np.asarray(times, dtype=np.int64)
        pos = np.searchsorted(self.composite, query, side="right")
        inside = pos < len(self.composite)
        ok = inside & (self.sorted_keys[np.minimum(pos, len(self.composite) - 1)] == keys)
        return np.where(ok, self.order[np.minimum(pos, len(self.composite) - 1)], -1)


@dataclass
class EpisodeArrays:
    n: int
    account: np.ndarray
    secondary: np.ndarray
    reactivation: np.ndarray
    converted: np.ndarray
    created: np.ndarray
    trial_start: np.ndarray
    trial_end: np.ndarray
    paid_start: np.ndarray
    cancel: np.ndarray
    end: np.ndarray
    service_start: np.ndarray
    service_stop: np.ndarray  # exclusive; horizon end + 1 s when still running
    paid_stop: np.ndarray  # exclusive; equals paid_start for a lapsed trial
    interval_months: np.ndarray  # ticks per term
    interval: np.ndarray  # index into catalogue.INTERVALS
    go_live: np.ndarray


def episode_arrays(episodes: list[Episode], timeline: Timeline) -> EpisodeArrays:
    def col(getter, dtype=np.int64) -> np.ndarray:
        return np.array([getter(e) for e in episodes], dtype=dtype)

    open_end = timeline.horizon_ts + 1
    end = col(lambda e: e.end_ts)
    converted = col(lambda e: e.converted, bool)
    paid_start = col(lambda e: e.paid_start_ts)
    service_stop = np.where(end == NULL_TS, open_end, np.minimum(end, open_end))
    service_stop = np.where(converted, service_stop, paid_start)
    return EpisodeArrays(
        n=len(episodes),
        account=col(lambda e: e.account),
        secondary=col(lambda e: e.secondary, bool),
        reactivation=col(lambda e: e.reactivation, bool),
        converted=converted,
        created=col(lambda e: e.created_ts),
        trial_start=col(lambda e: e.trial_start_ts),
        trial_end=col(lambda e: e.trial_end_ts),
        paid_start=paid_start,
        cancel=col(lambda e: e.cancel_ts),
        end=end,
        service_start=col(lambda e: e.service_start_ts),
        service_stop=service_stop,
        paid_stop=np.where(converted, service_stop, paid_start),
        interval_months=col(lambda e: e.months),
        interval=col(lambda e: e.interval),
        go_live=col(lambda e: e.onboarding.go_live_ts if e.onboarding is not None else NULL_TS),
    )


@dataclass
class StatePoints:
    """Usage-relevant state of each episode over time (step function between points)."""

    episode: np.ndarray
    ts: np.ndarray
    users: np.ndarray
    seats: np.ndarray
    tier: np.ndarray
    addon_mask: np.ndarray
    index: StepIndex

    @classmethod
    def from_log(cls, log: BillingLog) -> StatePoints:
        raw = log.points
        episode = np.array([p[0] for p in raw], dtype=np.int64)
        ts = np.array([p[1] for p in raw], dtype=np.int64)
        return cls(
            episode=episode,
            ts=ts,
            users=np.array([p[2] for p in raw], dtype=np.float64),
            seats=np.array([p[3] for p in raw], dtype=np.int64),
            tier=np.array([p[4] for p in raw], dtype=np.int8),
            addon_mask=np.array([p[5] for p in raw], dtype=np.int8),
            index=StepIndex(episode, ts),
        )

    def at(self, episode: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Point index in force (the first point when asked before it)."""
        found = self.index.find(episode, ts)
        first = self.index.find_next(episode, np.full(len(episode), -1))
        return np.where(found >= 0, found, first)

    def users_at(self, episode: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Expected active users, interpolated linearly between consecutive points."""
        here = self.at(episode, ts)
        after = self.index.find_next(episode, ts)
        users = self.users[here]
        has_next = after >= 0
        t0, t1 = self.ts[here], np.where(has_next, self.ts[np.maximum(after, 0)], self.ts[here])
        u1 = np.where(has_next, self.users[np.maximum(after, 0)], users)
        span = np.maximum(t1 - t0, 1)
        w = np.clip((np.asarray(ts) - t0) / span, 0.0, 1.0)
        return users + (u1 - users) * np.where(has_next, w, 0.0)


@dataclass
class ServiceMonths:
    """One row per primary episode and calendar month it was in service (trial or paid)."""

    episode: np.ndarray
    account: np.ndarray
    month: np.ndarray
    start: np.ndarray  # overlap of the month with the service period
    stop: np.ndarray
    paid: np.ndarray  # the overlap is paid service, not trial
    fraction: np.ndarray  # overlap length in months (30-day units)
    h: np.ndarray
    seats: np.ndarray
    users: np.ndarray
    addon_mask: np.ndarray


def service_months(
    timeline: Timeline,
    episodes: EpisodeArrays,
    health: Health,
    points: StatePoints,
) -> ServiceMonths:
    primary = np.flatnonzero(~episodes.secondary)
    start = episodes.service_start[primary]
    stop = episodes.service_stop[primary]
    keep = stop > start
    primary, start, stop = primary[keep], start[keep], stop[keep]
    m0 = timeline.month_of(start)
    m1 = timeline.month_of(stop - 1)
    counts = m1 - m0 + 1
    episode = np.repeat(primary, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    month = np.repeat(m0, counts) + offsets
    bounds = timeline.month_starts
    ov_start = np.maximum(bounds[month], episodes.service_start[episode])
    ov_stop = np.minimum(bounds[month + 1], episodes.service_stop[episode])
    paid_start = episodes.paid_start[episode]
    paid = episodes.converted[episode] & (ov_stop > paid_start)
    middle = ov_start + (ov_stop - ov_start) // 2
    at = points.at(episode, middle)
    account = episodes.account[episode]
    return ServiceMonths(
        episode=episode,
        account=account,
        month=month,
        start=ov_start,
        stop=ov_stop,
        paid=paid,
        fraction=(ov_stop - ov_start) / (30 * DAY),
        h=health.h[account, month],
        seats=points.seats[at],
        users=points.users[at],
        addon_mask=points.addon_mask[at],
    )


def uniform_times(rng: np.random.Generator, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """An instant drawn uniformly in [start, stop) for each row."""
    span = np.maximum(np.asarray(stop) - np.asarray(start), 1)
    return np.asarray(start) + (rng.random(len(span)) * span).astype(np.int64)


def business_time(
    rng: np.random.Generator,
    start: np.ndarray,
    stop: np.ndarray,
    business_hour: np.ndarray,
) -> np.ndarray:
    """A random instant in [start, stop), moved into the account's business hours when possible."""
    raw = uniform_times(rng, start, stop)
    moved = raw // DAY * DAY + business_hour * 3600 + rng.integers(0, 9 * 3600, len(raw))
    return np.where((moved >= start) & (moved < stop), moved, raw)
