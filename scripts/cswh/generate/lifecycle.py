"""Account lifecycles: trials, purchases, onboarding, churn and reactivation.

Each account lives through one or more *episodes* (subscriptions). Churn is decided from the latent
health: monthly plans may cancel in any month, quarterly and annual plans only at term end. After
the outcomes are known, the health path is bent downward over the 2-6 months before each
cancellation, so that every signal derived from health (usage, engagement, sentiment, tickets)
declines before churn the way it does in a real customer base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cswh.generate import params
from cswh.generate.catalogue import ADDONS
from cswh.generate.population import Accounts, Health
from cswh.generate.timeline import (
    DAY,
    HOUR,
    NULL_TS,
    Anniversaries,
    Draws,
    Timeline,
    anniversary_ts,
    logistic_hazard,
    stream,
)

# By interval (params.INTERVAL_MONTHS): weekly plans churn like monthly ones.
NONRENEWAL_CURVES = (
    params.MONTHLY_CHURN_HAZARD,
    params.QUARTERLY_NONRENEWAL,
    params.ANNUAL_NONRENEWAL,
    params.SEMIANNUAL_NONRENEWAL,
    params.MONTHLY_CHURN_HAZARD,
    params.MONTHLY_CHURN_HAZARD,
)
CANCEL_LEAD_DAYS = {
    3: params.QUARTERLY_CANCEL_LEAD_DAYS,
    6: params.SEMIANNUAL_CANCEL_LEAD_DAYS,
    12: params.ANNUAL_CANCEL_LEAD_DAYS,
}


class WeeklyTicks:
    """Ticks of a plan billed by the week: every 28 days from the paid start (whole periods)."""

    def __init__(self, start_ts: int) -> None:
        self.start_ts = start_ts

    def __call__(self, ticks: int) -> int:
        return self.start_ts + ticks * params.WEEKLY_TICK_DAYS * DAY


@dataclass
class Onboarding:
    started_ts: int  # kick-off day (midnight)
    target_ts: int
    stall_ts: int  # when it was flagged stalled, or NULL_TS
    go_live_ts: int  # or NULL_TS
    cancel_ts: int  # or NULL_TS
    has_objectives: bool


@dataclass
class Episode:
    """One subscription of an account, from creation to its end (if within the horizon)."""

    account: int
    reactivation: bool
    secondary: bool
    created_ts: int
    trial_start_ts: int
    trial_end_ts: int
    paid_start_ts: int
    converted: bool
    interval: int  # index into params.INTERVAL_MONTHS / catalogue.INTERVALS
    tier: int
    seats: int
    addons: tuple[int, ...]
    discount_pct: int
    discount_months: int  # 0 none, -1 open-ended
    one_off_cents: int
    auto_renew: bool
    stalled: bool
    onboarding_cancelled: bool
    onboarding: Onboarding | None = None
    cancel_ts: int = NULL_TS
    end_ts: int = NULL_TS
    # The billing system exports this subscription's end as 23:59:59 on the last day.
    inclusive_end: bool = False

    @property
    def months(self) -> int:
        """Ticks per term (a tick is a month, or 28 days for plans billed by the week)."""
        return params.INTERVAL_MONTHS[self.interval]

    @property
    def weeks(self) -> int:
        """Weeks per billing period for plans billed by the week, else 0."""
        return params.INTERVAL_WEEKS[self.interval]

    def ticks(self) -> Anniversaries | WeeklyTicks:
        """The episode's ticks from its paid start: anniversaries, or every 28 days."""
        if self.weeks:
            return WeeklyTicks(self.paid_start_ts)
        return Anniversaries(self.paid_start_ts)

    @property
    def service_start_ts(self) -> int:
        return self.trial_start_ts if self.trial_start_ts != NULL_TS else self.paid_start_ts


