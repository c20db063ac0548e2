"""Support desk: tickets and the escalations Support hands to Customer Success.

Ticket volume grows with seats and rises as health falls. Escalations come from three places:
ordinary tickets (trouble far likelier when health is low, opportunity when healthy), the run-up
to outcomes (most cancellations are preceded by a trouble escalation, many expansions by an
opportunity one), and systemic outages that hit many accounts in the same week. Outcomes are
read from what really happened next: "lost" when the account cancelled, "expanded" when it grew.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from cswh.contracts import entity
from cswh.generate import params
from cswh.generate.catalogue import PRODUCTS
from cswh.generate.population import Accounts, Contacts, Health, format_ids
from cswh.generate.state import EpisodeArrays, ServiceMonths, StepIndex, business_time
from cswh.generate.timeline import DAY, HOUR, NULL_INT, NULL_TS, Timeline, logistic_hazard, stream
from cswh.generate.versions import EntityLog, Stage, expand

CATEGORIES = ("how_to", "bug", "outage", "billing", "feature_request", "account_admin")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "web", "chat", "phone")

# Help-desk variety (issue 15), drawn from their own random stream so the rest of the simulation
# is unchanged. Accounts served by a second help desk (Zendesk-style) rate CSAT good or bad; the
# same latent satisfaction gives good where a five-point desk would get 4 or 5.
GOOD_BAD_CSAT_ACCOUNT_SHARE = 0.3
# Tickets Support deleted (spam, duplicates, tests), a few hours after they came in and before
# any reply; never tickets that were escalated.
DELETED_TICKET_SHARE = 0.02
# Tickets that never got a priority (the desk has the field empty).
NO_PRIORITY_TICKET_SHARE = 0.05

TROUBLE_REASONS = (
    "product_defect",
    "performance",
    "outage",
    "missing_feature",
    "billing_dispute",
    "unhappy_customer",
)
OPPORTUNITY_REASONS = (
    "seat_expansion",
    "upgrade_interest",
    "longer_contract",
    "case_study",
    "new_use_case",
)
REASONS = TROUBLE_REASONS + OPPORTUNITY_REASONS
# Ticket category a reason is raised from.
REASON_CATEGORY = {
    "product_defect": "bug",
    "performance": "bug",
    "outage": "outage",
    "missing_feature": "feature_request",
    "billing_dispute": "billing",
    "unhappy_customer": "account_admin",
    "seat_expansion": "account_admin",
    "upgrade_interest": "billing",
    "longer_contract": "billing",
    "case_study": "how_to",
    "new_use_case": "how_to",
}
EXPANSION_REASON = {
    "seats": "seat_expansion",
    "upgrade": "upgrade_interest",
    "addon": "new_use_case",
}
SEVERITIES = ("low", "medium", "high", "critical")


def pick_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from a [rows, k] probability table."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(cumulative))[:, None]
    return (u >= cumulative).sum(axis=1).clip(0, probabilities.shape[1] - 1)


def draw(rng: np.random.Generator, shares: np.ndarray | list[float], n: int) -> np.ndarray:
    """n categorical draws with fixed shares."""
    shares = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(shares), size=n, p=shares / shares.sum())


@dataclass
class _Tickets:
    account: np.ndarray
    created: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    h: np.ndarray
    addon_mask: np.ndarray
    # escalation to raise from this ticket: -1 none, else index into REASONS
    reason: np.ndarray

    @staticmethod
    def concat(parts: list[_Tickets]) -> _Tickets:
        names = [f.name for f in fields(_Tickets)]
        return _Tickets(*[np.concatenate([getattr(p, name) for p in parts]) for name in names])

    def take(self, rows: np.ndarray) -> _Tickets:
        return _Tickets(*[getattr(self, f.name)[rows] for f in fields(self)])


@dataclass
class _DeskVariety:
    good_bad_desk: np.ndarray
    no_priority: np.ndarray
    deleted: np.ndarray
    deleted_at: np.ndarray


class SupportSimulator:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        contacts: Contacts,
        health: Health,
        episodes: EpisodeArrays,
        months: ServiceMonths,
        expansions: list[tuple],
    ) -> None:
        self.rng = stream(seed, "support")
        self.desk_rng = stream(seed, "support_desk_variety")
        self.timeline = timeline
        self.accounts = accounts
        self.contacts = contacts
        self.health = health
        self.episodes = episodes
        self.months = months
        self.expansions = expansions

    # ------------------------------------------------------------------ ticket sources
    def _organic(self) -> _Tickets:
        rng, sm = self.rng, self.months
        rate = (
            params.TICKET_RATE
            * sm.seats**params.TICKET_SEAT_EXPONENT
            * (params.TICKET_HEALTH_BASE + params.TICKET_HEALTH_SLOPE * (1 - sm.h) ** 2)
            * sm.fraction
        )
        counts = rng.poisson(rate)
        row = np.repeat(np.arange(len(counts)), counts)
        account = sm.account[row]
        created = business_time(
            rng, sm.start[row], sm.stop[row], self.accounts.business_hour[account]
        )
        h = sm.h[row]
        shares = params.TICKET_CATEGORY_SHARES
        mix = np.outer(h, shares["healthy"]) + np.outer(1 - h, shares["weak"])
        category = pick_rows(rng, mix)
        trouble = rng.random(len(row)) < logistic_hazard(h, params.TROUBLE_ESCALATION)
        opportunity_p = np.where(
            (h >= params.OPPORTUNITY_ESCALATION_MIN_HEALTH) & sm.paid[row],
            params.OPPORTUNITY_ESCALATION_HEALTHY_PROB,
            params.OPPORTUNITY_ESCALATION_PROB,
        )
        opportunity = ~trouble & (rng.random(len(row)) < opportunity_p)
        reason = np.full(len(row), -1, dtype=np.int64)
        reason[trouble] = self._trouble_reason(category[trouble])
        reason[opportunity] = len(TROUBLE_REASONS) + draw(
            rng, params.OPPORTUNITY_REASON_SHARES, int(opportunity.sum())
        )
        return _Tickets(account, created, category, h, sm.addon_mask[row], reason)

    def _trouble_reason(self, category: np.ndarray) -> np.ndarray:
        """Trouble reason matching the ticket category."""
        rng = self.rng
        by_category = {
            "how_to": "unhappy_customer",
            "bug": "product_defect",
            "outage": "outage",
            "billing": "billing_dispute",
            "feature_request": "missing_feature",
            "account_admin": "unhappy_customer",
        }
        reason = np.array(
            [REASONS.index(by_category[CATEGORIES[c]]) for c in category], dtype=np.int64
        )
        bug = category == CATEGORIES.index("bug")
        performance = bug & (rng.random(len(category)) < params.PERFORMANCE_SHARE_OF_BUGS)
        reason[performance] = REASONS.index("performance")
        return reason

    def _at(self, account: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Health and add-on mask of accounts at instants (from their service months)."""
        sm = self.months
        index = StepIndex(sm.account, sm.start)
        found = index.find(account, ts)
        found = np.where(found >= 0, found, 0)
        return sm.h[found], sm.addon_mask[found]

    def _injected(self, account: np.ndarray, created: np.ndarray, reason: np.ndarray) -> _Tickets:
        category = np.array(
            [CATEGORIES.index(REASON_CATEGORY[REASONS[r]]) for r in reason], dtype=np.int64
        )
        h, mask = self._at(account, created)
        return _Tickets(account, created, category, h, mask, reason)

    def _before_churn(self) -> _Tickets:
        """A trouble escalation in the months before most cancellations (before paid service ends,
        and before the customer asks to cancel)."""
        rng, ep = self.rng, self.episodes
        churned = np.flatnonzero(
            (ep.cancel != NULL_TS) & ~ep.secondary & (rng.random(ep.n) < params.CHURN_TROUBLE_PROB)
        )
        low_lead, high_lead = params.CHURN_TROUBLE_LEAD_DAYS
        earliest = np.maximum(ep.paid_start[churned] + 3 * DAY, ep.end[churned] - high_lead * DAY)
        latest = np.minimum(ep.cancel[churned] - 2 * DAY, ep.end[churned] - low_lead * DAY)
        keep = latest > earliest
        churned, earliest, latest = churned[keep], earliest[keep], latest[keep]
        created = earliest + (rng.random(len(churned)) * (latest - earliest)).astype(np.int64)
        reason = draw(rng, params.CHURN_REASON_SHARES, len(churned))
        return self._injected(ep.account[churned], created, reason)

    def _before_expansion(self) -> _Tickets:
        rng = self.rng
        if not self.expansions:
            return self._injected(*(np.zeros(0, dtype=np.int64),) * 3)
        kind = np.array([x[3] for x in self.expansions], dtype=object)
        episode = np.array([x[0] for x in self.expansions], dtype=np.int64)
        when = np.array([x[2] for x in self.expansions], dtype=np.int64)
        chosen = (
            rng.random(len(when)) < params.EXPANSION_OPPORTUNITY_PROB
        ) & ~self.episodes.secondary[episode]
        lead = rng.integers(
            *params.EXPANSION_OPPORTUNITY_LEAD_DAYS, int(chosen.sum()), endpoint=True
        )
        created = when[chosen] - lead * DAY
        created = np.maximum(created, self.episodes.paid_start[episode[chosen]] + DAY)
        keep = created < when[chosen]
        reason = np.array(
            [REASONS.index(EXPANSION_REASON[k]) for k in kind[chosen][keep]], dtype=np.int64
        )
        return self._injected(self.episodes.account[episode[chosen]][keep], created[keep], reason)

    def _outages(self) -> _Tickets:
        """Systemic incidents: many accounts report the same outage within days."""
        rng, sm = self.rng, self.months
        parts = []
        for o, start in enumerate(self.health.outage_starts):
            stop = start + int(self.health.outage_days[o]) * DAY
            live = np.flatnonzero(
                sm.paid
                & (sm.start <= start)
                & (sm.stop > stop)
                & self.health.outage_affected[o, sm.account]
            )
            account = sm.account[live]
            created = start + (rng.random(len(live)) * (stop - start)).astype(np.int64)
            escalate = rng.random(len(live)) < params.OUTAGE_ESCALATION_SHARE
            reason = np.where(escalate, REASONS.index("outage"), -1)
            category = np.full(len(live), CATEGORIES.index("outage"))
            parts.append(
                _Tickets(account, created, category, sm.h[live], sm.addon_mask[live], reason)
            )
        return _Tickets.concat(parts) if parts else self._injected(*(np.zeros(0, np.int64),) * 3)

    # ------------------------------------------------------------------ tables
    def run(self) -> dict[str, EntityLog]:
        tickets = _Tickets.concat(
            [self._organic(), self._before_churn(), self._before_expansion(), self._outages()]
        )
        tickets = tickets.take(np.lexsort((tickets.account, tickets.created)))
        ticket_log, ticket_ids, product = self._ticket_log(tickets)
        escalation_log = self._escalation_log(tickets, ticket_ids, product)
        return {"tickets": ticket_log, "escalations": escalation_log}

    def _ticket_log(self, t: _Tickets) -> tuple[EntityLog, np.ndarray, np.ndarray]:
        rng, n = self.rng, len(t.created)
        contacts = self.contacts
        requester = contacts.first_of_account[t.account] + (
            rng.random(n) * contacts.count_of_account[t.account]
        ).astype(np.int64)
        severe = np.isin(t.category, [CATEGORIES.index("bug"), CATEGORIES.index("outage")])
        shares = params.TICKET_PRIORITY_SHARES
        priority = np.where(severe, draw(rng, shares["severe"], n), draw(rng, shares["normal"], n))
        channel = draw(rng, params.TICKET_CHANNEL_SHARES, n)
        product = self._product(t)
        hours = np.asarray(params.FIRST_RESPONSE_MEDIAN_HOURS)[priority]
        hours = hours * np.exp(params.FIRST_RESPONSE_SIGMA * rng.normal(size=n))
        response = t.created + (hours * HOUR).astype(np.int64) + 60
        solve_days = params.SOLVE_MEDIAN_DAYS * np.exp(params.SOLVE_SIGMA * rng.normal(size=n))
        solve_days *= np.where(severe, params.SEVERE_SOLVE_FACTOR, 1.0)
        solved = response + (solve_days * DAY).astype(np.int64) + 300
        pending = rng.random(n) < params.TICKET_PENDING_SHARE
        pending_at = np.where(pending, response + (solved - response) // 3, NULL_TS)
        rated = rng.random(n) < params.CSAT_SHARE
        delay = (rng.uniform(*params.CSAT_DELAY_DAYS, n) * DAY).astype(np.int64)
        csat_at = np.where(rated, solved + delay, NULL_TS)
        curve = params.CSAT_SCORE
        mean = curve["base"] + curve["slope"] * (curve["floor"] + (1 - curve["floor"]) * t.h)
        noise = curve["noise"] * rng.normal(size=n)
        csat = np.clip(np.round(mean + noise), 1, 5).astype(np.int64)
        closed = solved + params.TICKET_CLOSE_AFTER_DAYS * DAY
        variety = self._desk_variety(t, response)
        if variety.deleted.any():
            # A deleted ticket has no reply, solve or rating after its deletion.
            gone = variety.deleted
            response, pending_at, solved, csat_at, closed = (
                np.where(gone, NULL_TS, ts)
                for ts in (response, pending_at, solved, csat_at, closed)
            )
            rated = rated & ~gone
        good_bad = rated & variety.good_bad_desk
        five_point = rated & ~variety.good_bad_desk
        ids = format_ids("tkt", np.arange(1, n + 1), 8)
        base = {
            "ticket_id": ids,
            "account_id": self.accounts.ids[t.account],
            "requester_contact_id": contacts.ids[requester],
            "created_at": t.created,
            "first_response_at": response,
            "solved_at": solved,
            "status": np.full(n, "new", dtype=object),
            "priority": np.where(
                variety.no_priority, None, np.asarray(PRIORITIES, dtype=object)[priority]
            ),
            "channel": np.asarray(CHANNELS, dtype=object)[channel],
            "category": np.asarray(CATEGORIES, dtype=object)[t.category],
            "product_id": product,
            "csat_rating": np.where(five_point, csat, NULL_INT),
            "csat_good_bad": np.where(good_bad, np.where(csat >= 4, "good", "bad"), None).astype(
                object
            ),
            "is_deleted": variety.deleted,
            "deleted_at": variety.deleted_at,
        }
        deletion = ("is_deleted", "deleted_at")
        later = ("first_response_at", "solved_at", "csat_rating", "csat_good_bad", *deletion)
        stages = [
            Stage(t.created, {"status": "new"}, later),
            Stage(response, {"status": "open"}, later[1:]),
            Stage(pending_at, {"status": "pending"}, later[1:]),
            Stage(solved, {"status": "solved"}, later[2:]),
            Stage(csat_at, {"status": "solved"}, deletion),
            Stage(closed, {"status": "closed"}, deletion),
            Stage(variety.deleted_at, clear=later[:4]),
        ]
        key = np.arange(n, dtype=np.int64)
        log = expand(entity("tickets"), base, key, stages, self.timeline.horizon_ts)
        return log, ids, product

    def _desk_variety(self, t: _Tickets, response: np.ndarray) -> _DeskVariety:
        """Which tickets come from a good/bad desk, lack a priority, or get deleted (and when)."""
        rng, n = self.desk_rng, len(t.created)
        good_bad_account = rng.random(len(self.accounts.ids)) < GOOD_BAD_CSAT_ACCOUNT_SHARE
        no_priority = rng.random(n) < NO_PRIORITY_TICKET_SHARE
        deleted = (t.reason < 0) & (rng.random(n) < DELETED_TICKET_SHARE)
        # Some time between arrival and the first reply it would have had.
        after = (rng.uniform(0.1, 0.9, n) * (response - t.created)).astype(np.int64)
        deleted_at = np.where(deleted, t.created + np.maximum(after, 60), NULL_TS)
        return _DeskVariety(good_bad_account[t.account], no_priority, deleted, deleted_at)

    def _product(self, t: _Tickets) -> np.ndarray:
        """Platform for most tickets; an add-on the account has for some; unknown for a few."""
        rng, n = self.rng, len(t.created)
        product = np.full(n, f"prod_{PRODUCTS[0]}", dtype=object)
        addon_pick = rng.integers(1, 4, n)
        has = (t.addon_mask >> addon_pick) & 1 == 1
        use_addon = has & (rng.random(n) < params.TICKET_ADDON_PRODUCT_SHARE)
        names = np.asarray([f"prod_{p}" for p in PRODUCTS], dtype=object)
        product[use_addon] = names[addon_pick[use_addon]]
        product[rng.random(n) < params.TICKET_UNKNOWN_PRODUCT_SHARE] = None
        return product

    def _next_event(
        self,
        account: np.ndarray,
        after: np.ndarray,
        event_account: np.ndarray,
        event_ts: np.ndarray,
    ) -> np.ndarray:
        """Instant of each account's first event after ``after`` (NULL_TS if none)."""
        if len(event_ts) == 0:
            return np.full(len(account), NULL_TS, dtype=np.int64)
        index = StepIndex(event_account, event_ts)
        found = index.find_next(account, after)
        return np.where(found >= 0, np.asarray(event_ts)[np.maximum(found, 0)], NULL_TS)

    def _escalation_log(
        self, t: _Tickets, ticket_ids: np.ndarray, product: np.ndarray
    ) -> EntityLog:
        rng = self.rng
        rows = np.flatnonzero(t.reason >= 0)
        n = len(rows)
        reason = t.reason[rows]
        account = t.account[rows]
        trouble = reason < len(TROUBLE_REASONS)
        delay = rng.uniform(*params.ESCALATE_AFTER_HOURS, n) * HOUR
        escalated = t.created[rows] + delay.astype(np.int64)
        order = np.lexsort((rows, escalated))
        rows, reason, account, trouble, escalated = (
            rows[order],
            reason[order],
            account[order],
            trouble[order],
            escalated[order],
        )
        h = t.h[rows]
        accepted = escalated + (rng.uniform(*params.ESCALATION_ACCEPT_HOURS, n) * HOUR).astype(
            np.int64
        )
        resolved = accepted + (rng.uniform(*params.ESCALATION_RESOLVE_DAYS, n) * DAY).astype(
            np.int64
        )
        window = params.ESCALATION_OUTCOME_WINDOW_DAYS * DAY
        ep = self.episodes
        churn_ts = ep.cancel[(ep.cancel != NULL_TS) & ~ep.secondary]
        churn_account = ep.account[(ep.cancel != NULL_TS) & ~ep.secondary]
        next_churn = self._next_event(account, escalated, churn_account, churn_ts)
        grow_account = np.array([x[1] for x in self.expansions], dtype=np.int64)
        grow_ts = np.array([x[2] for x in self.expansions], dtype=np.int64)
        next_growth = self._next_event(account, escalated, grow_account, grow_ts)
        lost = trouble & (next_churn != NULL_TS) & (next_churn - escalated <= window)
        expanded = ~trouble & (next_growth != NULL_TS) & (next_growth - escalated <= window)
        outcome = np.where(
            trouble,
            np.where(lost, "lost", np.where(h < params.SAVED_MAX_HEALTH, "saved", "resolved")),
            np.where(
                expanded,
                "expanded",
                np.where(rng.random(n) < params.NO_ACTION_SHARE, "no_action", "resolved"),
            ),
        ).astype(object)
        resolved = np.where(lost, np.maximum(next_churn + HOUR, accepted + HOUR), resolved)
        resolved = np.where(expanded, np.maximum(next_growth + HOUR, accepted + HOUR), resolved)
        outage = reason == REASONS.index("outage")
        shares = params.SEVERITY_SHARES
        trouble_mix = np.outer(h, shares["healthy"]) + np.outer(1 - h, shares["weak"])
        severity = np.where(
            trouble, pick_rows(rng, trouble_mix), draw(rng, shares["opportunity"], n)
        )
        severity = np.where(outage, np.maximum(severity, 2), severity)
        base = {
            "escalation_id": format_ids("esc", np.arange(1, n + 1), 7),
            "ticket_id": ticket_ids[rows],
            "account_id": self.accounts.ids[account],
            "escalated_at": escalated,
            "escalation_type": np.where(trouble, "trouble", "opportunity").astype(object),
            "reason": np.asarray(REASONS, dtype=object)[reason],
            "product_id": product[rows],
            "severity": np.asarray(SEVERITIES, dtype=object)[severity],
            "accepted_at": accepted,
            "resolved_at": resolved,
            "outcome": outcome,
        }
        stages = [
            Stage(escalated, clear=("accepted_at", "resolved_at", "outcome")),
            Stage(accepted, clear=("resolved_at", "outcome")),
            Stage(resolved),
        ]
        key = np.arange(n, dtype=np.int64)
        return expand(entity("escalations"), base, key, stages, self.timeline.horizon_ts)


def simulate_support(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    health: Health,
    episodes: EpisodeArrays,
    months: ServiceMonths,
    expansions: list[tuple],
) -> dict[str, EntityLog]:
    return SupportSimulator(
        seed, timeline, accounts, contacts, health, episodes, months, expansions
    ).run()
