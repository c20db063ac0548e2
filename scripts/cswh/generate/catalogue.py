"""The vendor's catalogue: products, price plans (with a list-price increase and retired plans)
and product features (some released during the window)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cswh.contracts import CURRENCY_MINOR_UNITS, PLAN_TIERS
from cswh.generate import params
from cswh.generate.timeline import DAY, Timeline

# Products (the core platform and three add-ons) and monthly list prices per seat: by tier for
# the platform (before and after the list-price increase), flat for add-ons.
PRODUCTS = ("platform", "analytics", "automation", "integrations")
PRODUCT_NAMES = ("Platform", "Analytics", "Automation", "Integrations")
PLATFORM = 0
ADDONS = (1, 2, 3)
PLATFORM_MONTHLY_PRICE = (20.0, 45.0, 80.0)
PLATFORM_MONTHLY_PRICE_AFTER_INCREASE = (22.0, 49.0, 80.0)
ADDON_MONTHLY_PRICE = {1: 8.0, 2: 12.0, 3: 6.0}
# Billing periods the simulation sells, as (contract billing_interval, interval_count);
# Plan.interval and Episode.interval index it (params.INTERVAL_MONTHS / INTERVAL_WEEKS beside).
INTERVALS = (("month", 1), ("quarter", 1), ("year", 1), ("month", 6), ("week", 1), ("week", 2))
# Price per seat for one billing period = monthly price * factor (longer commitments cheaper per
# month, weekly billing a little dearer).
INTERVAL_PRICE_FACTOR = (1.0, 3 * 0.95, 12 * 0.85, 6 * 0.90, 12 / 52 * 1.05, 24 / 52 * 1.05)
INTERVAL_LABEL = ("monthly", "quarterly", "annual", "semi-annual", "weekly", "every two weeks")
# Currencies with a price book (params.PRICE_BOOK); USD first, its plan ids have no suffix.
CURRENCIES = tuple(params.PRICE_BOOK)
# The catalogue existed this many days before the window opened.
CATALOGUE_AGE_DAYS = 400

# (feature key, display name, product, included from tier, core value, reach, events per user,
#  released: month of the window, or None for before the window)
FEATURES = (
    ("dashboards", "Dashboards", 0, 0, True, 0.70, 12.0, None),
    ("workflows", "Workflows", 0, 0, True, 0.50, 8.0, None),
    ("reports", "Reports", 0, 0, False, 0.35, 5.0, None),
    ("collaboration", "Team collaboration", 0, 0, True, 0.45, 10.0, None),
    ("mobile_app", "Mobile app", 0, 0, False, 0.25, 6.0, 9),
    ("scheduled_exports", "Scheduled exports", 0, 1, False, 0.15, 3.0, None),
    ("forecasting", "Forecasting", 0, 1, True, 0.30, 6.0, 21),
    ("sso", "Single sign-on and permissions", 0, 2, False, 0.55, 1.5, None),
    ("audit_log", "Audit log", 0, 2, False, 0.06, 2.0, None),
    ("custom_metrics", "Custom metrics", 1, 0, False, 0.30, 6.0, None),
    ("cohort_explorer", "Cohort explorer", 1, 0, False, 0.20, 4.0, None),
    ("warehouse_sync", "Warehouse sync", 1, 0, False, 0.10, 2.0, 30),
    ("triggers", "Triggers", 2, 0, False, 0.30, 15.0, None),
    ("playbooks", "Playbooks", 2, 0, False, 0.20, 5.0, None),
    ("bulk_actions", "Bulk actions", 2, 0, False, 0.15, 3.0, None),
    ("crm_sync", "CRM sync", 3, 0, False, 0.35, 20.0, None),
    ("webhooks", "Webhooks", 3, 0, False, 0.15, 30.0, None),
    ("api_access", "API access", 3, 0, False, 0.20, 40.0, None),
)


@dataclass(frozen=True)
class Plan:
    plan_id: str
    product: int
    tier: int  # -1 for add-ons
    interval: int  # index into INTERVALS
    currency: str
    price_minor: int  # list price per seat per billing period, in minor units of the currency
    increased_price_minor: int  # equals price_minor when the plan never changed price
    legacy: bool
    retire_month: int  # -1 when still sold

    @property
    def name(self) -> str:
        product = PRODUCT_NAMES[self.product]
        label = INTERVAL_LABEL[self.interval]
        if self.currency != "USD":
            label = f"{label}, {self.currency}"
        if self.legacy:
            return f"{product} {'Team' if self.product == PLATFORM else 'Classic'} ({label})"
        if self.tier >= 0:
            return f"{product} {PLAN_TIERS[self.tier].title()} ({label})"
        return f"{product} add-on ({label})"


def minor_per_unit(currency: str) -> int:
    """Minor units in one major unit: 100 for cents, 1 for yen."""
    return 10 ** CURRENCY_MINOR_UNITS[currency]


def local_amount(usd: float, currency: str) -> int:
    """A USD amount in the currency's price book, in minor units: exact cents for USD, whole
    local units elsewhere (whole tens of yen)."""
    if currency == "USD":
        return round(usd * 100)
    local = usd * params.PRICE_BOOK[currency]
    step = 10 if currency == "JPY" else 1
    return max(step, round(local / step) * step) * minor_per_unit(currency)


def usd_cents(minor: float, currency: str) -> float:
    """An amount in minor units of a currency as US cents at the price-book factor."""
    return minor / minor_per_unit(currency) * 100 / params.PRICE_BOOK[currency]


def round_whole(minor: float, currency: str) -> int:
    """An amount in minor units rounded to whole local units (tens of yen), at least one."""
    step = minor_per_unit(currency) * (10 if currency == "JPY" else 1)
    return int(max(step, round(minor / step) * step))


def local_fee(usd_cents: int, currency: str) -> int:
    """A services fee quoted in USD cents, in the local price book in hundreds of local units
    (ten thousands of yen), in minor units."""
    if currency == "USD":
        return usd_cents
    step = 100 * minor_per_unit(currency) * (100 if currency == "JPY" else 1)
    local = usd_cents / 100 * params.PRICE_BOOK[currency] * minor_per_unit(currency)
    return int(max(step, round(local / step) * step))


def _price(monthly: float, interval: int, currency: str) -> int:
    return local_amount(monthly * INTERVAL_PRICE_FACTOR[interval], currency)


def _plan_id(base: str, currency: str) -> str:
    return base if currency == "USD" else f"{base}_{currency.lower()}"


def build_plans() -> list[Plan]:
    plans: list[Plan] = []
    for currency in CURRENCIES:
        for tier, tier_name in enumerate(PLAN_TIERS):
            for interval, (unit, count) in enumerate(INTERVALS):
                name = f"{unit}{count}" if count > 1 else unit
                plans.append(
                    Plan(
                        _plan_id(f"plan_platform_{tier_name}_{name}", currency),
                        PLATFORM,
                        tier,
                        interval,
                        currency,
                        _price(PLATFORM_MONTHLY_PRICE[tier], interval, currency),
                        _price(PLATFORM_MONTHLY_PRICE_AFTER_INCREASE[tier], interval, currency),
                        False,
                        -1,
                    )
                )
        for product in ADDONS:
            for interval, (unit, count) in enumerate(INTERVALS):
                name = f"{unit}{count}" if count > 1 else unit
                price = _price(ADDON_MONTHLY_PRICE[product], interval, currency)
                plans.append(
                    Plan(
                        _plan_id(f"plan_{PRODUCTS[product]}_{name}", currency),
                        product,
                        -1,
                        interval,
                        currency,
                        price,
                        price,
                        False,
                        -1,
                    )
                )
        # Retired plans still carried by early subscriptions.
        team = local_amount(39.0, currency)
        classic = local_amount(70.0, currency)
        plans.append(
            Plan(
                _plan_id("plan_platform_team_legacy_month", currency),
                PLATFORM, 1, 0, currency, team, team, True, 8,
            )
        )  # fmt: skip
        plans.append(
            Plan(
                _plan_id("plan_analytics_classic_legacy_year", currency),
                1, -1, 2, currency, classic, classic, True, 12,
            )
        )  # fmt: skip
    return plans


class Catalogue:
    """Plans and features with the lookups the simulation needs."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.plans = build_plans()
        self.plan_index = {plan.plan_id: i for i, plan in enumerate(self.plans)}
        self._current = {
            (plan.product, plan.tier, plan.interval, plan.currency): i
            for i, plan in enumerate(self.plans)
            if not plan.legacy
        }
        self.created_ts = timeline.start_ts - CATALOGUE_AGE_DAYS * DAY
        self.price_increase_ts = int(timeline.month_starts[params.PRICE_INCREASE_MONTH])
        self.features = FEATURES
        self.n_features = len(FEATURES)
        self.feature_product = np.array([f[2] for f in FEATURES], dtype=np.int8)
        self.feature_tier = np.array([f[3] for f in FEATURES], dtype=np.int8)
        self.feature_core = np.array([f[4] for f in FEATURES], dtype=bool)
        self.feature_reach = np.array([f[5] for f in FEATURES], dtype=np.float64)
        self.feature_events = np.array([f[6] for f in FEATURES], dtype=np.float64)
        released = []
        for i, feature in enumerate(FEATURES):
            if feature[7] is None:
                # Original features: released in the years before the window, spread out.
                released.append(self.created_ts - (i % 5) * 60 * DAY)
            else:
                released.append(int(timeline.month_starts[feature[7]]) + 9 * DAY)
        self.feature_released_ts = np.array(released, dtype=np.int64)

    def current_plan(self, product: int, tier: int, interval: int, currency: str) -> int:
        """Index of the plan currently sold for a product, tier (platform only), interval and
        currency."""
        return self._current[(product, tier if product == PLATFORM else -1, interval, currency)]

    def legacy_plan(self, product: int, tier: int, interval: int, currency: str, ts: int) -> int:
        """Index of a retired plan matching the choice and still sold at ``ts``, or -1."""
        for index, plan in enumerate(self.plans):
            if not plan.legacy or plan.product != product or plan.interval != interval:
                continue
            if plan.currency != currency or (product == PLATFORM and plan.tier != tier):
                continue
            if ts < self.retire_ts(plan):
                return index
        return -1

    def retire_ts(self, plan: Plan) -> int:
        if plan.retire_month < 0:
            return np.iinfo(np.int64).max
        return int(self.timeline.month_starts[plan.retire_month])

    def list_price(self, plan_index: int, ts: int) -> int:
        """List price in minor units of the plan currency per seat per period at an instant."""
        plan = self.plans[plan_index]
        return plan.increased_price_minor if ts >= self.price_increase_ts else plan.price_minor
