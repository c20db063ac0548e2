"""CRM activities: CSM touches, executive business reviews, automated e-mails, customer-initiated
contact and content engagement.

Counts per account-month follow the owning team's cadence and an engagement factor that falls
steeply with health, and executives are named less often as health falls: engagement, executive
engagement most of all, fades in the months before churn.
"""

from __future__ import annotations

import numpy as np

from cswh.contracts import entity
from cswh.generate import params
from cswh.generate.population import TEAMS, Accounts, Contacts, Roster, format_ids
from cswh.generate.state import EpisodeArrays, ServiceMonths, business_time
from cswh.generate.support import draw
from cswh.generate.timeline import DAY, HOUR, Timeline, stream
from cswh.generate.versions import EntityLog, immutable

TOUCH_TYPES = ("email", "call", "meeting")


def engagement_factor(h: np.ndarray) -> np.ndarray:
    curve = params.ACTIVITY_ENGAGEMENT
    return curve["base"] + curve["slope"] * np.power(np.clip(h, 0, 1), curve["power"])


def pick_contact(
    rng: np.random.Generator,
    contacts: Contacts,
    account: np.ndarray,
    executive: np.ndarray | None = None,
) -> np.ndarray:
    """A contact of each account; an executive where asked (executives come first per account)."""
    first = contacts.first_of_account[account]
    count = contacts.count_of_account[account]
    any_contact = first + (rng.random(len(account)) * count).astype(np.int64)
    if executive is None:
        return any_contact
    # Executives are the leading contacts of an account: count them from the flags.
    cumulative = np.concatenate([[0], np.cumsum(contacts.is_executive)])
    n_exec = cumulative[first + count] - cumulative[first]
    exec_contact = first + (rng.random(len(account)) * np.maximum(n_exec, 1)).astype(np.int64)
    return np.where(executive & (n_exec > 0), exec_contact, any_contact)


