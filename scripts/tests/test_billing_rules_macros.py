"""The billing-rule macros (macros/billing_rules.sql), pinned case by case.

Every model that values a subscription item decides with these macros whether a period is in
force at an instant, what a running discount takes off MRR, and how many months a billing period
lasts. Each macro is rendered by dbt and run on an in-memory DuckDB over a table of hand-written
cases at and around every boundary: half-open periods [start, end), asked at an instant or just
before it (a month-end balance).

Runs dbt in-process (`dbt show --inline`) against DuckDB ``:memory:``: no warehouse is needed.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

dbt_cli = pytest.importorskip("dbt.cli.main")

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory):
    """Run one inline query through dbt (macros rendered) and return its rows as dicts."""
    folder = tmp_path_factory.mktemp("billing-rules")
    environment = {
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": ":memory:",
        "CSWH_DUCKDB_TEMP_DIR": str(folder / "duckdb_tmp"),
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    runner = dbt_cli.dbtRunner()

    def run(sql: str) -> list[dict[str, object]]:
        result = runner.invoke(
            [
                "show",
                "--inline",
                sql,
                "--limit",
                "-1",
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(REPO_ROOT),
                "--quiet",
                "--no-use-colors",
            ]
        )
        assert result.success, result.exception
        table = result.result.results[0].agate_table
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]

    yield run
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# (case, starts_at, ends_before, instant, in force at the instant, in force just before it)
IN_FORCE_CASES = [
    ("inside", "2025-01-01", "2025-03-01", "2025-02-01", True, True),
    ("instant at the start", "2025-02-01", "2025-03-01", "2025-02-01", True, False),
    ("instant at the end", "2025-01-01", "2025-02-01", "2025-02-01", False, True),
    ("before the start", "2025-02-02", "2025-03-01", "2025-02-01", False, False),
    ("after the end", "2025-01-01", "2025-01-31", "2025-02-01", False, False),
    ("open end", "2025-01-01", None, "2025-02-01", True, True),
    ("open end, instant at the start", "2025-02-01", None, "2025-02-01", True, False),
    ("empty period", "2025-02-01", "2025-02-01", "2025-02-01", False, False),
]


def _timestamp(text: str | None) -> str:
    return "cast(null as timestamp)" if text is None else f"timestamp '{text} 00:00:00'"


def test_is_in_force_is_half_open_at_and_just_before_an_instant(show) -> None:
    values = ",\n".join(
        f"('{name}', {_timestamp(start)}, {_timestamp(end)}, {_timestamp(instant)}, "
        f"{str(at).lower()}, {str(before).lower()})"
        for name, start, end, instant, at, before in IN_FORCE_CASES
    )
    rows = show(
        f"""
        select
            case_name,
            coalesce({{{{ is_in_force('starts_at', 'ends_before', 'instant') }}}}, false)
                as in_force_at,
            coalesce(
                {{{{ is_in_force('starts_at', 'ends_before', 'instant', just_before=true) }}}},
                false
            ) as in_force_just_before,
            expected_at,
            expected_just_before
        from (values {values}) as cases (
            case_name, starts_at, ends_before, instant, expected_at, expected_just_before
        )
        """
    )
    assert len(rows) == len(IN_FORCE_CASES)
    for row in rows:
        assert row["in_force_at"] == row["expected_at"], row
        assert row["in_force_just_before"] == row["expected_just_before"], row


def test_an_empty_start_is_never_in_force(show) -> None:
    """A pause that never happened (paused_at empty) is not in force: null, then false."""
    rows = show(
        """
        select coalesce(
            {{ is_in_force('cast(null as timestamp)', 'cast(null as timestamp)',
                           "timestamp '2025-02-01 00:00:00'", just_before=true) }},
            false
        ) as is_paused
        """
    )
    assert rows == [{"is_paused": False}]


# (case, discount_ends_at, MRR at the instant, MRR just before it): 500 gross, 100 off.
DISCOUNT_CASES = [
    ("no end (forever)", None, 400, 400),
    ("ends after the instant", "2025-03-01", 400, 400),
    ("ends at the instant", "2025-02-01", 500, 400),
    ("ended before the instant", "2025-01-15", 500, 500),
]


def test_discounted_mrr_takes_the_discount_while_it_runs(show) -> None:
    values = ",\n".join(
        f"('{name}', {_timestamp(ends)}, {at}, {before})"
        for name, ends, at, before in DISCOUNT_CASES
    )
    rows = show(
        f"""
        select
            case_name,
            {{{{ discounted_mrr('500', '100', 'discount_ends_at', 'instant') }}}} as mrr_at,
            {{{{ discounted_mrr('500', '100', 'discount_ends_at', 'instant', just_before=true) }}}}
                as mrr_just_before,
            {{{{ running_discount('100', 'discount_ends_at', 'instant', just_before=true) }}}}
                as discount_just_before,
            expected_at,
            expected_just_before
        from (values {values}) as cases (
            case_name, discount_ends_at, expected_at, expected_just_before
        )
        cross join (select timestamp '2025-02-01 00:00:00' as instant) as instants
        """
    )
    assert len(rows) == len(DISCOUNT_CASES)
    for row in rows:
        assert row["mrr_at"] == row["expected_at"], row
        assert row["mrr_just_before"] == row["expected_just_before"], row
        assert row["discount_just_before"] == 500 - row["expected_just_before"], row


# (interval, count, months in one period, what 1 period's price is a month for a price)
PERIOD_CASES = [
    ("day", 1, 12 / 365.25, 10, 304.375),
    ("week", 2, 168 / 365.25, 140, 304.375),
    ("month", 1, 1, 100, 100),
    ("month", 6, 6, 600, 100),
    ("quarter", 1, 3, 300, 100),
    ("year", 1, 12, 1200, 100),
    ("year", 2, 24, 2400, 100),
]


def test_billing_periods_in_months(show) -> None:
    values = ",\n".join(
        f"('{interval}', {count}, {price})" for interval, count, _, price, _ in PERIOD_CASES
    )
    rows = show(
        f"""
        select
            billing_interval,
            interval_count,
            {{{{ billing_period_months('billing_interval', 'interval_count') }}}} as months,
            {{{{ monthly_amount('price', 'billing_interval', 'interval_count') }}}}
                as monthly_price
        from (values {values}) as cases (billing_interval, interval_count, price)
        """
    )
    assert len(rows) == len(PERIOD_CASES)
    expected = {
        (interval, count): (months, monthly) for interval, count, months, _, monthly in PERIOD_CASES
    }
    for row in rows:
        months, monthly = expected[(row["billing_interval"], int(row["interval_count"]))]
        assert math.isclose(float(row["months"]), months, rel_tol=1e-12), row
        assert math.isclose(float(row["monthly_price"]), monthly, rel_tol=1e-12), row
