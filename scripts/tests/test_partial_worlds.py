"""Partial worlds: every source system is optional, and `cswh run` still publishes.

Each test runs the real `cswh run` (load, dbt build with every test, freshness, the Great
Expectations mart checks, publish) on a landing folder missing whole sources or holding a world
of a few accounts, and checks that the finance marts have rows, the marts of a missing source are
empty, and the run's summary says why.

Slow (dbt builds in a subprocess): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from extract_files import csv_bytes, good_row, query, write

from cswh.contracts import ENTITIES, entity
from cswh.generate import generate_landing

pytestmark = pytest.mark.dbt

REPO_ROOT = Path(__file__).resolve().parents[2]
FINANCE_MARTS = ("dim_accounts", "fct_account_mrr_monthly", "rpt_mrr_waterfall")
ESCALATION_MARTS = ("fct_escalations", "rpt_escalation_kpis", "rpt_escalation_follow_through")


def cswh_run(landing: Path, work: Path) -> subprocess.CompletedProcess:
    env = os.environ | {
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    return subprocess.run(
        [
            *(sys.executable, "-m", "cswh.cli", "run"),
            *("--landing", str(landing), "--warehouse", str(work / "warehouse" / "cs.duckdb")),
            "--no-export",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO_ROOT,
    )


def published(work: Path, completed: subprocess.CompletedProcess) -> Path:
    output = completed.stdout[-6000:] + completed.stderr[-4000:]
    assert completed.returncode == 0, output
    return work / "warehouse" / "cs.duckdb"


def rows(warehouse: Path, mart: str) -> int:
    return query(warehouse, f"select count(*) from marts.{mart}")[0][0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("sample") / "landing"
    generate_landing(landing, scale=0.02, seed=7)
    return landing


def partial_copy(sample: Path, work: Path, keep: dict[str, set[str] | None]) -> Path:
    """A copy of the sample with only the sources (and, when given, entities) in ``keep``."""
    landing = work / "landing"
    shutil.copytree(sample, landing)
    for source_dir in landing.iterdir():
        if not source_dir.is_dir():
            continue
        if source_dir.name not in keep:
            shutil.rmtree(source_dir)
            continue
        entities = keep[source_dir.name]
        for entity_dir in source_dir.iterdir():
            if entities is not None and entity_dir.name not in entities:
                shutil.rmtree(entity_dir)
    return landing


def test_billing_and_crm_accounts_alone_publish_the_finance_marts(sample, tmp_path):
    landing = partial_copy(sample, tmp_path, {"billing": None, "crm": {"accounts"}})
    completed = cswh_run(landing, tmp_path)
    warehouse = published(tmp_path, completed)
    for mart in FINANCE_MARTS:
        assert rows(warehouse, mart) > 0, mart
    for mart in (*ESCALATION_MARTS, "fct_account_health_weekly", "rpt_health_backtest_summary"):
        assert rows(warehouse, mart) == 0, mart
    # No fake signals: without activities, usage or tickets nothing is scored.
    assert query(
        warehouse,
        "select count(seat_utilization) + count(tickets_30d) + count(high_value_engagements_30d)"
        " from marts.fct_account_indicators_weekly",
    ) == [(0,)]
    summary = completed.stdout
    assert "billing: all 7 tables delivered" in summary
    assert "crm: 1 of 9 tables delivered" in summary
    assert "support_desk: not delivered" in summary
    assert "product_usage: not delivered" in summary
    assert "escalations marts empty (" in summary
    assert "no support_desk extracts delivered" in summary


def test_every_source_but_product_usage_publishes(sample, tmp_path):
    landing = partial_copy(sample, tmp_path, {"billing": None, "crm": None, "support_desk": None})
    completed = cswh_run(landing, tmp_path)
    warehouse = published(tmp_path, completed)
    for mart in (*FINANCE_MARTS, "fct_escalations", "fct_account_health_weekly"):
        assert rows(warehouse, mart) > 0, mart
    # Usage is unknown, not zero: the utilization component is left out of the score.
    assert query(
        warehouse,
        "select count(seat_utilization), count(events_last_4_weeks)"
        " from marts.fct_account_indicators_weekly",
    ) == [(0, 0)]
    assert query(
        warehouse, "select count(utilization_score) from marts.fct_account_health_weekly"
    ) == [(0,)]
    assert "product_usage: not delivered" in completed.stdout


# --- a hand-made world of six accounts ----------------------------------------------------------

MONTH_STARTS = ("2025-01-01", "2025-03-01", "2025-05-01", "2025-08-01", "2025-11-01", "2026-02-01")
# Account 5 churns at the end of March 2026, account 6 at the end of September 2026.
ENDED = {5: "2026-03-31T00:00:00Z", 6: "2026-09-30T00:00:00Z"}
UPDATED = "2026-10-30T12:00:00Z"


def _timestamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def tiny_world(landing: Path) -> None:
    """Six accounts with monthly subscriptions, one CSM, a few tickets, escalations and days of
    usage; every other entity delivered as a header-only file (invoices included)."""
    files: dict[str, list[dict[str, str]]] = {entity.name: [] for entity in ENTITIES}
    files["csms"].append(
        {"csm_id": "csm_1", "full_name": "Ada CSM", "team": "commercial", "role": "csm",
         "hired_date": "2024-01-01", "is_active": "true", "updated_at": UPDATED}
    )  # fmt: skip
    files["plans"].append(
        {"plan_id": "plan_1", "product_id": "prod_1", "product_name": "Core", "plan_name": "Growth",
         "plan_tier": "growth", "product_kind": "core", "billing_interval": "month",
         "list_price": "50.00", "is_active": "true", "updated_at": UPDATED}
    )  # fmt: skip
    files["features"].append(
        {"feature_id": "feat_1", "product_id": "prod_1", "feature_name": "Reports",
         "included_from_tier": "starter", "is_core_value_feature": "true",
         "released_date": "2024-01-01", "updated_at": UPDATED}
    )  # fmt: skip
    for number, start in enumerate(MONTH_STARTS, start=1):
        account, customer, subscription = f"acc_{number}", f"cus_{number}", f"sub_{number}"
        started, ended = _timestamp(start), ENDED.get(number, "")
        files["accounts"].append(
            {"account_id": account, "account_name": f"Company {number}", "industry": "software",
             "employee_count": "40", "region": "emea", "country": "DE", "owner_csm_id": "csm_1",
             "created_at": started, "updated_at": UPDATED}
        )  # fmt: skip
        files["customers"].append(
            {"billing_customer_id": customer, "account_id": account, "billing_country": "DE",
             "created_at": started, "updated_at": UPDATED}
        )  # fmt: skip
        files["subscriptions"].append(
            {"subscription_id": subscription, "billing_customer_id": customer,
             "status": "ended" if ended else "active", "billing_interval": "month",
             "started_at": started, "ended_at": ended, "canceled_at": ended,
             "is_auto_renew": "false" if ended else "true", "created_at": started,
             "updated_at": UPDATED}
        )  # fmt: skip
        item = {"subscription_item_id": f"item_{number}", "subscription_id": subscription,
                "plan_id": "plan_1", "updated_at": UPDATED}  # fmt: skip
        files["subscription_item_versions"].append(
            item | {"item_version_id": f"iv_{number}_1", "seats": str(2 * number),
                    "unit_price": "50.00", "change_reason": "new", "valid_from": started,
                    "valid_to": ended}
        )  # fmt: skip
        if ended:
            files["subscription_item_versions"].append(
                item | {"item_version_id": f"iv_{number}_2", "seats": "0", "unit_price": "50.00",
                        "change_reason": "removed", "valid_from": ended, "valid_to": ended}
            )  # fmt: skip
        files["tickets"].append(
            {"ticket_id": f"t_{number}", "account_id": account,
             "created_at": "2026-01-15T10:00:00Z", "status": "solved", "priority": "normal",
             "channel": "email", "category": "how_to",
             "solved_at": "2026-01-16T10:00:00Z", "updated_at": UPDATED}
        )  # fmt: skip
        for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
            if not ended:
                files["daily_feature_usage"].append(
                    {"usage_date": day, "account_id": account, "feature_id": "feat_1",
                     "active_users": str(number), "event_count": "30", "updated_at": UPDATED}
                )  # fmt: skip
    files["escalations"] += [
        {"escalation_id": "esc_1", "ticket_id": "t_5", "account_id": "acc_5",
         "escalated_at": "2026-01-16T09:00:00Z", "escalation_type": "trouble",
         "reason": "product_defect", "severity": "high", "updated_at": UPDATED},
        {"escalation_id": "esc_2", "ticket_id": "t_1", "account_id": "acc_1",
         "escalated_at": "2026-01-16T09:00:00Z", "escalation_type": "opportunity",
         "reason": "seat_expansion", "severity": "low", "updated_at": UPDATED},
    ]  # fmt: skip
    for name, values in files.items():
        contract = entity(name)
        content = csv_bytes(contract, [good_row(contract, **row) for row in values])
        write(landing, name, f"{name}.csv", content)


def test_a_world_of_six_accounts_publishes(tmp_path):
    landing = tmp_path / "landing"
    tiny_world(landing)
    completed = cswh_run(landing, tmp_path)
    warehouse = published(tmp_path, completed)
    assert rows(warehouse, "dim_accounts") == 6
    # Five paying at the end of August; account 6 churns in September.
    assert query(
        warehouse,
        "select opening_customers, churned_customers from marts.rpt_churn_retention_monthly"
        " where month_start_date = date '2026-09-01'",
    ) == [(5, 1)]
    assert rows(warehouse, "fct_escalations") == 2
    summary = completed.stdout
    assert (
        "billing: 4 of 7 tables delivered; header-only: invoices, invoice_lines, exchange_rates"
        in summary
    )
    # A world billed only in the reporting currency needs no exchange rates: never a reason.
    assert "no billing exchange_rates delivered" not in summary
    assert "product_usage: all 2 tables delivered" in summary
    # The statistical gates are below their minimum sample: they may warn, never fail.
    assert rows(warehouse, "rpt_escalation_follow_through") == 3
