"""Voice of the customer: NPS, CSAT, onboarding and post-sales surveys, and the CSMs' monthly
sentiment pulses. Scores move with health (promoters when healthy, detractors before churn);
pulses follow health with a one-month lag, as a CSM's read of an account does."""

from __future__ import annotations

import numpy as np

from cswh.contracts import entity
from cswh.generate import params
from cswh.generate.population import Accounts, Contacts, Health, Roster, format_ids
from cswh.generate.state import EpisodeArrays, ServiceMonths, business_time
from cswh.generate.success import OnboardingOutcome
from cswh.generate.timeline import DAY, HOUR, Timeline, stream
from cswh.generate.versions import EntityLog, immutable


class SurveySimulator:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        contacts: Contacts,
        health: Health,
        episodes: EpisodeArrays,
        months: ServiceMonths,
    ) -> None:
        self.rng = stream(seed, "surveys")
        self.timeline = timeline
        self.accounts = accounts
        self.contacts = contacts
        self.health = health
        self.episodes = episodes
        self.months = months
        self.parts: list[tuple[np.ndarray, ...]] = []  # (account, contact, type, score, ts)

    def _add(
        self, account: np.ndarray, contact: np.ndarray, kind: str, score: np.ndarray, ts: np.ndarray
    ) -> None:
        self.parts.append(
            (
                np.asarray(account, dtype=np.int64),
                np.asarray(contact, dtype=np.int64),
                np.full(len(account), kind, dtype=object),
                np.asarray(score, dtype=np.int64),
                np.asarray(ts, dtype=np.int64),
            )
        )

    def _health(self, account: np.ndarray, ts: np.ndarray) -> np.ndarray:
        h = self.health.h[account, self.timeline.month_of(ts)]
        return np.where(np.isnan(h), 0.5, h)

    def nps(self) -> None:
        """Twice-yearly NPS to 1-3 contacts of accounts past their first months."""
        rng, sm = self.rng, self.months
        calendar_month = np.array(
            [self.timeline.month_date(m).month for m in range(self.timeline.n_months)]
        )[sm.month]
        tenure = sm.start - self.episodes.paid_start[sm.episode]
        eligible = np.flatnonzero(
            sm.paid
            & np.isin(calendar_month, params.NPS_MONTHS)
            & (tenure >= params.NPS_MIN_TENURE_DAYS * DAY)
            & (sm.fraction > params.SURVEY_MIN_MONTH_FRACTION)
        )
        recipients = rng.integers(
            params.NPS_RECIPIENTS[0], params.NPS_RECIPIENTS[1] + 1, len(eligible)
        )
        row = np.repeat(eligible, recipients)
        row = row[rng.random(len(row)) < params.NPS_RESPONSE_PROB]
        account = sm.account[row]
        slot = rng.integers(0, 1 << 30, len(row)) % self.contacts.count_of_account[account]
        contact = self.contacts.first_of_account[account] + slot
        # One answer per contact and campaign.
        _, unique = np.unique(np.stack([row, contact]), axis=1, return_index=True)
        row, account, contact = row[unique], account[unique], contact[unique]
        curve = params.NPS_SCORE
        score = np.clip(
            np.round(
                curve["base"]
                + curve["slope"] * sm.h[row]
                + curve["noise"] * rng.normal(size=len(row))
            ),
            0,
            10,
        )
        ts = business_time(rng, sm.start[row], sm.stop[row], self.accounts.business_hour[account])
        self._add(account, contact, "nps", score, ts)

    def onboarding(self, outcome: OnboardingOutcome) -> None:
        rng = self.rng
        live = np.flatnonzero(outcome.go_live != np.iinfo(np.int64).min)
        account = outcome.account[live]
        contact = self.contacts.first_of_account[account] + (
            rng.random(len(live)) * np.minimum(self.contacts.count_of_account[account], 3)
        ).astype(np.int64)
        ts = outcome.go_live[live] + rng.integers(1, 5 * DAY, len(live))
        self._add(account, contact, "onboarding", outcome.rating[live], ts)

    def post_sales(self, expansions: list[tuple]) -> None:
        """After the purchase, and after some expansions, the buyer rates the sales experience."""
        rng, ep = self.rng, self.episodes
        bought = np.flatnonzero(
            ep.converted & ~ep.secondary & (rng.random(ep.n) < params.POST_SALES_RESPONSE_PROB)
        )
        when = ep.paid_start[bought] + rng.integers(7 * DAY, 14 * DAY, len(bought))
        account = ep.account[bought]
        if expansions:
            grown = np.array([x[1] for x in expansions], dtype=np.int64)
            grown_at = np.array([x[2] for x in expansions], dtype=np.int64)
            keep = rng.random(len(grown)) < params.POST_SALES_AFTER_EXPANSION_PROB
            account = np.concatenate([account, grown[keep]])
            when = np.concatenate(
                [when, grown_at[keep] + rng.integers(3 * DAY, 10 * DAY, int(keep.sum()))]
            )
        contact = self.contacts.first_of_account[account]
        curve = params.POST_SALES_SCORE
        noise = curve["noise"] * rng.normal(size=len(account))
        score = curve["base"] + curve["slope"] * self._health(account, when) + noise
        score = np.clip(np.round(score), 1, 10)
        self._add(account, contact, "post_sales", score, when)

    def csat(self) -> None:
        rng, sm = self.rng, self.months
        row = np.flatnonzero(sm.paid & (rng.random(len(sm.paid)) < params.CSAT_SURVEY_PROB))
        account = sm.account[row]
        contact = self.contacts.first_of_account[account] + (
            rng.random(len(row)) * self.contacts.count_of_account[account]
        ).astype(np.int64)
        curve = params.CSAT_SURVEY_SCORE
        noise = curve["noise"] * rng.normal(size=len(row))
        score = np.clip(np.round(curve["base"] + curve["slope"] * sm.h[row] + noise), 1, 5)
        ts = business_time(rng, sm.start[row], sm.stop[row], self.accounts.business_hour[account])
        self._add(account, contact, "csat", score, ts)

    def run(self, outcome: OnboardingOutcome, expansions: list[tuple]) -> EntityLog:
        self.nps()
        self.onboarding(outcome)
        self.post_sales(expansions)
        self.csat()
        account, contact, kind, score, ts = (
            np.concatenate(c) for c in zip(*self.parts, strict=True)
        )
        keep = np.flatnonzero(ts <= self.timeline.horizon_ts)
        keep = keep[np.lexsort((account[keep], ts[keep]))]
        n = len(keep)
        anonymous = self.rng.random(n) < params.ANONYMOUS_RESPONSE_SHARE
        base = {
            "survey_response_id": format_ids("srv", np.arange(1, n + 1), 7),
            "account_id": self.accounts.ids[account[keep]],
            "contact_id": np.where(anonymous, None, self.contacts.ids[contact[keep]]),
            "survey_type": kind[keep],
            "score": score[keep],
            "responded_at": ts[keep],
            "updated_at": ts[keep] + 5 * 60,
        }
        return immutable(entity("survey_responses"), base, np.arange(n), self.timeline.horizon_ts)


