"""Build the whole simulated world once: every entity's version log over the history window and
the horizon after it, plus the usage model that renders daily usage month by month."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from cswh.contracts import ENTITIES
from cswh.generate import tables
from cswh.generate.billing import simulate_billing
from cswh.generate.catalogue import Catalogue
from cswh.generate.engagement import simulate_activities
from cswh.generate.fx import exchange_rates_log
from cswh.generate.lifecycle import simulate_lifecycles
from cswh.generate.population import (
    build_accounts,
    build_contacts,
    build_roster,
    simulate_health,
)
from cswh.generate.sentiment import sentiment_pulses, survey_responses
from cswh.generate.state import StatePoints, episode_arrays, service_months
from cswh.generate.success import onboarding_projects, opportunities, success_plan_goals
from cswh.generate.support import simulate_support
from cswh.generate.timeline import NULL_TS, Timeline
from cswh.generate.usage import UsageModel
from cswh.generate.versions import EntityLog

Progress = Callable[[str, int, int], None]

SIMULATION_STEPS = (
    "accounts",
    "lifecycles",
    "billing",
    "support",
    "engagement",
    "success",
    "reference",
)


@dataclass
class World:
    seed: int
    scale: float
    timeline: Timeline
    logs: dict[str, EntityLog]  # every entity except daily_feature_usage
    usage: UsageModel


def build_world(seed: int, scale: float, end: date, progress: Progress | None = None) -> World:
    """Simulate everything, deterministically from (seed, scale, end)."""

    def step(name: str) -> None:
        if progress is not None:
            progress("simulate", SIMULATION_STEPS.index(name) + 1, len(SIMULATION_STEPS))

    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    timeline = Timeline.for_end(end)
    catalogue = Catalogue(timeline)
    accounts = build_accounts(seed, timeline, scale)
    health = simulate_health(seed, timeline, accounts)
    roster = build_roster(seed, timeline, accounts)
    contacts = build_contacts(seed, accounts)
    step("accounts")
    episodes = simulate_lifecycles(seed, timeline, accounts, health)
    step("lifecycles")
    billing = simulate_billing(seed, timeline, accounts, health, catalogue, episodes)
    arrays = episode_arrays(episodes, timeline)
    points = StatePoints.from_log(billing)
    months = service_months(timeline, arrays, health, points)
    step("billing")
    logs: dict[str, EntityLog] = {}
    logs.update(
        simulate_support(
            seed, timeline, accounts, contacts, health, arrays, months, billing.expansions
        )
    )
    step("support")
    logs["activities"] = simulate_activities(
        seed, timeline, accounts, contacts, roster, arrays, months
    )
    step("engagement")
    onboarding, outcome = onboarding_projects(seed, timeline, accounts, health, roster, episodes)
    logs["onboarding_projects"] = onboarding
    logs["success_plan_goals"] = success_plan_goals(
        seed, timeline, accounts, health, arrays, outcome
    )
    logs["survey_responses"] = survey_responses(
        seed, timeline, accounts, contacts, health, arrays, months, outcome, billing.expansions
    )
    logs["csm_sentiment_pulses"] = sentiment_pulses(
        seed, timeline, accounts, health, roster, months
    )
    logs["opportunities"] = opportunities(
        seed, timeline, accounts, roster, arrays, billing, points, logs["escalations"], months
    )
    step("success")
    billing_tables = tables.BillingTables(
        seed, timeline, accounts, contacts, arrays, billing, catalogue
    )
    logs["customers"] = billing_tables.customers()
    logs["plans"] = tables.plans_log(catalogue, timeline)
    logs["subscriptions"] = billing_tables.subscriptions()
    logs["subscription_item_versions"] = billing_tables.item_versions()
    logs["invoices"], invoice_ids = billing_tables.invoices()
    logs["invoice_lines"] = billing_tables.invoice_lines(invoice_ids)
    logs["accounts"] = tables.accounts_log(seed, accounts, roster, timeline)
    logs["contacts"] = tables.contacts_log(seed, contacts, accounts, health, timeline)
    logs["csms"] = tables.csms_log(roster, timeline)
    logs["features"] = tables.features_log(catalogue, timeline)
    logs["exchange_rates"] = exchange_rates_log(seed, timeline)
    failed = np.array(
        [e.onboarding is not None and e.onboarding.go_live_ts == NULL_TS for e in episodes],
        dtype=bool,
    )
    usage = UsageModel(seed, timeline, accounts, catalogue, health, arrays, points, failed)
    step("reference")
    missing = [e.name for e in ENTITIES if e.name not in logs and e.name != "daily_feature_usage"]
    if missing:
        raise AssertionError(f"entities without a generator: {missing}")
    return World(seed, scale, timeline, logs, usage)
