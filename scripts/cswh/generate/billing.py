"""Billing history of every episode: item versions, subscription versions, invoices and lines.

Walks each paid episode month by month (billing anniversaries). Active-user *demand* grows with
health and shrinks when the account is weak; utilisation is demand over seats. Healthy accounts
near full utilisation buy seats, upgrade or add products mid-term (prorated at once); weak ones
cut seats, drop add-ons or downgrade at renewal. Money is kept in integer cents so that invoice
arithmetic is exact: total = subtotal - discount + tax, and recurring lines follow the item
versions in force at the term start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cswh.generate import params
from cswh.generate.catalogue import PLATFORM, Catalogue
from cswh.generate.lifecycle import Episode
from cswh.generate.population import Accounts, Health
from cswh.generate.timeline import DAY, HOUR, NULL_TS, Anniversaries, Draws, Timeline, stream

REASON_PRIORITY = {
    "new": 5,
    "removed": 4,
    "plan_change": 3,
    "seat_change": 2,
    "price_change": 1,
    "discount_change": 0,
}


@dataclass
class BillingLog:
    """Everything the billing walk produced, as plain lists of records."""

    # item index -> (episode index, product)
    items: list[tuple[int, int]] = field(default_factory=list)
    # [item, plan, seats, unit_cents, discount_pct, discount_end_ts, reason, valid_from, created,
    #  valid_to]; mutable so that valid_to can be filled when the next version arrives.
    item_versions: list[list] = field(default_factory=list)
    # (episode, ts, status, term_start, term_end, canceled_at, ended_at, auto_renew)
    subscription_versions: list[tuple] = field(default_factory=list)
    # (episode, issued_ts, period_start_ts, period_end_ts, subtotal, discount, tax, outcome,
    #  outcome_ts)
    invoices: list[tuple] = field(default_factory=list)
    # (invoice, line_type, plan, item, description, seats, amount, period_start, period_end)
    lines: list[tuple] = field(default_factory=list)
    # (episode, term_start, term_end, arr_cents, next_arr_cents or -1, ends_here)
    terms: list[tuple] = field(default_factory=list)
    # (episode, account, ts, kind, delta_arr_cents)
    expansions: list[tuple] = field(default_factory=list)
    # Usage state points: (episode, ts, users, seats, tier, addon_mask)
    points: list[tuple] = field(default_factory=list)


@dataclass
class _Item:
    index: int
    product: int
    plan: int
    seats: int
    unit: int
    version: int  # row in item_versions of the version in force


class _EpisodeWalk:
    """The billing walk of one episode."""

    def __init__(self, sim: BillingSimulator, e: int, episode: Episode) -> None:
        self.sim = sim
        self.log = sim.log
        self.e = e
        self.ep = episode
        self.d = sim.draws
        self.catalogue = sim.catalogue
        self.anniversary = Anniversaries(episode.paid_start_ts)
        self.items: dict[int, _Item] = {}
        self.tier = episode.tier
        self.discount = episode.discount_pct
        self.discount_end = NULL_TS
        if episode.discount_months > 0:
            self.discount_end = self.anniversary(episode.discount_months)
        self.repriced = False
        self.demand = 0.0
        self.last_invoice_ts = episode.paid_start_ts

    # ------------------------------------------------------------------ items
    def _write_version(self, item: _Item, ts: int, created: int, reason: str) -> None:
        versions = self.log.item_versions
        current = versions[item.version] if item.version >= 0 else None
        if current is not None and current[7] == ts and current[8] == created:
            # Several changes at one instant make one version (keep the strongest reason).
            current[1:5] = [item.plan, item.seats, item.unit, self.discount]
            current[5] = self.discount_end
            if REASON_PRIORITY[reason] > REASON_PRIORITY[current[6]]:
                current[6] = reason
            return
        if current is not None:
            current[9] = ts
        versions.append(
            [
                item.index,
                item.plan,
                item.seats,
                item.unit,
                self.discount,
                self.discount_end,
                reason,
                ts,
                created,
                NULL_TS,
            ]
        )
        item.version = len(versions) - 1

    def _add_item(self, product: int, plan: int, seats: int, ts: int, created: int) -> _Item:
        unit = self.catalogue.list_price(plan, ts)
        self.log.items.append((self.e, product))
        item = _Item(len(self.log.items) - 1, product, plan, seats, unit, -1)
        self.items[product] = item
        self._write_version(item, ts, created, "new")
        return item

    def _remove_item(self, item: _Item, ts: int) -> None:
        item.seats = 0
        self._write_version(item, ts, ts, "removed")
        del self.items[item.product]

    def _plan_for(self, product: int) -> int:
        return self.catalogue.current_plan(product, self.tier, self.ep.interval)

    def _arr(self) -> int:
        per_interval = sum(item.seats * item.unit for item in self.items.values())
        return round(per_interval * (100 - self.discount) / 100 * 12 / self.ep.months)

    def _mask(self) -> int:
        return sum(1 << product for product in self.items if product != PLATFORM)

    def _point(self, ts: int, users: float) -> None:
        platform = self.items.get(PLATFORM)
        seats = platform.seats if platform else self.ep.seats
        self.log.points.append((self.e, ts, users, seats, self.tier, self._mask()))

    # ------------------------------------------------------------------ invoices
    def _invoice(
        self,
        ts: int,
        period_start: int,
        period_end: int,
        lines: list[tuple],
        credit_share: float = 0.0,
    ) -> None:
        """Issue one invoice; lines are (type, plan, item, description, seats, gross)."""
        log = self.log
        invoice = len(log.invoices)
        subtotal = discount = 0
        for line_type, plan, item, description, seats, gross in lines:
            line_discount = round(gross * self.discount / 100) if line_type != "one_off" else 0
            subtotal += gross
            discount += line_discount
            log.lines.append(
                (
                    invoice,
                    line_type,
                    plan,
                    item,
                    description,
                    seats,
                    gross - line_discount,
                    period_start,
                    period_end,
                )
            )
        if credit_share > 0 and subtotal - discount > 0:
            credit = -round((subtotal - discount) * credit_share)
            outage = credit_share == params.OUTAGE_CREDIT_SHARE
            description = "Service credit (incident)" if outage else "Goodwill credit"
            log.lines.append(
                (invoice, "credit", -1, -1, description, -1, credit, period_start, period_end)
            )
            subtotal += credit
        tax = round((subtotal - discount) * self.sim.accounts.tax_rate[self.ep.account])
        outcome, outcome_ts = self._payment(ts, subtotal - discount + tax)
        log.invoices.append(
            (self.e, ts, period_start, period_end, subtotal, discount, tax, outcome, outcome_ts)
        )

    def _payment(self, issued: int, total: int) -> tuple[str, int]:
        d = self.d
        if total <= 0:
            return "paid", issued + 60
        weak = self.sim.health_at(self.ep.account, issued) < params.WEAK_PAYER_HEALTH
        key = "weak" if weak else "healthy"
        if d.chance(params.VOID_PROB):
            return "void", issued + d.integer(*params.VOID_AFTER_DAYS) * DAY + HOUR
        if d.chance(params.UNCOLLECTIBLE_PROB[key]):
            return "uncollectible", issued + d.integer(*params.UNCOLLECTIBLE_AFTER_DAYS) * DAY
        median = params.PAYMENT_DELAY_MEDIAN_DAYS[key]
        delay = min(
            params.PAYMENT_MAX_DAYS, median * math.exp(params.PAYMENT_DELAY_SIGMA * d.normal())
        )
        return "paid", issued + int(delay * DAY) + 120

    def _recurring_lines(self, term_start: int) -> list[tuple]:
        lines = []
        for item in self.items.values():
            plan = self.catalogue.plans[item.plan]
            lines.append(
                (
                    "recurring",
                    item.plan,
                    item.index,
                    f"{plan.name} x {item.seats} seats",
                    item.seats,
                    item.seats * item.unit,
                )
            )
        if term_start == self.ep.paid_start_ts and self.ep.one_off_cents:
            lines.append(
                (
                    "one_off",
                    -1,
                    -1,
                    "Onboarding and implementation services",
                    -1,
                    self.ep.one_off_cents,
                )
            )
        return lines

    def _credit_share(self, ts: int) -> float:
        """Service credit after an outage that hit the account, else a rare goodwill credit."""
        sim = self.sim
        if not self.ep.secondary:
            for o, start in enumerate(sim.health.outage_starts):
                hit = sim.health.outage_affected[o, self.ep.account]
                if hit and self.last_invoice_ts < start <= ts and start >= self.ep.paid_start_ts:
                    return params.OUTAGE_CREDIT_SHARE
        if self.d.chance(params.GOODWILL_CREDIT_PROB):
            return params.GOODWILL_CREDIT_SHARE
        return 0.0

    # ------------------------------------------------------------------ the walk
    def run(self) -> None:
        ep = self.ep
        start = ep.paid_start_ts
        for product in (PLATFORM, *ep.addons):
            plan = self._plan_for(product)
            legacy = self.catalogue.legacy_plan(product, self.tier, ep.interval, start)
            if legacy >= 0 and self.d.chance(params.LEGACY_PLAN_SHARE):
                plan = legacy
            self._add_item(product, plan, ep.seats, start, ep.created_ts)
        trial = ep.trial_start_ts != NULL_TS
        first_term = None if trial else (start, self.anniversary(ep.months))
        self._subscription_version(ep.created_ts, "trialing" if trial else "active", first_term)
        if ep.trial_start_ts != NULL_TS:
            self._point(ep.trial_start_ts, ep.seats * self.d.uniform(*params.TRIAL_DEMAND_SHARE))
        if not ep.converted:
            for item in list(self.items.values()):
                self._remove_item(item, start)
            self._subscription_version(start, "ended", None, ended=start)
            return
        self._walk_months()
        if ep.cancel_ts != NULL_TS:
            term = self._term_around(ep.cancel_ts)
            self._subscription_version(ep.cancel_ts, "canceled", term, canceled=True)
        if ep.end_ts != NULL_TS and ep.end_ts <= self.sim.timeline.horizon_ts:
            for item in list(self.items.values()):
                self._remove_item(item, ep.end_ts)
            term = self._term_around(ep.end_ts - 1)
            self._subscription_version(ep.end_ts, "ended", term, canceled=True, ended=ep.end_ts)

    def _term_around(self, ts: int) -> tuple[int, int]:
        """(start, end) of the billing term containing ``ts``, counted from the paid start."""
        months = self.ep.months
        k = 0
        while self.anniversary((k + 1) * months) <= ts:
            k += 1
        return self.anniversary(k * months), self.anniversary((k + 1) * months)

    def _subscription_version(
        self,
        ts: int,
        status: str,
        term: tuple[int, int] | None,
        canceled: bool = False,
        ended: int = NULL_TS,
    ) -> None:
        ep = self.ep
        term_start, term_end = term if term is not None else (NULL_TS, NULL_TS)
        self.log.subscription_versions.append(
            (
                self.e,
                ts,
                status,
                term_start,
                term_end,
                ep.cancel_ts if canceled else NULL_TS,
                ended,
                ep.auto_renew and not canceled and status != "ended",
            )
        )

    def _walk_months(self) -> None:
        ep, sim = self.ep, self.sim
        months = ep.months
        horizon = sim.timeline.horizon_ts
        stop = ep.end_ts if ep.end_ts != NULL_TS else horizon + 1
        term_record: list | None = None
        j = 0
        while True:
            tick = self.anniversary(j)
            if tick >= stop or tick > horizon:
                break
            h = sim.health_at(ep.account, tick)
            self._update_demand(j, h)
            if j % months == 0:
                term = (tick, self.anniversary(j + months))
                if j > 0:
                    self._renewal_changes(tick, h, term[1])
                if j > 0 or ep.trial_start_ts != NULL_TS:
                    self._subscription_version(tick, "active", term)
                if term_record is not None:
                    term_record[4], term_record[5] = self._arr(), False
                credit = self._credit_share(tick) if j > 0 else 0.0
                self._invoice(tick, *term, self._recurring_lines(tick), credit_share=credit)
                self.last_invoice_ts = tick
                if months > 1:
                    term_record = [self.e, *term, self._arr(), -1, term[1] == ep.end_ts]
                    self.log.terms.append(term_record)
            platform = self.items[PLATFORM]
            self._point(tick, min(self.demand, params.MAX_UTILISATION * platform.seats))
            self._midterm_growth(tick, self.anniversary(j + 1), h)
            j += 1

    def _update_demand(self, j: int, h: float) -> None:
        d = self.d
        seats = self.items[PLATFORM].seats
        if j == 0:
            self.demand = seats * d.uniform(*params.DEMAND_START_SHARE)
            return
        growth = params.DEMAND_GROWTH_SLOPE * (h - params.DEMAND_NEUTRAL_HEALTH)
        if h < params.DEMAND_WEAK_HEALTH:
            growth -= params.DEMAND_WEAK_DECLINE
        self.demand *= math.exp(growth + params.DEMAND_NOISE * d.normal())
        self.demand = max(0.5, self.demand)

    # ------------------------------------------------------------------ changes
    def _renewal_changes(self, ts: int, h: float, term_end: int) -> None:
        """Contraction, downgrades, add-on removals, repricing and discounts at a term start."""
        d, ep, catalogue = self.d, self.ep, self.catalogue
        if self.discount and self.discount_end != NULL_TS and self.discount_end <= ts:
            self.discount, self.discount_end = 0, NULL_TS
            for item in self.items.values():
                self._write_version(item, ts, ts, "discount_change")
        platform = self.items[PLATFORM]
        utilisation = self.demand / platform.seats
        if (
            utilisation < params.CONTRACT_UTILISATION
            and h < params.CONTRACT_MAX_HEALTH
            and d.chance(params.CONTRACT_PROB)
        ):
            seats = max(1, math.ceil(self.demand * params.CONTRACT_HEADROOM))
            if seats < platform.seats:
                for item in self.items.values():
                    item.seats = seats
                    self._write_version(item, ts, ts, "seat_change")
        for item in [i for i in self.items.values() if i.product != PLATFORM]:
            if h < params.ADDON_REMOVE_MAX_HEALTH and d.chance(params.ADDON_REMOVE_PROB):
                self._remove_item(item, ts)
        if self.tier > 0 and h < params.DOWNGRADE_MAX_HEALTH and d.chance(params.DOWNGRADE_PROB):
            self.tier -= 1
            self._change_plan(platform, self._plan_for(PLATFORM), ts)
        for item in self.items.values():
            if catalogue.plans[item.plan].legacy and d.chance(params.LEGACY_MIGRATION_PROB):
                self._change_plan(item, self._plan_for(item.product), ts)
        if not self.repriced and ts >= catalogue.price_increase_ts:
            self.repriced = True
            list_price = catalogue.list_price(platform.plan, ts)
            if list_price > platform.unit and d.chance(params.PRICE_INCREASE_ADOPTION):
                platform.unit = list_price
                self._write_version(platform, ts, ts, "price_change")
        if (
            ep.months > 1
            and self.discount == 0
            and h < params.RETENTION_DISCOUNT_MAX_HEALTH
            and d.chance(params.RETENTION_DISCOUNT_PROB)
        ):
            self.discount = params.RETENTION_DISCOUNT_PERCENT
            self.discount_end = term_end
            for item in self.items.values():
                self._write_version(item, ts, ts, "discount_change")

    def _change_plan(self, item: _Item, plan: int, ts: int) -> None:
        if plan == item.plan:
            return
        item.plan = plan
        item.unit = self.catalogue.list_price(plan, ts)
        self._write_version(item, ts, ts, "plan_change")

    def _midterm_growth(self, tick: int, next_tick: int, h: float) -> None:
        """At most one expansion per month: seats, an upgrade or a new add-on, prorated."""
        d, ep = self.d, self.ep
        when = tick + d.integer(2, 25) * DAY + d.integer(0, 8) * HOUR
        if when >= next_tick or (ep.cancel_ts != NULL_TS and when >= ep.cancel_ts):
            return
        if when > self.sim.timeline.horizon_ts:
            return
        platform = self.items[PLATFORM]
        utilisation = self.demand / platform.seats
        before = self._arr()
        kind = ""
        if (
            utilisation >= params.EXPAND_UTILISATION
            and h >= params.EXPAND_MIN_HEALTH
            and d.chance(params.EXPAND_PROB)
        ):
            kind = "seats"
            seats = math.ceil(self.demand * d.uniform(*params.EXPAND_FACTOR))
            seats = max(seats, platform.seats + 1)
            changes = [(item, seats - item.seats) for item in self.items.values()]
            for item, _ in changes:
                item.seats = seats
                self._write_version(item, when, when, "seat_change")
            lines = [(item, delta, item.unit) for item, delta in changes]
        elif self.tier < 2 and h >= params.UPGRADE_MIN_HEALTH and d.chance(params.UPGRADE_PROB):
            kind = "upgrade"
            old_unit = platform.unit
            self.tier += 1
            self._change_plan(platform, self._plan_for(PLATFORM), when)
            lines = [(platform, platform.seats, max(0, platform.unit - old_unit))]
        else:
            missing = [p for p in (1, 2, 3) if p not in self.items]
            if not missing or h < params.ADDON_ADD_MIN_HEALTH:
                return
            if not d.chance(params.ADDON_ADD_PROB):
                return
            kind = "addon"
            product = missing[d.integer(0, len(missing) - 1)]
            item = self._add_item(product, self._plan_for(product), platform.seats, when, when)
            lines = [(item, item.seats, item.unit)]
        term_start, term_end = self._term_around(when)
        fraction = (term_end - when) / (term_end - term_start)
        invoice_lines = []
        for item, seats, unit in lines:
            plan = self.catalogue.plans[item.plan]
            invoice_lines.append(
                (
                    "proration",
                    item.plan,
                    item.index,
                    f"{plan.name} x {seats} seats (prorated)",
                    seats,
                    round(seats * unit * fraction),
                )
            )
        self._invoice(when, when, term_end, invoice_lines)
        self._point(when, min(self.demand, params.MAX_UTILISATION * platform.seats))
        self.log.expansions.append((self.e, ep.account, when, kind, self._arr() - before))


class BillingSimulator:
    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        health: Health,
        catalogue: Catalogue,
    ) -> None:
        self.timeline = timeline
        self.accounts = accounts
        self.health = health
        self.catalogue = catalogue
        self.draws = Draws(stream(seed, "billing"))
        self.log = BillingLog()

    def health_at(self, a: int, ts: int) -> float:
        value = self.health.h[a, self.timeline.month_index(ts)]
        return float(self.accounts.baseline[a] if np.isnan(value) else value)

    def run(self, episodes: list[Episode]) -> BillingLog:
        for e, episode in enumerate(episodes):
            _EpisodeWalk(self, e, episode).run()
        return self.log


def simulate_billing(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    health: Health,
    catalogue: Catalogue,
    episodes: list[Episode],
) -> BillingLog:
    return BillingSimulator(seed, timeline, accounts, health, catalogue).run(episodes)
