"""The vendor's catalogue: products, price plans (with a list-price increase and retired plans)
and product features (some released during the window)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cswh.contracts import PLAN_TIERS
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
# Billing intervals the simulation sells (a subset of the contract's); Plan.interval indexes it.
BILLING_INTERVALS = ("month", "quarter", "year")
# Price per seat for one interval = monthly price * factor.
INTERVAL_PRICE_FACTOR = (1.0, 3 * 0.95, 12 * 0.85)
INTERVAL_LABEL = ("monthly", "quarterly", "annual")
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
    interval: int  # index into BILLING_INTERVALS
    price_cents: int
    increased_price_cents: int  # equals price_cents when the plan never changed price
    legacy: bool
    retire_month: int  # -1 when still sold

    @property
    def name(self) -> str:
        product = PRODUCT_NAMES[self.product]
        label = INTERVAL_LABEL[self.interval]
        if self.legacy:
            return f"{product} {'Team' if self.product == PLATFORM else 'Classic'} ({label})"
        if self.tier >= 0:
            return f"{product} {PLAN_TIERS[self.tier].title()} ({label})"
        return f"{product} add-on ({label})"


def _cents(monthly: float, interval: int) -> int:
    return round(monthly * INTERVAL_PRICE_FACTOR[interval] * 100)


def build_plans() -> list[Plan]:
    plans: list[Plan] = []
    for tier, tier_name in enumerate(PLAN_TIERS):
        for interval, interval_name in enumerate(BILLING_INTERVALS):
            plans.append(
                Plan(
                    f"plan_platform_{tier_name}_{interval_name}",
                    PLATFORM,
                    tier,
                    interval,
                    _cents(PLATFORM_MONTHLY_PRICE[tier], interval),
                    _cents(PLATFORM_MONTHLY_PRICE_AFTER_INCREASE[tier], interval),
                    False,
                    -1,
                )
            )
    for product in ADDONS:
        for interval, interval_name in enumerate(BILLING_INTERVALS):
            price = _cents(ADDON_MONTHLY_PRICE[product], interval)
            plans.append(
                Plan(
                    f"plan_{PRODUCTS[product]}_{interval_name}",
                    product,
                    -1,
                    interval,
                    price,
                    price,
                    False,
                    -1,
                )
            )
    # Retired plans still carried by early subscriptions.
    plans.append(Plan("plan_platform_team_legacy_month", PLATFORM, 1, 0, 3900, 3900, True, 8))
    plans.append(Plan("plan_analytics_classic_legacy_year", 1, -1, 2, 7000, 7000, True, 12))
    return plans


class Catalogue:
    """Plans and features with the lookups the simulation needs."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.plans = build_plans()
        self.plan_index = {plan.plan_id: i for i, plan in enumerate(self.plans)}
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

    def current_plan(self, product: int, tier: int, interval: int) -> int:
        """Index of the plan currently sold for a product, tier (platform only) and interval."""
        if product == PLATFORM:
            return tier * 3 + interval
        return 9 + (product - 1) * 3 + interval

    def legacy_plan(self, product: int, tier: int, interval: int, ts: int) -> int:
        """Index of a retired plan matching the choice and still sold at ``ts``, or -1."""
        for index, plan in enumerate(self.plans):
            if not plan.legacy or plan.product != product or plan.interval != interval:
                continue
            if product == PLATFORM and plan.tier != tier:
                continue
            if ts < self.retire_ts(plan):
                return index
        return -1

    def retire_ts(self, plan: Plan) -> int:
        if plan.retire_month < 0:
            return np.iinfo(np.int64).max
        return int(self.timeline.month_starts[plan.retire_month])

    def list_price(self, plan_index: int, ts: int) -> int:
        """List price in cents per seat per interval at an instant."""
        plan = self.plans[plan_index]
        return plan.increased_price_cents if ts >= self.price_increase_ts else plan.price_cents