class _LifecycleSimulator:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        health: Health,
    ) -> None:
        self.timeline = timeline
        self.accounts = accounts
        self.health = health
        self.draws = Draws(stream(seed, "lifecycle"))
        # Billing-system choices (interval variants, end format) draw from their own stream so
        # that they leave the lifecycle draws as they were.
        self.terms_draws = Draws(stream(seed, "lifecycle_billing_terms"))

    # ------------------------------------------------------------------ choices at purchase
    def _seats(self, a: int) -> int:
        d = self.draws
        factor = d.uniform(*params.SEATS_FACTOR_RANGE)
        raw = params.SEATS_BASE + self.accounts.employees[a] ** params.SEATS_EXPONENT * factor
        return int(min(params.SEATS_MAX, max(2, round(raw))))

    def _discount(self, months: int) -> tuple[int, int]:
        d = self.draws
        if not d.chance(params.DISCOUNT_PROB):
            return 0, 0
        pct = params.DISCOUNT_PERCENTS[d.integer(0, len(params.DISCOUNT_PERCENTS) - 1)]
        if d.chance(params.DISCOUNT_OPEN_ENDED_SHARE):
            return pct, -1
        if months == 12:
            return pct, 12
        if months == 3:
            return pct, 3 * d.integer(1, 4)
        if months == 6:
            return pct, 6 * d.integer(1, 2)
        return pct, d.integer(*params.DISCOUNT_MONTHS)

    def _billing_terms(self, segment: int, interval: int, created: int) -> tuple[int, int, bool]:
        """Refine the interval (weekly, six-month variants) and the end export format; a
        subscription exported with inclusive ends starts at the next midnight."""
        t = self.terms_draws
        if interval == 0 and segment == 0:
            u = t.u()
            if u < params.WEEKLY_SHARE_OF_SMALL_MONTHLY:
                interval = 4
            elif u < params.WEEKLY_SHARE_OF_SMALL_MONTHLY + params.BIWEEKLY_SHARE_OF_SMALL_MONTHLY:
                interval = 5
        elif interval in params.SEMIANNUAL_SHARE and t.chance(params.SEMIANNUAL_SHARE[interval]):
            interval = 3
        midnight = created // DAY * DAY + DAY
        inclusive = t.chance(params.INCLUSIVE_END_SHARE) and midnight <= self.timeline.horizon_ts
        if inclusive:
            created = midnight
        return interval, created, inclusive

    def _new_episode(
        self,
        a: int,
        created: int,
        trial: bool,
        converts: bool,
        reactivation: bool,
        stalled: bool,
        onboarding_cancelled: bool,
    ) -> Episode:
        d = self.draws
        segment = int(self.accounts.segment[a])
        interval = d.pick(params.INTERVAL_SHARES_BY_SEGMENT[segment])
        interval, created, inclusive = self._billing_terms(segment, interval, created)
        tier = d.pick(params.TIER_SHARES_BY_SEGMENT[segment])
        addons = tuple(p for p in ADDONS if d.chance(params.ADDON_PROB_BY_TIER[tier]))
        months = params.INTERVAL_MONTHS[interval]
        pct, discount_months = self._discount(months)
        one_off = 0
        if tier >= 1 and not reactivation and d.chance(params.ONE_OFF_FEE_PROB):
            low, high = params.ONE_OFF_FEE_RANGE
            one_off = d.integer(low // 500, high // 500) * 500 * 100
        trial_start = created if trial else NULL_TS
        trial_end = created + params.TRIAL_DAYS * DAY if trial else NULL_TS
        paid_start = trial_end if trial else created
        return Episode(
            account=a,
            reactivation=reactivation,
            secondary=False,
            created_ts=created,
            trial_start_ts=trial_start,
            trial_end_ts=trial_end,
            paid_start_ts=paid_start,
            converted=converts or not trial,
            interval=interval,
            tier=tier,
            seats=self._seats(a),
            addons=addons,
            discount_pct=pct,
            discount_months=discount_months,
            one_off_cents=one_off,
            auto_renew=months == 1 or d.chance(params.AUTO_RENEW_SHARE),
            stalled=stalled,
            onboarding_cancelled=onboarding_cancelled,
            inclusive_end=inclusive,
        )

    def _onboarding(self, episode: Episode) -> Onboarding:
        d = self.draws
        kickoff = episode.paid_start_ts // DAY * DAY
        kickoff += d.integer(*params.ONBOARDING_KICKOFF_DELAY_DAYS) * DAY
        target = kickoff + d.integer(*params.ONBOARDING_TARGET_DAYS) * DAY
        stall = go_live = cancel = NULL_TS
        if episode.stalled:
            stall = target + 7 * DAY + 9 * HOUR
            if episode.onboarding_cancelled:
                cancel = target + d.integer(30, 90) * DAY + 15 * HOUR
            else:
                go_live = target + d.integer(*params.ONBOARDING_STALL_DELAY_DAYS) * DAY
        else:
            go_live = target + d.integer(*params.ONBOARDING_ON_TIME_JITTER_DAYS) * DAY
            go_live = max(go_live, kickoff + 14 * DAY)
        key = "stalled" if episode.stalled else "normal"
        objectives = d.chance(params.ONBOARDING_OBJECTIVES_PROB[key])
        return Onboarding(kickoff, target, stall, go_live, cancel, objectives)

    # ------------------------------------------------------------------ churn
    def _health_at(self, a: int, ts: int) -> float:
        value = self.health.h[a, self.timeline.month_index(ts)]
        return float(self.accounts.baseline[a] if np.isnan(value) else value)

    def _decide_churn(self, episode: Episode) -> None:
        """Walk the terms; at each, the chance that this term is the last one."""
        d = self.draws
        a, start, months = episode.account, episode.paid_start_ts, episode.months
        anniversary = episode.ticks()
        k = 0
        while True:
            term_start = anniversary(k * months)
            if term_start > self.timeline.horizon_ts:
                return
            term_end = anniversary((k + 1) * months)
            if months == 1:
                point = d.uniform(*params.MONTHLY_CANCEL_POINT)
                cancel = term_start + int(point * (term_end - term_start))
            else:
                lead = CANCEL_LEAD_DAYS[months]
                cancel = term_end - d.integer(*lead) * DAY - d.integer(0, 8) * HOUR
                cancel = max(cancel, term_start + HOUR)
            hazard = logistic_hazard(
                self._health_at(a, cancel), NONRENEWAL_CURVES[episode.interval]
            )
            if cancel - start < 365 * DAY:
                if episode.onboarding_cancelled:
                    hazard *= params.CANCELLED_ONBOARDING_HAZARD_MULT
                elif episode.stalled:
                    hazard *= params.STALLED_ONBOARDING_HAZARD_MULT
            if d.chance(min(hazard, 0.95)):
                if cancel <= self.timeline.horizon_ts:
                    episode.cancel_ts, episode.end_ts = cancel, term_end
                return
            k += 1

    def _shape_decline(self, episode: Episode) -> None:
        """Bend health down over the months before a cancellation; keep it low until the end."""
        d = self.draws
        h = self.health.h[episode.account]
        month_of = self.timeline.month_of
        cancel_month = int(month_of(episode.cancel_ts))
        end_month = int(month_of(episode.end_ts))
        span = d.integer(*params.PRECHURN_DECLINE_MONTHS)
        floor = d.uniform(*params.PRECHURN_HEALTH_FLOOR)
        first = max(int(month_of(episode.service_start_ts)), cancel_month - span)
        for m in range(first, cancel_month + 1):
            w = (m - (cancel_month - span)) / span
            h[m] = min(h[m], (1 - w) * h[m] + w * floor)
        for m in range(cancel_month + 1, min(end_month, self.timeline.n_months - 1) + 1):
            h[m] = min(h[m], floor)

    def _reset_health(self, a: int, start_ts: int) -> None:
        """A reactivated account starts over with fresh health that rejoins its own path."""
        h = self.health.h[a]
        m0 = int(self.timeline.month_of(start_ts))
        shift = self.draws.uniform(*params.REACTIVATION_HEALTH) - h[m0]
        steps = np.arange(self.timeline.n_months - m0)
        decay = params.REACTIVATION_HEALTH_PERSISTENCE**steps
        h[m0:] = np.clip(h[m0:] + shift * decay, 0.0, 1.0)

    # ------------------------------------------------------------------ per account
    def _secondary(self, main: Episode) -> Episode | None:
        d = self.draws
        a = main.account
        if self.accounts.segment[a] == 0 or not d.chance(params.SECOND_SUBSCRIPTION_PROB):
            return None
        created = (
            anniversary_ts(main.paid_start_ts, d.integer(*params.SECOND_SUBSCRIPTION_DELAY_MONTHS))
            + d.integer(1, 20) * DAY
        )
        if created > self.timeline.horizon_ts:
            return None
        if main.cancel_ts != NULL_TS and created >= main.cancel_ts:
            return None
        share = d.uniform(*params.SECOND_SUBSCRIPTION_SEAT_SHARE)
        episode = Episode(
            account=a,
            reactivation=False,
            secondary=True,
            created_ts=created,
            trial_start_ts=NULL_TS,
            trial_end_ts=NULL_TS,
            paid_start_ts=created,
            converted=True,
            interval=0,
            tier=main.tier,
            seats=max(2, round(main.seats * share)),
            addons=(),
            discount_pct=0,
            discount_months=0,
            one_off_cents=0,
            auto_renew=True,
            stalled=False,
            onboarding_cancelled=False,
        )
        if main.cancel_ts != NULL_TS:
            # The department leaves with the company: cancelled together, ends at its term end.
            k = 1
            while anniversary_ts(created, k) <= main.cancel_ts:
                k += 1
            episode.cancel_ts = main.cancel_ts
            episode.end_ts = anniversary_ts(created, k)
        return episode

    def account_episodes(self, a: int) -> list[Episode]:
        d, accounts = self.draws, self.accounts
        delay = d.uniform(*params.SUBSCRIPTION_DELAY_HOURS)
        created = int(accounts.created_ts[a]) + int(delay * HOUR)
        if created > self.timeline.horizon_ts:
            return []
        episode = self._new_episode(
            a,
            created,
            trial=bool(accounts.has_trial[a]),
            converts=bool(accounts.trial_converts[a]),
            reactivation=False,
            stalled=bool(accounts.stalled[a]),
            onboarding_cancelled=bool(accounts.onboarding_cancelled[a]),
        )
        episodes = [episode]
        if not episode.converted:
            return episodes
        episode.onboarding = self._onboarding(episode)
        self._decide_churn(episode)
        secondary = self._secondary(episode)
        if secondary is not None:
            episodes.append(secondary)
        while episode.end_ts != NULL_TS:
            self._shape_decline(episode)
            if not d.chance(params.REACTIVATION_PROB):
                break
            gap = d.integer(*params.REACTIVATION_GAP_MONTHS)
            created = anniversary_ts(episode.end_ts, gap) + d.integer(0, 20) * DAY
            if created > self.timeline.horizon_ts:
                break
            self._reset_health(a, created)
            weak = 1.0 - accounts.baseline[a]
            stalled = d.chance(params.ONBOARDING_STALL_BASE + params.ONBOARDING_STALL_SLOPE * weak)
            cancelled = stalled and d.chance(params.ONBOARDING_CANCEL_GIVEN_STALL)
            episode = self._new_episode(a, created, False, True, True, stalled, cancelled)
            if d.chance(params.REACTIVATION_ONBOARDING_PROB):
                episode.onboarding = self._onboarding(episode)
            else:
                episode.stalled = episode.onboarding_cancelled = False
            episodes.append(episode)
            self._decide_churn(episode)
        return episodes


def simulate_lifecycles(
    seed: int, timeline: Timeline, accounts: Accounts, health: Health
) -> list[Episode]:
    """All episodes of all accounts, ordered by creation. Bends ``health.h`` in place."""
    simulator = _LifecycleSimulator(seed, timeline, accounts, health)
    episodes: list[Episode] = []
    for a in range(accounts.n):
        episodes.extend(simulator.account_episodes(a))
    episodes.sort(key=lambda e: (e.created_ts, e.account))
    return episodes
