"""Quality gates: contract suites on extract frames, mart suites on a tiny warehouse, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cswh import quality
from cswh.contracts import entity
from cswh.raw_schema import LOADER_DDL

TICKETS = entity("tickets")
USAGE = entity("daily_feature_usage")


def good_tickets(rows: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(rows)],
            "account_id": ["A1"] * rows,
            "requester_contact_id": [None] * rows,
            "created_at": ["2026-10-01T10:00:00Z"] * rows,
            "first_response_at": [None] * rows,
            "solved_at": [None] * rows,
            "status": ["open"] * rows,
            "priority": ["normal"] * rows,
            "channel": ["email"] * rows,
            "category": ["bug"] * rows,
            "product_id": [None] * rows,
            "csat_rating": [5.0] + [None] * (rows - 1),
            "csat_good_bad": [None, "good"] + [None] * (rows - 2),
            "is_deleted": [None] * rows,
            "deleted_at": [None] * rows,
            "updated_at": ["2026-10-01T10:00:00Z"] * rows,
        }
    )


def good_usage() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "usage_date": ["2026-10-01", "2026-10-01", "2026-10-02"],
            "account_id": ["A1", "A1", "A1"],
            "feature_id": ["F1", "F2", "F1"],
            "active_users": [3, 1, 2],
            "event_count": [10, 4, 0],
            "updated_at": ["2026-10-02T00:00:00Z"] * 3,
        }
    )


def only_failure(result: quality.SuiteResult) -> str:
    assert not result.success
    assert len(result.failed_expectations) == 1, result.failed_expectations
    return result.failed_expectations[0]


def test_good_extract_passes_and_writes_results(tmp_path: Path) -> None:
    result = quality.validate_extract(TICKETS, good_tickets(), tmp_path, "run1")
    assert result.success, result.failed_expectations
    assert result.results_path == tmp_path / "runs" / "run1" / "extract_tickets.json"
    document = json.loads(result.results_path.read_text())
    assert document["suite"] == "extract_tickets"
    assert document["success"] is True
    kinds = {row["expectation"] for row in document["expectations"]}
    assert {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
    } <= kinds
    assert all("unexpected_count" in row for row in document["expectations"])


def test_null_key_fails(tmp_path: Path) -> None:
    frame = good_tickets()
    frame.loc[1, "ticket_id"] = None
    failure = only_failure(quality.validate_extract(TICKETS, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_not_be_null(ticket_id) 1 unexpected")


def test_required_column_null_fails(tmp_path: Path) -> None:
    frame = good_tickets()
    frame.loc[2, "account_id"] = None
    failure = only_failure(quality.validate_extract(TICKETS, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_not_be_null(account_id)")


def test_duplicate_key_fails(tmp_path: Path) -> None:
    frame = good_tickets()
    frame.loc[3, "ticket_id"] = "T0"
    failure = only_failure(quality.validate_extract(TICKETS, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_be_unique(ticket_id) 2 unexpected")


def test_compound_key_duplicate_fails_and_partial_overlap_passes(tmp_path: Path) -> None:
    assert quality.validate_extract(USAGE, good_usage(), tmp_path, "r").success
    frame = good_usage()
    frame.loc[2, "usage_date"] = "2026-10-01"
    failure = only_failure(quality.validate_extract(USAGE, frame, tmp_path, "r"))
    assert failure.startswith(
        "expect_compound_columns_to_be_unique(account_id, feature_id, usage_date)"
    )


def test_value_not_allowed_fails(tmp_path: Path) -> None:
    frame = good_tickets()
    frame.loc[0, "channel"] = "fax"
    failure = only_failure(quality.validate_extract(TICKETS, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_be_in_set(channel) 1 unexpected")
    assert "'fax'" in failure


def test_out_of_range_fails(tmp_path: Path) -> None:
    frame = good_tickets()
    frame.loc[1, "csat_rating"] = 7
    failure = only_failure(quality.validate_extract(TICKETS, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_be_between(csat_rating)")
    frame = good_usage()
    frame.loc[0, "event_count"] = -1
    failure = only_failure(quality.validate_extract(USAGE, frame, tmp_path, "r"))
    assert failure.startswith("expect_column_values_to_be_between(event_count)")


def test_row_count_drop_against_previous_load(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    connection = duckdb.connect(str(warehouse))
    for statement in LOADER_DDL:
        connection.execute(statement)
    audit = (
        "insert into loader.load_audit "
        "values (?, ?, 'support_desk', ?, 'sha', 1, ?, ?, 0, ?, '', ?, ?, 0)"
    )
    for source_file, rows, status, at in [
        ("tickets__2026-10-30.csv", 9, "loaded", "2026-10-30 01:00:00"),
        ("tickets__2026-10-31.csv", 10, "loaded", "2026-10-31 01:00:00"),
        ("tickets__2026-11-01.csv", 2, "refused", "2026-11-01 01:00:00"),
    ]:
        connection.execute(audit, ["l", source_file, "tickets", rows, rows, status, at, at])
    connection.close()

    previous = quality.previous_load_rows(warehouse, TICKETS)
    assert previous == 10  # the refused file does not count
    assert quality.previous_load_rows(warehouse, TICKETS, "tickets__2026-10-31.csv") == 9
    assert quality.previous_load_rows(warehouse, USAGE) is None
    assert quality.previous_load_rows(tmp_path / "missing.duckdb", TICKETS) is None

    failure = only_failure(
        quality.validate_extract(TICKETS, good_tickets(4), tmp_path, "r", previous_rows=previous)
    )
    assert failure.startswith("expect_table_row_count_to_be_between(table) observed 4")
    kept = quality.validate_extract(TICKETS, good_tickets(5), tmp_path, "r", previous_rows=10)
    assert kept.success
    strict = quality.validate_extract(
        TICKETS, good_tickets(8), tmp_path, "r", previous_rows=10, max_row_drop=0.1
    )
    assert not strict.success


def test_read_extract_types_and_nulls(tmp_path: Path) -> None:
    path = tmp_path / "daily_feature_usage__2026-10-02.csv"
    path.write_text(
        "usage_date,account_id,feature_id,active_users,event_count,updated_at\n"
        "2026-10-01,A1,F1,3,10,2026-10-02T00:00:00Z\n"
        "2026-10-01,,F2,1,x,2026-10-02T00:00:00Z\n",
        encoding="utf-8",
    )
    frame = quality.read_extract(USAGE, path)
    assert frame["active_users"].tolist() == [3, 1]
    assert frame["account_id"].isna().tolist() == [False, True]
    assert frame["event_count"].isna().tolist() == [False, True]
    result = quality.validate_extract(USAGE, frame, tmp_path, "r")
    assert sorted(f.split(" ")[0] for f in result.failed_expectations) == [
        "expect_column_values_to_not_be_null(account_id)",
        "expect_column_values_to_not_be_null(event_count)",
    ]


# ------------------------------------------------------------------------------------ marts


def tiny_warehouse(path: Path, churned_mrr: float = 0.0) -> Path:
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute(
        "create table marts.fct_account_mrr_monthly as select * from (values "
        "('A1-2026-09', 100.0::decimal(38, 4)), ('A1-2026-10', 0.0::decimal(38, 4))) "
        "t(account_month_id, mrr)"
    )
    connection.execute(
        "create table marts.dim_accounts as select * from (values "
        "('A1', 'high_touch', 'active', 100.0::decimal(38, 4)), "
        f"('A2', 'tech_touch', 'churned', {churned_mrr}::decimal(38, 4))) "
        "t(account_id, touch_tier, lifecycle_stage, mrr)"
    )
    connection.execute(
        "create table marts.fct_escalations as select * from (values "
        "('E1', 'trouble'), ('E2', 'opportunity')) t(escalation_id, escalation_type)"
    )
    connection.execute(
        "create table marts.rpt_mrr_waterfall as select * from (values "
        "(date '2026-10-01', 100.0::decimal(38, 4))) t(month_start_date, closing_mrr)"
    )
    connection.execute(
        "create table marts.fct_account_health_weekly as select * from (values "
        "('A1-w1', 55.5), ('A1-w2', 100.0)) t(account_week_id, health_score)"
    )
    connection.close()
    return path


def test_marts_pass_and_data_docs_built(tmp_path: Path) -> None:
    warehouse = tiny_warehouse(tmp_path / "wh.duckdb")
    quality_dir = tmp_path / "quality"
    results = quality.validate_marts(warehouse, quality_dir, "run1")
    assert quality.failed_checks(results) == []
    assert {r.suite for r in results} == {
        "mart_fct_account_mrr_monthly",
        "mart_dim_accounts",
        "mart_churned_accounts_zero_mrr",
        "mart_fct_escalations",
        "mart_rpt_mrr_waterfall",
        "mart_fct_account_health_weekly",
    }
    assert len(list((quality_dir / "runs" / "run1").glob("*.json"))) == 6
    index = quality.build_data_docs(quality_dir)
    assert index == (quality_dir / "data_docs" / "index.html").resolve()
    assert index.is_file()
    assert "mart_dim_accounts" in index.read_text(encoding="utf-8")
    # Read-only: the warehouse can still be opened for writing afterwards.
    duckdb.connect(str(warehouse)).close()


def test_churned_account_with_mrr_fails(tmp_path: Path) -> None:
    warehouse = tiny_warehouse(tmp_path / "wh.duckdb", churned_mrr=42.0)
    results = quality.validate_marts(warehouse, tmp_path / "quality", "r")
    lines = quality.failed_checks(results)
    assert len(lines) == 1
    assert lines[0].startswith(
        "mart_churned_accounts_zero_mrr: expect_column_values_to_be_between(mrr) 1 unexpected"
    )


@pytest.mark.parametrize(
    ("statement", "suite"),
    [
        ("update marts.fct_account_mrr_monthly set mrr = -1", "mart_fct_account_mrr_monthly"),
        ("update marts.dim_accounts set touch_tier = 'vip'", "mart_dim_accounts"),
        ("update marts.fct_escalations set escalation_id = 'E1'", "mart_fct_escalations"),
        ("update marts.fct_escalations set escalation_type = 'x'", "mart_fct_escalations"),
        ("update marts.rpt_mrr_waterfall set closing_mrr = -5", "mart_rpt_mrr_waterfall"),
        (
            "update marts.fct_account_health_weekly set health_score = 101",
            "mart_fct_account_health_weekly",
        ),
        ("drop table marts.rpt_mrr_waterfall", "mart_rpt_mrr_waterfall"),
    ],
)
def test_bad_marts_fail_their_suite(tmp_path: Path, statement: str, suite: str) -> None:
    warehouse = tiny_warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(statement)
    results = quality.validate_marts(warehouse, tmp_path / "quality", "r")
    assert [r.suite for r in results if not r.success] == [suite]
    assert (tmp_path / "quality" / "runs" / "r" / f"{suite}.json").is_file()


def test_mart_that_lost_rows_against_the_published_warehouse_fails(tmp_path: Path) -> None:
    published = tiny_warehouse(tmp_path / "published.duckdb")
    candidate = tiny_warehouse(tmp_path / "candidate.duckdb")
    baseline = quality.published_row_counts(published)
    assert baseline["mart_fct_account_health_weekly"] == 2
    assert "mart_churned_accounts_zero_mrr" not in baseline
    assert (
        quality.failed_checks(quality.validate_marts(candidate, tmp_path / "q", "r1", baseline))
        == []
    )
    with duckdb.connect(str(candidate)) as connection:
        connection.execute(
            "delete from marts.fct_account_health_weekly where account_week_id = 'A1-w2'"
        )
    results = quality.validate_marts(candidate, tmp_path / "q", "r2", baseline)
    lines = quality.failed_checks(results)
    assert len(lines) == 1
    assert lines[0].startswith(
        "mart_fct_account_health_weekly: expect_table_row_count_to_be_between"
    )


def test_no_published_warehouse_means_no_row_count_baseline(tmp_path: Path) -> None:
    assert quality.published_row_counts(tmp_path / "missing.duckdb") == {}