class _Rows:
    """Collects activity rows from several generators before building the table."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **columns: np.ndarray) -> None:
        self.parts.append(columns)

    def concat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


class ActivitySimulator:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        contacts: Contacts,
        roster: Roster,
        episodes: EpisodeArrays,
        months: ServiceMonths,
    ) -> None:
        self.rng = stream(seed, "activities")
        self.timeline = timeline
        self.accounts = accounts
        self.contacts = contacts
        self.roster = roster
        self.episodes = episodes
        self.months = months
        self.team = accounts.segment[months.account]
        self.rows = _Rows()

    def _expand(self, rate: np.ndarray) -> np.ndarray:
        """Service-month row of each event for Poisson counts with the given rates."""
        counts = self.rng.poisson(np.maximum(rate, 0))
        return np.repeat(np.arange(len(counts)), counts)

    def _add(
        self,
        row: np.ndarray,
        activity_type: np.ndarray,
        direction: str,
        high_value: np.ndarray,
        with_csm: np.ndarray,
        contact: np.ndarray,
        content: np.ndarray | None = None,
    ) -> None:
        rng, sm = self.rng, self.months
        account = sm.account[row]
        occurred = business_time(
            rng, sm.start[row], sm.stop[row], self.accounts.business_hour[account]
        )
        csm = self.roster.owner_at(account, occurred)
        logged = occurred + np.where(with_csm, rng.integers(60, 3 * HOUR, len(row)), 60)
        self.rows.add(
            account=account,
            contact=contact,
            csm=np.where(with_csm, csm, -1),
            activity_type=np.asarray(activity_type, dtype=object),
            content=content if content is not None else np.full(len(row), None, dtype=object),
            direction=np.full(len(row), direction, dtype=object),
            high_value=np.asarray(high_value, dtype=bool),
            occurred=occurred,
            logged=logged,
        )

    def _team_rate(self, table: dict[str, float]) -> np.ndarray:
        return np.array([table[t] for t in TEAMS])[self.team]

    def proactive(self) -> None:
        sm, rng = self.months, self.rng
        engagement = engagement_factor(sm.h)
        rate = self._team_rate(params.PROACTIVE_TOUCHES) * engagement * sm.fraction * sm.paid
        row = self._expand(rate)
        kind = draw(rng, params.PROACTIVE_TYPE_SHARES, len(row))
        h = sm.h[row]
        curve = params.EXECUTIVE_CONTACT
        executive = rng.random(len(row)) < curve["base"] + curve["slope"] * h**2
        contact = pick_contact(rng, self.contacts, sm.account[row], executive)
        types = np.asarray(TOUCH_TYPES, dtype=object)[kind]
        high_value = (types == "meeting") & self.contacts.is_executive[contact]
        self._add(row, types, "proactive", high_value, np.ones(len(row), bool), contact)

    def business_reviews(self) -> None:
        """Quarterly (enterprise) or half-yearly (commercial) EBRs, skipped by weak accounts."""
        sm, rng, ep = self.months, self.rng, self.episodes
        cadence = self._team_rate({k: float(v) for k, v in params.EBR_EVERY_MONTHS.items()})
        first_paid = self.timeline.month_of(ep.paid_start[sm.episode])
        tenure = sm.month - first_paid
        due = (cadence > 0) & sm.paid & (tenure > 0) & (tenure % np.maximum(cadence, 1) == 0)
        curve = params.EBR_HEALTH
        p = 1.0 / (1.0 + np.exp(-(sm.h - curve["midpoint"]) / curve["width"]))
        enough = sm.fraction > params.EBR_MIN_MONTH_FRACTION
        row = np.flatnonzero(due & (rng.random(len(due)) < p) & enough)
        contact = pick_contact(rng, self.contacts, sm.account[row], np.ones(len(row), bool))
        kind = np.full(len(row), "executive_business_review", dtype=object)
        self._add(row, kind, "proactive", np.ones(len(row), bool), np.ones(len(row), bool), contact)

    def automated(self) -> None:
        sm, rng = self.months, self.rng
        rate = self._team_rate(params.AUTOMATED_EMAILS) * sm.fraction
        row = self._expand(rate)
        contact = pick_contact(rng, self.contacts, sm.account[row])
        kind = np.full(len(row), "email", dtype=object)
        self._add(
            row, kind, "proactive", np.zeros(len(row), bool), np.zeros(len(row), bool), contact
        )

    def reactive(self) -> None:
        sm, rng = self.months, self.rng
        rate = self._team_rate(params.REACTIVE_TOUCHES) * (0.6 + 0.8 * (1 - sm.h))
        row = self._expand(rate * sm.fraction * sm.paid)
        kind = draw(rng, params.REACTIVE_TYPE_SHARES, len(row))
        kind = np.asarray(TOUCH_TYPES, dtype=object)[kind]
        contact = pick_contact(rng, self.contacts, sm.account[row])
        logged = rng.random(len(row)) < params.SCALE_REACTIVE_LOGGED_SHARE
        with_csm = (self.team[row] > 0) | logged
        self._add(row, kind, "reactive", np.zeros(len(row), bool), with_csm, contact)

    def content(self) -> None:
        """Content and webinars: upsell material when seats run full, education early on."""
        sm, rng, ep = self.months, self.rng, self.episodes
        for kind, base in (
            ("content_engagement", params.CONTENT_ENGAGEMENTS),
            ("webinar", params.WEBINARS),
        ):
            interest = params.CONTENT_HEALTH_OFFSET + sm.h
            row = self._expand(base * interest * sm.fraction * sm.paid)
            utilisation = sm.users[row] / np.maximum(sm.seats[row], 1)
            tenure = sm.start[row] - ep.paid_start[sm.episode[row]]
            early = tenure < params.EARLY_TENURE_DAYS * DAY
            full = utilisation >= params.UPSELL_UTILISATION
            upsell = np.where(full, params.UPSELL_SHARE["full"], params.UPSELL_SHARE["other"])
            educational = params.EDUCATIONAL_SHARE
            educational = np.where(early, educational["early"], educational["later"])
            educational = educational * (1 - upsell)
            u = rng.random(len(row))
            category = np.where(
                u < upsell, "upsell", np.where(u < upsell + educational, "educational", "marketing")
            ).astype(object)
            contact = pick_contact(rng, self.contacts, sm.account[row])
            types = np.full(len(row), kind, dtype=object)
            none = np.zeros(len(row), bool)
            self._add(row, types, "proactive", none, none, contact, category)

    def run(self) -> EntityLog:
        self.proactive()
        self.business_reviews()
        self.automated()
        self.reactive()
        self.content()
        rows = self.rows.concat()
        order = np.lexsort((rows["account"], rows["occurred"]))
        rows = {k: v[order] for k, v in rows.items()}
        n = len(order)
        csm = rows["csm"]
        base = {
            "activity_id": format_ids("act", np.arange(1, n + 1), 9),
            "account_id": self.accounts.ids[rows["account"]],
            "contact_id": self.contacts.ids[rows["contact"]],
            "csm_id": np.where(csm >= 0, self.roster.ids[np.maximum(csm, 0)], None),
            "activity_type": rows["activity_type"],
            "content_category": rows["content"],
            "direction": rows["direction"],
            "is_high_value": rows["high_value"],
            "occurred_at": rows["occurred"],
            "updated_at": rows["logged"],
        }
        key = np.arange(n, dtype=np.int64)
        return immutable(entity("activities"), base, key, self.timeline.horizon_ts)


def simulate_activities(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    roster: Roster,
    episodes: EpisodeArrays,
    months: ServiceMonths,
) -> EntityLog:
    return ActivitySimulator(seed, timeline, accounts, contacts, roster, episodes, months).run()
