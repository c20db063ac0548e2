"""Version logs of the reference and billing entities: plans, features, CSMs, accounts, contacts,
billing customers, subscriptions, item versions, invoices and invoice lines."""

from __future__ import annotations

import numpy as np

from cswh.contracts import PLAN_TIERS, entity
from cswh.generate import params
from cswh.generate.billing import BillingLog
from cswh.generate.catalogue import INTERVALS, PRODUCT_NAMES, PRODUCTS, Catalogue, minor_per_unit
from cswh.generate.population import TEAMS, Accounts, Contacts, Health, Roster, format_ids
from cswh.generate.state import EpisodeArrays, StepIndex
from cswh.generate.timeline import DAY, HOUR, NULL_INT, NULL_TS, Timeline, stream, ts_days
from cswh.generate.versions import EntityLog, Stage, expand, immutable


def _ts(values: list[int] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


# ------------------------------------------------------------------------------------ catalogue
def plans_log(catalogue: Catalogue, timeline: Timeline) -> EntityLog:
    plans = catalogue.plans
    n = len(plans)
    created = np.full(n, catalogue.created_ts, dtype=np.int64)
    increase = _ts(
        [
            catalogue.price_increase_ts if p.increased_price_minor != p.price_minor else NULL_TS
            for p in plans
        ]
    )
    retire = _ts(
        [catalogue.retire_ts(p) + 8 * HOUR if p.retire_month >= 0 else NULL_TS for p in plans]
    )
    base = {
        "plan_id": np.array([p.plan_id for p in plans], dtype=object),
        "product_id": np.array([f"prod_{PRODUCTS[p.product]}" for p in plans], dtype=object),
        "product_name": np.array([PRODUCT_NAMES[p.product] for p in plans], dtype=object),
        "plan_name": np.array([p.name for p in plans], dtype=object),
        "plan_tier": np.array([PLAN_TIERS[p.tier] if p.tier >= 0 else None for p in plans]),
        "product_kind": np.array(["core" if p.product == 0 else "add_on" for p in plans]),
        "billing_interval": np.array([INTERVALS[p.interval][0] for p in plans], dtype=object),
        "interval_count": np.array([INTERVALS[p.interval][1] for p in plans], dtype=np.int64),
        "list_price": np.array([p.price_minor / minor_per_unit(p.currency) for p in plans]),
        "currency": np.array([p.currency for p in plans], dtype=object),
        "is_active": np.ones(n, dtype=bool),
    }
    base["plan_tier"] = base["plan_tier"].astype(object)
    base["product_kind"] = base["product_kind"].astype(object)
    increased = np.array([p.increased_price_minor / minor_per_unit(p.currency) for p in plans])
    stages = [
        Stage(created, {"list_price": base["list_price"]}),
        Stage(increase, {"list_price": increased}),
        Stage(retire, {"list_price": increased, "is_active": False}),
    ]
    return expand(entity("plans"), base, np.arange(n), stages, timeline.horizon_ts)


def features_log(catalogue: Catalogue, timeline: Timeline) -> EntityLog:
    features = catalogue.features
    n = len(features)
    released = catalogue.feature_released_ts
    base = {
        "feature_id": np.array([f"feat_{f[0]}" for f in features], dtype=object),
        "product_id": np.array([f"prod_{PRODUCTS[f[2]]}" for f in features], dtype=object),
        "feature_name": np.array([f[1] for f in features], dtype=object),
        "included_from_tier": np.array([PLAN_TIERS[f[3]] for f in features], dtype=object),
        "is_core_value_feature": catalogue.feature_core.copy(),
        "released_date": ts_days(released),
        "updated_at": released,
    }
    return immutable(entity("features"), base, np.arange(n), timeline.horizon_ts)


# ------------------------------------------------------------------------------------ CRM
def csms_log(roster: Roster, timeline: Timeline) -> EntityLog:
    n = roster.n
    base = {
        "csm_id": roster.ids,
        "full_name": roster.full_name,
        "email": roster.email,
        "team": np.asarray(TEAMS, dtype=object)[roster.team],
        "role": roster.role,
        "manager_csm_id": np.where(
            roster.manager >= 0, roster.ids[np.maximum(roster.manager, 0)], None
        ),
        "annual_renewal_quota": roster.quota,
        "hired_date": ts_days(roster.hired_ts),
        "is_active": np.ones(n, dtype=bool),
    }
    stages = [Stage(roster.hired_ts), Stage(roster.left_ts, {"is_active": False})]
    return expand(entity("csms"), base, np.arange(n), stages, timeline.horizon_ts)


def accounts_log(seed: int, accounts: Accounts, roster: Roster, timeline: Timeline) -> EntityLog:
    """A version at creation, at every change of owner, and when head count is re-enriched."""
    rng = stream(seed, "enrichment")
    events_account: list[np.ndarray] = [np.arange(accounts.n)]
    events_ts: list[np.ndarray] = [accounts.created_ts]
    # Owner changes: a CSM leaves and the successor takes over the whole book.
    for slot, ts in zip(roster.change_slot, roster.change_ts, strict=True):
        members = np.flatnonzero((roster.slot_of_account == slot) & (accounts.created_ts < ts))
        events_account.append(members)
        events_ts.append(np.full(len(members), ts + 30 * 60, dtype=np.int64))
    enrich_account, enrich_ts, enrich_factor = [], [], []
    for year in (1, 2, 3):
        when = accounts.created_ts + year * 365 * DAY + rng.integers(0, 60 * DAY, accounts.n)
        chosen = rng.random(accounts.n) < params.ENRICHMENT_YEARLY
        enrich_account.append(np.flatnonzero(chosen))
        enrich_ts.append(when[chosen])
        growth = rng.normal(*params.ENRICHMENT_GROWTH, int(chosen.sum()))
        enrich_factor.append(np.exp(growth))
    e_account = np.concatenate(enrich_account)
    e_ts = np.concatenate(enrich_ts)
    e_factor = np.concatenate(enrich_factor)
    events_account.append(e_account)
    events_ts.append(e_ts)
    account = np.concatenate(events_account)
    ts = np.concatenate(events_ts)
    # Head count at each version: the product of enrichment factors up to then.
    employees = accounts.employees[account].astype(np.float64)
    order = np.lexsort((e_ts, e_account))
    e_account, e_ts, e_factor = e_account[order], e_ts[order], e_factor[order]
    cumulative = e_factor.copy()
    for i in range(1, len(cumulative)):
        if e_account[i] == e_account[i - 1]:
            cumulative[i] *= cumulative[i - 1]
    found = StepIndex(e_account, e_ts).find(account, ts)
    found_sorted = np.where(found >= 0, found, 0)
    factor = np.where(found >= 0, cumulative[found_sorted], 1.0)
    low, high = params.EMPLOYEE_RANGE
    employees = np.clip(np.round(employees * factor), low, high).astype(np.int64)
    owner = roster.owner_at(account, ts)
    base = {
        "account_id": accounts.ids[account],
        "account_name": accounts.name[account],
        "industry": accounts.industry[account],
        "employee_count": employees,
        "region": np.asarray(("north_america", "emea", "apac", "latam"), dtype=object)[
            accounts.region[account]
        ],
        "country": accounts.country[account],
        "owner_csm_id": roster.ids[owner],
        "touch_tier_override": accounts.touch_override[account],
        "created_at": accounts.created_ts[account],
        "updated_at": ts,
    }
    return immutable(entity("accounts"), base, account, timeline.horizon_ts)


def contacts_log(
    seed: int, contacts: Contacts, accounts: Accounts, health: Health, timeline: Timeline
) -> EntityLog:
    """Contacts, with a new version when a champion stops championing after a setback."""
    rng = stream(seed, "champion_loss")
    loss = np.full(contacts.n, NULL_TS, dtype=np.int64)
    champions = np.flatnonzero(contacts.is_champion)
    shocks = health.negative_shock[contacts.account[champions]]
    first_shock = np.where(shocks.any(axis=1), shocks.argmax(axis=1), -1)
    lose = (first_shock >= 0) & (rng.random(len(champions)) < params.CHAMPION_LOSS_ON_SHOCK)
    month_start = timeline.month_starts[np.maximum(first_shock, 0)]
    when = month_start + rng.integers(1, 27, len(champions)) * DAY + 14 * HOUR
    when = np.maximum(when, contacts.created_ts[champions] + DAY)
    loss[champions[lose]] = when[lose]
    base = {
        "contact_id": contacts.ids,
        "account_id": accounts.ids[contacts.account],
        "first_name": contacts.first_name,
        "last_name": contacts.last_name,
        "email": contacts.email,
        "title": contacts.title,
        "is_executive": contacts.is_executive,
        "is_decision_maker": contacts.is_decision_maker,
        "is_champion": contacts.is_champion,
        "reports_to_contact_id": np.where(
            contacts.reports_to >= 0, contacts.ids[np.maximum(contacts.reports_to, 0)], None
        ),
        "created_at": contacts.created_ts,
    }
    stages = [Stage(contacts.created_ts), Stage(loss, {"is_champion": False})]
    return expand(entity("contacts"), base, np.arange(contacts.n), stages, timeline.horizon_ts)


# ------------------------------------------------------------------------------------ billing
class BillingTables:
    """Billing entities from the billing walk, with identifiers in creation order."""

    def __init__(
        self,
        seed: int,
        timeline: Timeline,
        accounts: Accounts,
        contacts: Contacts,
        arrays: EpisodeArrays,
        log: BillingLog,
        catalogue: Catalogue,
    ) -> None:
        self.seed = seed
        self.catalogue = catalogue
        self.timeline = timeline
        self.accounts = accounts
        self.contacts = contacts
        self.arrays = arrays
        self.log = log
        self.subscription_ids = format_ids("sub", np.arange(1, arrays.n + 1), 7)
        # One billing customer per account with a subscription, created with the first one.
        first = {}
        for e in range(arrays.n):
            first.setdefault(int(arrays.account[e]), e)
        self.customer_accounts = np.array(
            sorted(first, key=lambda a: (arrays.created[first[a]], a)), dtype=np.int64
        )
        self.customer_created = (
            np.array([arrays.created[first[a]] for a in self.customer_accounts], dtype=np.int64)
            - 60
        )
        self.customer_of_account = np.full(accounts.n, -1, dtype=np.int64)
        self.customer_of_account[self.customer_accounts] = np.arange(len(self.customer_accounts))
        self.customer_ids = format_ids("cus", np.arange(1, len(self.customer_accounts) + 1), 6)

    def customers(self) -> EntityLog:
        rng = stream(self.seed, "customers")
        accounts, n = self.accounts, len(self.customer_accounts)
        a = self.customer_accounts
        style = rng.integers(0, 3, n)
        domain = accounts.domain[a]
        decision_maker = self.contacts.email[self.contacts.first_of_account[a]]
        email = np.where(
            style == 0,
            np.char.add("billing@", domain.astype(str)).astype(object),
            np.where(
                style == 1,
                np.char.add("accounts.payable@", domain.astype(str)).astype(object),
                decision_maker,
            ),
        ).astype(object)
        changed = rng.random(n) < params.BILLING_EMAIL_CHANGE_PROB
        change_ts = np.where(
            changed, self.customer_created + rng.integers(60, 700, n) * DAY, NULL_TS
        )
        base = {
            "billing_customer_id": self.customer_ids,
            "account_id": accounts.ids[a],
            "billing_email": email,
            "billing_country": accounts.billing_country[a],
            "currency": self.log.account_currency[a],
            "created_at": self.customer_created,
        }
        new_email = np.char.add("finance@", domain.astype(str)).astype(object)
        stages = [Stage(self.customer_created), Stage(change_ts, {"billing_email": new_email})]
        return expand(entity("customers"), base, np.arange(n), stages, self.timeline.horizon_ts)

    def subscriptions(self) -> EntityLog:
        rows = self.log.subscription_versions
        ep = self.arrays
        e = np.array([r[0] for r in rows], dtype=np.int64)
        base = {
            "subscription_id": self.subscription_ids[e],
            "billing_customer_id": self.customer_ids[self.customer_of_account[ep.account[e]]],
            "status": np.array([r[2] for r in rows], dtype=object),
            "billing_interval": np.array([INTERVALS[i][0] for i in ep.interval[e]], dtype=object),
            "interval_count": np.array([INTERVALS[i][1] for i in ep.interval[e]], dtype=np.int64),
            "trial_started_at": ep.trial_start[e],
            "trial_ended_at": ep.trial_end[e],
            "started_at": ep.paid_start[e],
            "current_term_started_at": _ts([r[3] for r in rows]),
            "current_term_ends_at": _ts([r[4] for r in rows]),
            "canceled_at": _ts([r[5] for r in rows]),
            "ended_at": _ts([r[6] for r in rows]),
            "paused_at": _ts([r[8] for r in rows]),
            "resumes_at": _ts([r[9] for r in rows]),
            "is_auto_renew": np.array([r[7] for r in rows], dtype=bool),
            "created_at": ep.created[e],
            "updated_at": _ts([r[1] for r in rows]),
        }
        return immutable(entity("subscriptions"), base, e, self.timeline.horizon_ts)

    def item_versions(self) -> EntityLog:
        rows = self.log.item_versions
        n = len(rows)
        item = np.array([r[0] for r in rows], dtype=np.int64)
        item_episode = np.array([i[0] for i in self.log.items], dtype=np.int64)
        plan = np.array([r[1] for r in rows], dtype=np.int64)
        plans = self.catalogue.plans
        plan_ids = np.array([p.plan_id for p in plans], dtype=object)
        currency = np.array([p.currency for p in plans], dtype=object)[plan]
        minor = np.array([minor_per_unit(p.currency) for p in plans], dtype=np.float64)[plan]
        discount = np.array([r[4] for r in rows], dtype=np.float64)
        amount = np.array([r[10] for r in rows], dtype=np.float64) / minor
        duration = np.array([r[11] for r in rows], dtype=object)
        discount_end = _ts([r[5] for r in rows])
        discounted = (discount > 0) | (amount > 0)
        base = {
            "item_version_id": format_ids("siv", np.arange(1, n + 1), 8),
            "subscription_item_id": format_ids("si", item + 1, 7),
            "subscription_id": self.subscription_ids[item_episode[item]],
            "plan_id": plan_ids[plan],
            "seats": np.array([r[2] for r in rows], dtype=np.int64),
            "unit_price": np.array([r[3] for r in rows], dtype=np.float64) / minor,
            "currency": currency,
            "discount_percent": np.where(discount > 0, discount, np.nan),
            "discount_amount": np.where(amount > 0, amount, np.nan),
            "discount_duration": np.where(discounted, duration, None),
            "discount_ends_at": np.where(discounted, discount_end, NULL_TS),
            "change_reason": np.array([r[6] for r in rows], dtype=object),
            "valid_from": _ts([r[7] for r in rows]),
            "valid_to": _ts([r[9] for r in rows]),
        }
        created = _ts([r[8] for r in rows])
        stages = [Stage(created, clear=("valid_to",)), Stage(base["valid_to"])]
        key = np.arange(n)
        return expand(
            entity("subscription_item_versions"), base, key, stages, self.timeline.horizon_ts
        )

    def invoices(self) -> tuple[EntityLog, np.ndarray]:
        rows = self.log.invoices
        n = len(rows)
        e = np.array([r[0] for r in rows], dtype=np.int64)
        issued = _ts([r[1] for r in rows])
        order = np.lexsort((np.arange(n), issued))
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        ids = format_ids("inv", position + 1, 8)
        currency = self.log.account_currency[self.arrays.account[e]]
        minor = np.array([minor_per_unit(c) for c in currency], dtype=np.float64)
        subtotal = _ts([r[4] for r in rows]) / minor
        discount = _ts([r[5] for r in rows]) / minor
        tax = _ts([r[6] for r in rows]) / minor
        total = subtotal - discount + tax
        outcome = np.array([r[7] for r in rows], dtype=object)
        outcome_ts = _ts([r[8] for r in rows])
        paid = outcome == "paid"
        base = {
            "invoice_id": ids,
            "billing_customer_id": self.customer_ids[
                self.customer_of_account[self.arrays.account[e]]
            ],
            "subscription_id": self.subscription_ids[e],
            "issued_at": issued,
            "period_start_date": ts_days(_ts([r[2] for r in rows])),
            "period_end_date": ts_days(_ts([r[3] for r in rows]) - DAY),
            "subtotal": subtotal,
            "discount_amount": discount,
            "tax_amount": tax,
            "total": total,
            "amount_paid": np.zeros(n),
            "currency": currency,
            "status": np.full(n, "open", dtype=object),
            "paid_at": np.where(paid, outcome_ts, NULL_TS),
        }
        stages = [
            Stage(issued, {"status": "open", "amount_paid": 0.0}, ("paid_at",)),
            Stage(outcome_ts, {"status": outcome, "amount_paid": np.where(paid, total, 0.0)}),
        ]
        log = expand(entity("invoices"), base, position, stages, self.timeline.horizon_ts)
        return log, ids

    def invoice_lines(self, invoice_ids: np.ndarray) -> EntityLog:
        rows = self.log.lines
        n = len(rows)
        invoice = np.array([r[0] for r in rows], dtype=np.int64)
        issued = _ts([self.log.invoices[i][1] for i in invoice])
        order = np.lexsort((np.arange(n), issued))
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        plan = np.array([r[2] for r in rows], dtype=np.int64)
        item = np.array([r[3] for r in rows], dtype=np.int64)
        seats = np.array([r[5] for r in rows], dtype=np.int64)
        episode = np.array([self.log.invoices[i][0] for i in invoice], dtype=np.int64)
        currency = self.log.account_currency[self.arrays.account[episode]]
        minor = np.array([minor_per_unit(c) for c in currency], dtype=np.float64)
        plan_ids = np.array([p.plan_id for p in self.catalogue.plans], dtype=object)
        base = {
            "invoice_line_id": format_ids("inl", position + 1, 9),
            "invoice_id": invoice_ids[invoice],
            "line_type": np.array([r[1] for r in rows], dtype=object),
            "plan_id": np.where(plan >= 0, plan_ids[np.maximum(plan, 0)], None),
            "subscription_item_id": np.where(item >= 0, format_ids("si", item + 1, 7), None),
            "description": np.array([r[4] for r in rows], dtype=object),
            "seats": np.where(seats >= 0, seats, NULL_INT),
            "amount": np.array([r[6] for r in rows], dtype=np.float64) / minor,
            "period_start_date": ts_days(_ts([r[7] for r in rows])),
            "period_end_date": ts_days(_ts([r[8] for r in rows]) - DAY),
            "updated_at": issued,
        }
        return immutable(entity("invoice_lines"), base, position, self.timeline.horizon_ts)
