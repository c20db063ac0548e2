"""The MetricFlow semantic layer gives the marts' figures.

Runs the ``mf`` CLI (dbt-metricflow) against a small built warehouse, the way a user would, and
checks its answers against the marts: total MRR per month against fct_account_mrr_monthly and
rpt_mrr_waterfall, NRR/GRR and churn rates against rpt_churn_retention_monthly and, per touch tier,
plan tier and region (each account in its segment at the window's start), against
rpt_churn_retention_by_segment_monthly and a self-join of fct_account_mrr_monthly, escalations
against fct_escalations and health against fct_account_health_weekly.

``mf`` reads its semantic manifest from ``<project>/target/semantic_manifest.json`` and has no
option to look elsewhere, so the test runs it in a temporary project folder (dbt_project.yml
copied, the model, macro and seed folders linked) and nothing is written into the repository.

Environment:
- the shared sample warehouse (conftest.py's ``sample_copy``: CSWH_TEST_SAMPLE_WAREHOUSE, or one
  built for the session), copied first, because ``mf`` opens the file read-write.

Slow (about two minutes with its own warehouse): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# What a dbt project needs besides dbt_project.yml; linked, not copied, so the test reads the
# working tree's YAML and SQL.
PROJECT_FOLDERS = ("models", "macros", "seeds", "tests", "analyses", "snapshots")
# MetricFlow and the marts compute the same sums in a different order.
RELATIVE_TOLERANCE = 1e-9

pytestmark = pytest.mark.dbt


def _executable(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed in this environment")
    return found


@pytest.fixture(scope="module")
def warehouse(sample_copy: Path) -> Path:
    return sample_copy


@dataclass(frozen=True)
class MetricFlowProject:
    """A throw-away dbt project folder that ``mf`` can run in, pointed at a warehouse."""

    folder: Path
    env: dict[str, str]

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_executable("mf"), *arguments],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def query(self, metrics: Iterable[str], group_by: Iterable[str]) -> list[dict[str, str]]:
        """Rows of `mf query --csv`, as the CSV's strings by column name."""
        metric_list, group_by_list = ",".join(metrics), ",".join(group_by)
        output = self.folder / f"{metric_list}__{group_by_list}.csv".replace(",", "-")
        result = self.run(
            "query", "--metrics", metric_list, "--group-by", group_by_list, "--csv", str(output)
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        # mf writes no file for an empty result: no rows is a failure here, not an empty list.
        assert output.is_file(), f"mf query returned no rows:\n{result.stdout[-2000:]}"
        with output.open(newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def metricflow(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> MetricFlowProject:
    folder = tmp_path_factory.mktemp("semantic-project")
    shutil.copyfile(REPO_ROOT / "dbt_project.yml", folder / "dbt_project.yml")
    for name in PROJECT_FOLDERS:
        if (REPO_ROOT / name).exists():
            (folder / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    env = os.environ | {
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": str(warehouse),
        "CSWH_DUCKDB_TEMP_DIR": str(folder / "duckdb_tmp"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_PROJECT_DIR": str(folder),
        # mf reads target/semantic_manifest.json under the project folder: the default.
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    parsed = subprocess.run(
        [_executable("dbt"), "parse", "--no-partial-parse", "--no-use-colors"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stdout[-4000:] + parsed.stderr[-2000:]
    assert (folder / "target" / "semantic_manifest.json").is_file()
    return MetricFlowProject(folder=folder, env=env)


def _mart_rows(warehouse: Path, sql: str) -> list[dict[str, object]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _number(text: str) -> float | None:
    """A CSV cell as a number; mf writes an empty cell for null."""
    return None if text in ("", "None") else float(text)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _assert_same(mf_value: float | None, mart_value: object, label: str) -> None:
    if mart_value is None:
        assert mf_value is None, f"{label}: mf {mf_value}, mart empty"
        return
    assert mf_value is not None, f"{label}: mf empty, mart {mart_value}"
    assert math.isclose(mf_value, float(mart_value), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9), (
        f"{label}: mf {mf_value}, mart {mart_value}"
    )


def test_configs_validate_against_the_warehouse(metricflow: MetricFlowProject) -> None:
    result = metricflow.run("validate-configs")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Semantic, then warehouse checks (every dimension, entity, measure and metric queried).
    assert "Successfully validated metrics against data warehouse" in result.stdout
    assert "ERRORS: 0, FUTURE_ERRORS: 0" in result.stdout
    assert "ERRORS: 1" not in result.stdout


def test_nrr_by_touch_tier_counts_each_account_in_its_tier_a_year_before(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    """The README's query, checked against a self-join of the accounts' MRR now and twelve
    months before, each account in the touch tier it had twelve months before (not today's,
    which is tech touch for every churned account)."""
    rows = metricflow.query(["nrr"], ["metric_time__month", "account_retention__touch_tier"])
    expected = {
        (row["month_start_date"], row["touch_tier"]): row["nrr"]
        for row in _mart_rows(
            warehouse,
            """
            select
                current_month.month_start_date,
                tier_then.touch_tier,
                sum(current_month.mrr) / sum(year_before.mrr) as nrr
            from marts.fct_account_mrr_monthly as current_month
            inner join marts.fct_account_mrr_monthly as year_before
                on current_month.account_id = year_before.account_id
                and year_before.month_start_date
                = current_month.month_start_date - interval 12 month
            inner join marts.fct_account_touch_tiers_monthly as tier_then
                on year_before.account_id = tier_then.account_id
                and year_before.month_start_date = tier_then.month_start_date
            where year_before.mrr > 0
            group by all
            """,
        )
    }
    assert len(expected) >= 3, "the sample has too little history to check NRR per tier"
    by_key = {
        (_date(row["metric_time__month"]), row["account_retention__touch_tier"]): _number(
            row["nrr"]
        )
        for row in rows
        if _number(row["nrr"]) is not None
    }
    assert set(by_key) == set(expected)
    for key, value in expected.items():
        _assert_same(by_key[key], value, f"nrr {key}")


def test_retention_by_segment_equals_the_segment_mart(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    """Grouped by a segment, every retention and churn metric is the segment mart's figure."""
    mart_columns = {
        "nrr": "net_revenue_retention_12m",
        "grr": "gross_revenue_retention_12m",
        "nrr_1m": "net_revenue_retention_1m",
        "grr_1m": "gross_revenue_retention_1m",
        "logo_churn_rate": "logo_churn_rate",
        "gross_revenue_churn_rate": "gross_revenue_churn_rate",
        "net_revenue_churn_rate": "net_revenue_churn_rate",
        "opening_mrr": "opening_mrr",
    }
    for segment in ("touch_tier", "plan_tier", "region"):
        dimension = f"account_retention__{segment}"
        rows = metricflow.query(mart_columns, ["metric_time__month", dimension])
        mart = {
            (row["month_start_date"], row["segment_value"]): row
            for row in _mart_rows(
                warehouse,
                "select * from marts.rpt_churn_retention_by_segment_monthly"
                f" where segment_type = '{segment}'",
            )
        }
        answered = {(_date(row["metric_time__month"]), row[dimension]): row for row in rows}
        # MetricFlow answers the segments with a base or a movement in the month; the mart
        # also lists the empty ones (all zero, ratios empty).
        with_base = {
            key for key, row in mart.items() if row["opening_mrr"] or row["starting_mrr_12m"]
        }
        assert with_base <= set(answered), segment
        for key in sorted(answered):
            for metric, column in mart_columns.items():
                _assert_same(
                    _number(answered[key][metric]), mart[key][column], f"{metric} {segment} {key}"
                )


def test_retention_and_churn_equal_the_finance_mart(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    mart_columns = {
        "nrr": "net_revenue_retention_12m",
        "grr": "gross_revenue_retention_12m",
        "nrr_1m": "net_revenue_retention_1m",
        "grr_1m": "gross_revenue_retention_1m",
        "logo_churn_rate": "logo_churn_rate",
        "gross_revenue_churn_rate": "gross_revenue_churn_rate",
        "net_revenue_churn_rate": "net_revenue_churn_rate",
        "opening_mrr": "opening_mrr",
    }
    rows = metricflow.query(mart_columns, ["metric_time__month"])
    mart = {
        row["month_start_date"]: row
        for row in _mart_rows(warehouse, "select * from marts.rpt_churn_retention_monthly")
    }
    by_month = {_date(row["metric_time__month"]): row for row in rows}
    # Every month the mart has a retention figure for is answered (the first month has no
    # starting accounts and no row in MetricFlow's answer).
    months_with_figures = {
        month for month, row in mart.items() if row["net_revenue_retention_1m"] is not None
    }
    assert months_with_figures <= set(by_month)
    assert any(row["net_revenue_retention_12m"] is not None for row in mart.values())
    for month in sorted(by_month):
        for metric, column in mart_columns.items():
            _assert_same(_number(by_month[month][metric]), mart[month][column], f"{metric} {month}")


def test_mrr_and_movements_equal_the_waterfall(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    mart_columns = {
        "mrr": "closing_mrr",
        "arr": "closing_arr",
        "paying_customers": "closing_customers",
        "new_mrr": "new_mrr",
        "expansion_mrr": "expansion_mrr",
        "reactivation_mrr": "reactivation_mrr",
        "contraction_mrr": "contraction_mrr",
        "churned_mrr": "churned_mrr",
    }
    rows = metricflow.query(mart_columns, ["metric_time__month"])
    waterfall = {
        row["month_start_date"]: row
        for row in _mart_rows(warehouse, "select * from marts.rpt_mrr_waterfall")
    }
    account_month_totals = {
        row["month_start_date"]: row["mrr"]
        for row in _mart_rows(
            warehouse,
            "select month_start_date, sum(mrr) as mrr from marts.fct_account_mrr_monthly"
            " group by month_start_date",
        )
    }
    by_month = {_date(row["metric_time__month"]): row for row in rows}
    assert set(by_month) == set(waterfall)
    for month, row in by_month.items():
        _assert_same(_number(row["mrr"]), account_month_totals[month], f"mrr {month}")
        for metric, column in mart_columns.items():
            # Movement metrics fill months without such a movement with 0, as the mart does.
            _assert_same(_number(row[metric]), waterfall[month][column], f"{metric} {month}")


def test_balances_are_taken_at_the_quarters_last_month(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    """MRR is a month-end balance: a quarter's MRR is its last month's, not three months' sum."""
    rows = metricflow.query(["mrr", "nrr"], ["metric_time__quarter"])
    months = _mart_rows(
        warehouse,
        "select month_start_date, closing_mrr, net_revenue_retention_12m"
        " from marts.rpt_churn_retention_monthly",
    )
    last_month_of_quarter: dict[dt.date, dict[str, object]] = {}
    for month in sorted(months, key=lambda row: row["month_start_date"]):
        start = month["month_start_date"]
        quarter = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
        last_month_of_quarter[quarter] = month
    by_quarter = {_date(row["metric_time__quarter"]): row for row in rows}
    assert set(by_quarter) == set(last_month_of_quarter)
    for quarter, month in last_month_of_quarter.items():
        _assert_same(_number(by_quarter[quarter]["mrr"]), month["closing_mrr"], f"mrr {quarter}")
        _assert_same(
            _number(by_quarter[quarter]["nrr"]),
            month["net_revenue_retention_12m"],
            f"nrr {quarter}",
        )


def test_escalations_by_type_equal_the_escalation_facts(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    rows = metricflow.query(
        ["escalations", "trouble_escalations", "opportunity_escalations"],
        ["metric_time__month"],
    )
    facts = _mart_rows(
        warehouse,
        """
        select
            escalated_month_start_date as month_start_date,
            count(*) as escalations,
            count(case when escalation_type = 'trouble' then 1 end) as trouble_escalations,
            count(case when escalation_type = 'opportunity' then 1 end)
                as opportunity_escalations
        from marts.fct_escalations
        group by escalated_month_start_date
        """,
    )
    assert facts, "the sample has no escalations"
    by_month = {_date(row["metric_time__month"]): row for row in rows}
    assert set(by_month) == {row["month_start_date"] for row in facts}
    for fact in facts:
        row = by_month[fact["month_start_date"]]
        for metric in ("escalations", "trouble_escalations", "opportunity_escalations"):
            _assert_same(_number(row[metric]), fact[metric], f"{metric} {fact}")


def test_health_equals_the_weekly_health_facts(
    metricflow: MetricFlowProject, warehouse: Path
) -> None:
    rows = metricflow.query(["average_health_score", "share_red"], ["metric_time__week"])
    facts = _mart_rows(
        warehouse,
        """
        select
            week_start_date,
            avg(health_score) as average_health_score,
            1.0 * count(case when health_band = 'red' then 1 end) / count(health_score)
                as share_red
        from marts.fct_account_health_weekly
        group by week_start_date
        """,
    )
    assert any(fact["share_red"] for fact in facts), "no red account-week to check share_red on"
    by_week = {_date(row["metric_time__week"]): row for row in rows}
    assert set(by_week) == {fact["week_start_date"] for fact in facts}
    for fact in facts:
        row = by_week[fact["week_start_date"]]
        for metric in ("average_health_score", "share_red"):
            _assert_same(_number(row[metric]), fact[metric], f"{metric} {fact['week_start_date']}")
