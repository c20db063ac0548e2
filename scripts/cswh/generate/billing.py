"""Billing history of every episode: item versions, subscription versions, invoices and lines.

Walks each paid episode tick by tick (billing anniversaries; every 28 days for plans billed by
the week). Active-user *demand* grows with health and shrinks when the account is weak;
utilisation is demand over seats. Healthy accounts near full utilisation buy seats, upgrade or add
products mid-term (prorated at once); weak ones cut seats, drop add-ons or downgrade at renewal.
Each account is billed in one currency (its country's, for a share of them) from that currency's
price book. Money is kept in integer minor units of that currency (cents, whole yen) so that
invoice arithmetic is exact: total = subtotal - discount + tax, and recurring lines follow the item
versions in force at the start of each billing period. What the simulation hands to the CRM (ARR
of terms and expansions) is in US cents at the price-book factor.

Subscription statuses: paused months (no invoices), dunning (past_due while an invoice is overdue,
unpaid after one is written off, until a later invoice is paid), cancellations shown as canceled
or non_renewing, lapsed trials as ended or incomplete_expired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cswh.generate import params
from cswh.generate.catalogue import PLATFORM, Catalogue, local_fee, round_whole, usd_cents
from cswh.generate.lifecycle import Episode
from cswh.generate.population import Accounts, Health
from cswh.generate.timeline import DAY, HOUR, NULL_TS, Draws, Timeline, stream

# Open end of a dunning spell that nothing closed.
NEVER = int(np.iinfo(np.int64).max)
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
    # [item, plan, seats, unit_minor, discount_pct, discount_end_ts, reason, valid_from, created,
    #  valid_to, discount_amount_minor, discount_duration or None]; mutable so that valid_to can
    #  be filled when the next version arrives. Money in minor units of the plan currency.
    item_versions: list[list] = field(default_factory=list)
    # (episode, ts, status, term_start, term_end, canceled_at, ended_at, auto_renew, paused_at,
    #  resumes_at)
    subscription_versions: list[tuple] = field(default_factory=list)
    # (episode, issued_ts, period_start_ts, period_end_ts, subtotal, discount, tax, outcome,
    #  outcome_ts), money in minor units of the episode's currency
    invoices: list[tuple] = field(default_factory=list)
    # (invoice, line_type, plan, item, description, seats, amount, period_start, period_end)
    lines: list[tuple] = field(default_factory=list)
    # (episode, term_start, term_end, arr_usd_cents, next_arr_usd_cents or -1, ends_here)
    terms: list[tuple] = field(default_factory=list)
    # (episode, account, ts, kind, delta_arr_usd_cents)
    expansions: list[tuple] = field(default_factory=list)
    # Billing currency of each account (USD for accounts never billed).
    account_currency: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
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
        self.x = sim.status_draws
        self.catalogue = sim.catalogue
        self.currency = str(sim.log.account_currency[episode.account])
        self.anniversary = episode.ticks()
        self.items: dict[int, _Item] = {}
        self.tier = episode.tier
        # The subscription's coupon: percent off every item or an amount off the platform item
        # per billing period, running once (first invoice), repeating (until discount_end) or
        # forever.
        self.discount = episode.discount_pct
        self.amount_off = 0
        self.duration: str | None = None
        self.discount_end = NULL_TS
        if episode.discount_pct:
            self.duration = "forever" if episode.discount_months < 0 else "repeating"
            if episode.discount_months > 0:
                self.discount_end = self.anniversary(episode.discount_months)
        elif episode.months == 1 and self.x.chance(params.ONCE_COUPON_PROB):
            # Off the first invoice of a monthly or weekly plan (a month at most).
            percents = params.ONCE_COUPON_PERCENTS
            self.discount = percents[self.x.integer(0, len(percents) - 1)]
            self.duration = "once"
        self.repriced = False
        self.demand = 0.0
        self.last_invoice_ts = episode.paid_start_ts
        self.stop = NULL_TS
        self.period = 0  # next billing period to invoice
        self.paused_at = self.resumes_at = NULL_TS
        self.pause_until = -1  # tick at which the current pause ends
        self.versions: list[tuple] = []
        self.invoice_rows: list[int] = []

    # ------------------------------------------------------------------ items
    def _discount_fields(self, item: _Item) -> tuple[int, int, int, str | None]:
        """(percent, amount, ends_at, duration) of the coupon as it applies to an item."""
        amount = self.amount_off if item.product == PLATFORM else 0
        if not self.duration or (self.discount == 0 and amount == 0):
            return 0, 0, NULL_TS, None
        return self.discount, amount, self.discount_end, self.duration

    def _write_version(self, item: _Item, ts: int, created: int, reason: str) -> None:
        versions = self.log.item_versions
        current = versions[item.version] if item.version >= 0 else None
        pct, amount, ends, duration = self._discount_fields(item)
        if current is not None and current[7] == ts and current[8] == created:
            # Several changes at one instant make one version (keep the strongest reason).
            current[1:6] = [item.plan, item.seats, item.unit, pct, ends]
            current[10:12] = [amount, duration]
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
                pct,
                ends,
                reason,
                ts,
                created,
                NULL_TS,
                amount,
                duration,
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
        return self.catalogue.current_plan(product, self.tier, self.ep.interval, self.currency)

    def _running_discount(self, item: _Item, gross: int, line_type: str, first: bool) -> int:
        """What the coupon takes off one line of an item (minor units), never more than it."""
        if line_type == "one_off" or not self.duration:
            return 0
        if self.duration == "once" and not first:
            return 0
        off = round(gross * self.discount / 100) if self.discount else 0
        if line_type == "recurring" and item.product == PLATFORM and self.amount_off:
            off += min(self.amount_off, gross - off)
        return off

    def _periods_per_year(self) -> float:
        if self.ep.weeks:
            return 365.25 / 7 / self.ep.weeks
        return 12 / self.ep.months

    def _arr(self) -> int:
        """ARR in US cents at the price-book factor (the CRM's currency)."""
        per_period = 0
        for item in self.items.values():
            gross = item.seats * item.unit
            per_period += gross
            if self.duration != "once":
                per_period -= self._running_discount(item, gross, "recurring", False)
        return round(usd_cents(per_period * self._periods_per_year(), self.currency))

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
        first: bool = False,
    ) -> None:
        """Issue one invoice; lines are (type, plan, item, description, seats, gross)."""
        log = self.log
        invoice = len(log.invoices)
        subtotal = discount = 0
        for line_type, plan, item, description, seats, gross in lines:
            line_discount = 0
            if item >= 0:
                line_discount = self._running_discount(
                    self._item_by_index[item], gross, line_type, first
                )
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
        self.invoice_rows.append(invoice)

    @property
    def _item_by_index(self) -> dict[int, _Item]:
        return {item.index: item for item in self.items.values()}

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

    def _recurring_lines(self, period_start: int) -> list[tuple]:
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
        if period_start == self.ep.paid_start_ts and self.ep.one_off_cents:
            lines.append(
                (
                    "one_off",
                    -1,
                    -1,
                    "Onboarding and implementation services",
                    -1,
                    local_fee(self.ep.one_off_cents, self.currency),
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
        # Goodwill credits per month of billing, whatever the period.
        share = self.ep.weeks * 7 / 30.4375 if self.ep.weeks else 1.0
        if self.d.chance(params.GOODWILL_CREDIT_PROB * share):
            return params.GOODWILL_CREDIT_SHARE
        return 0.0

    def _period_start(self, k: int) -> int:
        """Start of the k-th billing period."""
        if self.ep.weeks:
            return self.ep.paid_start_ts + k * self.ep.weeks * 7 * DAY
        return self.anniversary(k * self.ep.months)

    def _period_around(self, ts: int) -> tuple[int, int]:
        """(start, end) of the billing period containing ``ts``."""
        if self.ep.weeks:
            k = (ts - self.ep.paid_start_ts) // (self.ep.weeks * 7 * DAY)
        else:
            k = 0
            while self._period_start(k + 1) <= ts:
                k += 1
        return self._period_start(k), self._period_start(k + 1)

    def _bill_until(self, limit: int) -> None:
        """Invoice every billing period starting before ``limit`` not invoiced yet (none while
        paused): recurring lines follow the items in force now."""
        horizon = self.sim.timeline.horizon_ts
        while True:
            start = self._period_start(self.period)
            if start >= limit or start >= self.stop or start > horizon:
                return
            end = self._period_start(self.period + 1)
            if not (self.paused_at <= start < self.resumes_at):
                first = self.period == 0
                credit = self._credit_share(start) if not first else 0.0
                self._invoice(start, start, end, self._recurring_lines(start), credit, first)
                self.last_invoice_ts = start
            self.period += 1

    # ------------------------------------------------------------------ the walk
    def run(self) -> None:
        ep = self.ep
        start = ep.paid_start_ts
        for product in (PLATFORM, *ep.addons):
            plan = self._plan_for(product)
            legacy = self.catalogue.legacy_plan(
                product, self.tier, ep.interval, self.currency, start
            )
            if legacy >= 0 and self.d.chance(params.LEGACY_PLAN_SHARE):
                plan = legacy
            recurring_coupon = self.discount and self.duration != "once"
            if product == PLATFORM and recurring_coupon and self.x.chance(params.AMOUNT_OFF_SHARE):
                # The same money off, as a whole-unit amount off the platform item.
                gross = ep.seats * self.catalogue.list_price(plan, start)
                self.amount_off = round_whole(gross * self.discount / 100, self.currency)
                self.discount = 0
            self._add_item(product, plan, ep.seats, start, ep.created_ts)
        trial = ep.trial_start_ts != NULL_TS
        first_term = None if trial else (start, self.anniversary(ep.months))
        self._subscription_version(ep.created_ts, "trialing" if trial else "active", first_term)
        if ep.trial_start_ts != NULL_TS:
            self._point(ep.trial_start_ts, ep.seats * self.d.uniform(*params.TRIAL_DEMAND_SHARE))
        if not ep.converted:
            for item in list(self.items.values()):
                self._remove_item(item, start)
            expired = self.x.chance(params.INCOMPLETE_EXPIRED_SHARE)
            status = "incomplete_expired" if expired else "ended"
            self._subscription_version(start, status, None, ended=start)
            self._finish_versions()
            return
        self._walk_months()
        if ep.cancel_ts != NULL_TS:
            term = self._term_around(ep.cancel_ts)
            scheduled = self.x.chance(params.NON_RENEWING_SHARE)
            status = "non_renewing" if scheduled else "canceled"
            self._subscription_version(ep.cancel_ts, status, term, canceled=True)
        if ep.end_ts != NULL_TS and ep.end_ts <= self.sim.timeline.horizon_ts:
            for item in list(self.items.values()):
                self._remove_item(item, ep.end_ts)
            term = self._term_around(ep.end_ts - 1)
            self._subscription_version(ep.end_ts, "ended", term, canceled=True, ended=ep.end_ts)
        self._finish_versions()

    def _term_around(self, ts: int) -> tuple[int, int]:
        """(start, end) of the term containing ``ts``, counted from the paid start."""
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
        if ep.inclusive_end and ended != NULL_TS and ended > ep.paid_start_ts:
            ended -= 1  # exported as 23:59:59 on the last paid day
        self.versions.append(
            (
                self.e,
                ts,
                status,
                term_start,
                term_end,
                ep.cancel_ts if canceled else NULL_TS,
                ended,
                ep.auto_renew and not canceled and status != "ended",
                self.paused_at,
                self.resumes_at,
            )
        )

    def _finish_versions(self) -> None:
        """Lay dunning over the subscription's versions: past_due from an invoice's due date
        until it is paid or written off, unpaid from a write-off until a later invoice is paid;
        only an active subscription shows them."""
        invoices = self.log.invoices
        spells: list[tuple[int, int, int]] = []  # (from, until, level: 1 past_due, 2 unpaid)
        for position, row in enumerate(self.invoice_rows):
            _, issued, _, _, subtotal, discount, tax, outcome, outcome_ts = invoices[row]
            if subtotal - discount + tax <= 0 or outcome == "void":
                continue
            due = issued + params.PAYMENT_TERMS_DAYS * DAY
            if outcome_ts > due:
                spells.append((due, outcome_ts, 1))
            if outcome == "uncollectible":
                later = [
                    invoices[other][8]
                    for other in self.invoice_rows[position + 1 :]
                    if invoices[other][7] == "paid" and invoices[other][8] > outcome_ts
                ]
                spells.append((outcome_ts, min(later, default=NEVER), 2))
        base = sorted(self.versions, key=lambda v: v[1])
        if not spells:
            self.log.subscription_versions.extend(base)
            return
        base_times = [v[1] for v in base]
        points = sorted(
            {*base_times, *(s[0] for s in spells), *(s[1] for s in spells if s[1] < NEVER)}
        )
        out: list[tuple] = []
        b = -1
        for t in points:
            while b + 1 < len(base) and base_times[b + 1] <= t:
                b += 1
            if b < 0:
                continue
            version = base[b]
            level = max((s[2] for s in spells if s[0] <= t < s[1]), default=0)
            status = version[2]
            if status == "active" and level:
                status = "past_due" if level == 1 else "unpaid"
            if out and out[-1][2] == status and t not in base_times:
                continue
            out.append((version[0], t, status, *version[3:]))
        self.log.subscription_versions.extend(out)

    def _pause(self, j: int, tick: int) -> bool:
        """Whether the subscription is paused at tick ``j``; starts a pause now and then."""
        ep = self.ep
        if j < self.pause_until:
            return True
        if self.pause_until >= 0 or ep.interval != 0 or ep.secondary:
            return False
        if j < params.PAUSE_MIN_MONTH or not self.x.chance(params.PAUSE_MONTHLY_PROB):
            return False
        months = self.x.integer(*params.PAUSE_MONTHS)
        resume = self.anniversary(j + months)
        if ep.cancel_ts != NULL_TS and resume >= ep.cancel_ts:
            return False
        self.paused_at, self.resumes_at, self.pause_until = tick, resume, j + months
        self._subscription_version(tick, "paused", None)
        return True

    def _walk_months(self) -> None:
        ep, sim = self.ep, self.sim
        months = ep.months
        horizon = sim.timeline.horizon_ts
        self.stop = ep.end_ts if ep.end_ts != NULL_TS else horizon + 1
        term_record: list | None = None
        j = 0
        while True:
            tick = self.anniversary(j)
            if tick >= self.stop or tick > horizon:
                break
            self._bill_until(tick)
            h = sim.health_at(ep.account, tick)
            self._update_demand(j, h)
            paused = self._pause(j, tick)
            if j % months == 0 and not paused:
                term = (tick, self.anniversary(j + months))
                if j > 0:
                    self._renewal_changes(tick, h, term[1])
                if j > 0 or ep.trial_start_ts != NULL_TS:
                    self._subscription_version(tick, "active", term)
                if term_record is not None:
                    term_record[4], term_record[5] = self._arr(), False
                if months > 1:
                    term_record = [self.e, *term, self._arr(), -1, term[1] == ep.end_ts]
                    self.log.terms.append(term_record)
            self._bill_until(tick + 1)
            platform = self.items[PLATFORM]
            users = min(self.demand, params.MAX_UTILISATION * platform.seats)
            self._point(tick, users * params.PAUSED_USAGE_SHARE if paused else users)
            if not paused:
                self._midterm_growth(tick, self.anniversary(j + 1), h)
            j += 1
        self._bill_until(self.stop)

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
        if self.duration == "once":
            # Spent on the first invoice; the versions written from now on carry no coupon.
            self.discount, self.duration = 0, None
        elif self.duration and self.discount_end != NULL_TS and self.discount_end <= ts:
            self.discount = self.amount_off = 0
            self.duration, self.discount_end = None, NULL_TS
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
            and self.duration is None
            and h < params.RETENTION_DISCOUNT_MAX_HEALTH
            and d.chance(params.RETENTION_DISCOUNT_PROB)
        ):
            self.discount = params.RETENTION_DISCOUNT_PERCENT
            self.duration, self.discount_end = "repeating", term_end
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
        period_end = self._period_around(when)[1]
        if period_end - when < DAY:
            # Less than a day left of a weekly period: the change waits for the next period
            # (a proration must cover at least one service day).
            when = period_end
        if when >= next_tick or (ep.cancel_ts != NULL_TS and when >= ep.cancel_ts):
            return
        if when > self.sim.timeline.horizon_ts:
            return
        self._bill_until(when + 1)  # periods starting by now are billed as they were
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
        term_start, term_end = self._period_around(when)
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


def account_currencies(seed: int, accounts: Accounts) -> np.ndarray:
    """The currency each account is billed in: its billing country's, for a share by segment."""
    rng = stream(seed, "billing_currency")
    local = np.array(
        [params.LOCAL_CURRENCY.get(c, "USD") for c in accounts.billing_country], dtype=object
    )
    share = np.asarray(params.LOCAL_CURRENCY_SHARE_BY_SEGMENT)[accounts.segment]
    return np.where(rng.random(accounts.n) < share, local, "USD").astype(object)


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
        # Coupons, pauses and statuses draw from their own stream, leaving the billing draws be.
        self.status_draws = Draws(stream(seed, "billing_statuses"))
        self.log = BillingLog(account_currency=account_currencies(seed, accounts))

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