def survey_responses(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    health: Health,
    episodes: EpisodeArrays,
    months: ServiceMonths,
    outcome: OnboardingOutcome,
    expansions: list[tuple],
) -> EntityLog:
    simulator = SurveySimulator(seed, timeline, accounts, contacts, health, episodes, months)
    return simulator.run(outcome, expansions)


def sentiment_pulses(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    health: Health,
    roster: Roster,
    months: ServiceMonths,
) -> EntityLog:
    """Monthly pulses on commercial and enterprise accounts, lagging health by a month."""
    rng = stream(seed, "pulses")
    sm = months
    enough = sm.fraction > params.SURVEY_MIN_MONTH_FRACTION
    eligible = sm.paid & (accounts.segment[sm.account] > 0) & enough
    row = np.flatnonzero(eligible & (rng.random(len(eligible)) < params.PULSE_PROB))
    account = sm.account[row]
    previous = health.h[account, np.maximum(sm.month[row] - 1, 0)]
    lagged = np.where(np.isnan(previous), sm.h[row], previous)
    score = np.clip(np.round(1 + 4 * lagged + params.PULSE_NOISE * rng.normal(size=len(row))), 1, 5)
    recorded = business_time(rng, sm.start[row], sm.stop[row], accounts.business_hour[account])
    order = np.lexsort((account, recorded))
    row, account, score, recorded = row[order], account[order], score[order], recorded[order]
    n = len(row)
    base = {
        "pulse_id": format_ids("pls", np.arange(1, n + 1), 7),
        "account_id": accounts.ids[account],
        "csm_id": roster.ids[roster.owner_at(account, recorded)],
        "sentiment_score": score.astype(np.int64),
        "recorded_at": recorded,
        "updated_at": recorded + HOUR,
    }
    return immutable(entity("csm_sentiment_pulses"), base, np.arange(n), timeline.horizon_ts)
