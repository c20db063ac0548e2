"""Daily feature usage, generated one calendar month at a time.

Per account-day in service: active users = demand (seats x utilisation, from the billing walk)
x engagement(health) x weekday seasonality; each entitled, released feature is then used by a
binomial share of them set by the account's adoption of that feature. Days without use have no
row. Each month draws from its own random stream, so any month can be regenerated on its own
(append_next_day needs only the month of the day it writes).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cswh.contracts import entity
from cswh.generate import params
from cswh.generate.catalogue import Catalogue
from cswh.generate.population import Accounts, Health
from cswh.generate.state import EpisodeArrays, StatePoints
from cswh.generate.timeline import DAY, NULL_TS, Timeline, stream

USAGE = entity("daily_feature_usage")


def feature_adoption(seed: int, accounts: Accounts, catalogue: Catalogue) -> np.ndarray:
    """Adoption propensity per account and feature; zero for features the account never uses."""
    rng = stream(seed, "adoption")
    n, f = accounts.n, catalogue.n_features
    core = catalogue.feature_core[None, :]
    core_level = rng.beta(*params.CORE_ADOPTION_BETA, (n, f))
    never = rng.random((n, f)) < params.OTHER_NEVER_USED_SHARE
    other_level = np.where(never, 0.0, rng.beta(*params.OTHER_ADOPTION_BETA, (n, f)))
    adoption = np.where(core, core_level, other_level)
    adoption[accounts.never_adopt_core[:, None] & core] = 0.0
    return adoption


class UsageModel:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        catalogue: Catalogue,
        health: Health,
        episodes: EpisodeArrays,
        points: StatePoints,
        failed_onboarding: np.ndarray,
    ) -> None:
        self.seed = seed
        self.failed_onboarding = failed_onboarding
        self.timeline = timeline
        self.accounts = accounts
        self.catalogue = catalogue
        self.health = health
        self.episodes = episodes
        self.points = points
        self.adoption = feature_adoption(seed, accounts, catalogue)
        self.account_ids = pa.array(accounts.ids, type=pa.string())
        self.feature_ids = pa.array([f"feat_{f[0]}" for f in catalogue.features], type=pa.string())

    def _account_days(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        """(episode, day number) for every day of the month a primary episode is in service."""
        tl, ep = self.timeline, self.episodes
        first_day = max(int(tl.month_starts[month]), tl.start_ts) // DAY
        stop_day = (min(int(tl.month_starts[month + 1]), tl.horizon_ts + 1) - 1) // DAY + 1
        start = np.maximum(ep.service_start // DAY, first_day)
        stop = np.minimum((ep.service_stop - 1) // DAY + 1, stop_day)
        chosen = np.flatnonzero(~ep.secondary & (stop > start))
        counts = stop[chosen] - start[chosen]
        episode = np.repeat(chosen, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return episode, np.repeat(start[chosen], counts) + offsets

    def _daily_health(self, account: np.ndarray, day: np.ndarray, month: int) -> np.ndarray:
        tl = self.timeline
        h = self.health.h
        now = h[account, month]
        following = h[account, min(month + 1, tl.n_months - 1)]
        following = np.where(np.isnan(following), now, following)
        length = (tl.month_starts[month + 1] - tl.month_starts[month]) / DAY
        fraction = (day * DAY - tl.month_starts[month]) / DAY / length
        value = now + (following - now) * fraction
        return np.where(np.isnan(value), 0.5, value)

    def _adoption_ramp(self, episode: np.ndarray, day_ts: np.ndarray) -> np.ndarray:
        """Adoption grows from paid start to go-live; it stays capped if onboarding failed."""
        ep = self.episodes
        paid = ep.paid_start[episode]
        go_live = ep.go_live[episode]
        default_end = paid + params.ADOPTION_RAMP_DAYS_WITHOUT_PROJECT * DAY
        ramp_end = np.where(go_live != NULL_TS, go_live, default_end)
        progress = np.clip((day_ts - paid) / np.maximum(ramp_end - paid, DAY), 0.0, 1.0)
        ramp = params.ADOPTION_START + (1 - params.ADOPTION_START) * progress
        capped = np.minimum(ramp, params.ADOPTION_WITHOUT_GO_LIVE)
        ramp = np.where(self.failed_onboarding[episode], capped, ramp)
        return np.where(day_ts < paid, params.ADOPTION_START * 0.8, ramp)

    def month(self, month: int) -> pa.Table:
        """All usage rows of one calendar month, sorted by date, account and feature."""
        rng = stream(self.seed, "usage", month)
        catalogue = self.catalogue
        episode, day = self._account_days(month)
        day_ts = day * DAY
        account = self.episodes.account[episode]
        noon = day_ts + DAY // 2
        at = self.points.at(episode, noon)
        tier = self.points.tier[at]
        mask = self.points.addon_mask[at]
        users = self.points.users_at(episode, noon)
        h = self._daily_health(account, day, month)
        weekday = np.asarray(params.WEEKDAY_FACTOR)[(day + 3) % 7]  # 1970-01-01 was a Thursday
        engagement = params.ENGAGEMENT_BASE + params.ENGAGEMENT_SLOPE * h
        active = rng.poisson(np.maximum(users * engagement * weekday, 0))
        ramp = self._adoption_ramp(episode, day_ts)
        product = catalogue.feature_product[None, :]
        entitled = np.where(
            product == 0,
            catalogue.feature_tier[None, :] <= tier[:, None],
            ((mask[:, None] >> product) & 1) == 1,
        )
        entitled &= catalogue.feature_released_ts[None, :] <= day_ts[:, None]
        share = self.adoption[account] * catalogue.feature_reach[None, :] * ramp[:, None]
        candidate = entitled & (share > 0) & (active[:, None] > 0)
        row, feature = np.nonzero(candidate)
        used = rng.binomial(active[row], np.minimum(share[row, feature], 1.0))
        keep = used > 0
        row, feature, used = row[keep], feature[keep], used[keep]
        intensity = rng.gamma(3.0, 1.0 / 3.0, len(row)) * (params.EVENTS_BASE + h[row])
        events = np.maximum(used, np.round(used * catalogue.feature_events[feature] * intensity))
        order = np.lexsort((feature, account[row], day[row]))
        row, feature, used, events = row[order], feature[order], used[order], events[order]
        days = day[row].astype(np.int32)
        return pa.Table.from_arrays(
            [
                pa.array(days, type=pa.int32()).cast(pa.date32()),
                self.account_ids.take(pa.array(account[row])),
                self.feature_ids.take(pa.array(feature)),
                pa.array(used.astype(np.int64)),
                pa.array(events.astype(np.int64)),
                pa.array(day[row].astype(np.int64) * DAY + DAY - 1).cast(pa.timestamp("s")),
            ],
            names=USAGE.column_names,
        )

    def month_index(self, day_ts: int) -> int:
        return int(self.timeline.month_of(day_ts))
