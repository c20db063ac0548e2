"""Great Expectations's job: drift and volume against what was published, and the data docs."""

from __future__ import annotations

import json
from dataclasses import replace
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
            "solved_at": ["2026-10-02T10:00:00Z"] * rows,
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


BASELINE = {"priority": 1.0, "solved_at": 0.9, "csat_rating": 0.2}


def test_a_first_delivery_has_nothing_to_compare_with(tmp_path: Path) -> None:
    assert quality.validate_extract(TICKETS, good_tickets(), tmp_path, "r") is None
    assert not (tmp_path / "runs").exists()


def test_a_usually_filled_column_left_empty_is_drift(tmp_path: Path) -> None:
    result = quality.validate_extract(
        TICKETS, good_tickets(), tmp_path, "r", filled_shares=BASELINE
    )
    assert result is not None and result.success, result.failed_expectations
    frame = good_tickets()
    frame["priority"] = None  # a renamed export column: every row still passes the contract
    result = quality.validate_extract(TICKETS, frame, tmp_path, "run1", filled_shares=BASELINE)
    failure = only_failure(result)
    assert failure.startswith("expect_column_values_to_not_be_null(priority) 4 unexpected")
    document = json.loads((tmp_path / "runs" / "run1" / "extract_tickets.json").read_text())
    judged = {row["column"]: row["kwargs"]["mostly"] for row in document["expectations"]}
    # Filled in 100 % and 90 % of the published rows: judged, with 30 points of slack; a
    # column filled in 20 % of them says nothing when it is empty.
    assert judged == {"priority": 0.7, "solved_at": 0.6}


def test_a_column_a_little_less_filled_is_not_drift(tmp_path: Path) -> None:
    frame = good_tickets(10)
    frame.loc[:2, "solved_at"] = None  # 70 % filled against 90 % published: within 30 points
    result = quality.validate_extract(TICKETS, frame, tmp_path, "r", filled_shares=BASELINE)
    assert result is not None and result.success, result.failed_expectations
    frame.loc[:3, "solved_at"] = None  # 60 % filled: at the floor, still passes
    assert quality.validate_extract(TICKETS, frame, tmp_path, "r", filled_shares=BASELINE).success
    frame.loc[:4, "solved_at"] = None  # 50 %: drift
    failure = only_failure(
        quality.validate_extract(TICKETS, frame, tmp_path, "r", filled_shares=BASELINE)
    )
    assert failure.startswith("expect_column_values_to_not_be_null(solved_at) 5 unexpected")


def published_tickets(path: Path, rows: int) -> Path:
    """A published warehouse whose raw tickets fill `priority` in every row and `solved_at` in
    every other row; `product_id` never."""
    connection = duckdb.connect(str(path))
    connection.execute("create schema raw")
    connection.execute(
        "create table raw.support_desk__tickets as select "
        "'T' || i as ticket_id, 'normal' as priority, "
        "case when i % 2 = 0 then timestamp '2026-10-01' end as solved_at, "
        "null::varchar as product_id "
        f"from range({rows}) t(i)"
    )
    connection.close()
    return path


def test_published_filled_shares(tmp_path: Path) -> None:
    published = published_tickets(tmp_path / "published.duckdb", 60)
    # Only the columns the raw table above has; the contract's others are left out.
    kept = {"ticket_id", "priority", "solved_at", "product_id"}
    tickets = replace(TICKETS, columns=tuple(c for c in TICKETS.columns if c.name in kept))
    shares = quality.published_filled_shares(published, tickets)
    assert shares == {"priority": 1.0, "solved_at": 0.5, "product_id": 0.0}
    few = published_tickets(tmp_path / "few.duckdb", 10)
    assert quality.published_filled_shares(few, TICKETS) == {}
    assert quality.published_filled_shares(tmp_path / "missing.duckdb", TICKETS) == {}
    assert quality.published_filled_shares(published, USAGE) == {}  # no raw table yet


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


# ------------------------------------------------------------------------------------ marts


def tiny_warehouse(
    path: Path,
    closed_month_mrr: float = 100.0,
    latest_month_mrr: float = 50.0,
    health_scores: tuple[float, float] = (55.5, 100.0),
) -> Path:
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute(
        "create table marts.fct_account_mrr_monthly as select * from (values "
        f"('A1-2026-09', date '2026-09-01', {closed_month_mrr}::decimal(18, 2)), "
        f"('A1-2026-10', date '2026-10-01', {latest_month_mrr}::decimal(18, 2))) "
        "t(account_month_id, month_start_date, mrr)"
    )
    connection.execute(
        "create table marts.dim_accounts as select * from (values ('A1'), ('A2')) t(account_id)"
    )
    connection.execute(
        "create table marts.fct_escalations as select * from (values "
        "('E1'), ('E2')) t(escalation_id)"
    )
    connection.execute(
        "create table marts.rpt_mrr_waterfall as select * from (values "
        "(date '2026-10-01')) t(month_start_date)"
    )
    connection.execute(
        "create table marts.fct_account_health_weekly as select * from (values "
        f"('A1-w1', date '2026-10-05', {health_scores[0]}), "
        f"('A2-w1', date '2026-10-05', {health_scores[1]})) "
        "t(account_week_id, week_start_date, health_score)"
    )
    connection.close()
    return path


VOLUME_SUITES = {
    "mart_fct_account_mrr_monthly",
    "mart_dim_accounts",
    "mart_fct_escalations",
    "mart_rpt_mrr_waterfall",
    "mart_fct_account_health_weekly",
}


def test_no_published_warehouse_means_no_mart_suite(tmp_path: Path) -> None:
    warehouse = tiny_warehouse(tmp_path / "wh.duckdb")
    assert quality.published_row_counts(tmp_path / "missing.duckdb") == {}
    assert quality.validate_marts(warehouse, tmp_path / "q", "r1", {}) == []
    assert quality.mart_drift(warehouse, tmp_path / "missing.duckdb", tmp_path / "q", "r1") == []


def test_marts_that_kept_their_rows_pass_and_data_docs_are_built(tmp_path: Path) -> None:
    published = tiny_warehouse(tmp_path / "published.duckdb")
    candidate = tiny_warehouse(tmp_path / "candidate.duckdb")
    baseline = quality.published_row_counts(published)
    assert baseline == dict.fromkeys(VOLUME_SUITES, 2) | {"mart_rpt_mrr_waterfall": 1}
    quality_dir = tmp_path / "quality"
    results = quality.validate_marts(candidate, quality_dir, "run1", baseline)
    assert quality.failed_checks(results) == []
    assert {r.suite for r in results} == VOLUME_SUITES
    drift = quality.mart_drift(candidate, published, quality_dir, "run1")
    assert quality.failed_checks(drift) == []
    assert {r.suite for r in drift} == {"drift_closed_months_mrr", "drift_health_score_mean"}
    assert len(list((quality_dir / "runs" / "run1").glob("*.json"))) == 7
    index = quality.build_data_docs(quality_dir)
    assert index == (quality_dir / "data_docs" / "index.html").resolve()
    assert "mart_dim_accounts" in index.read_text(encoding="utf-8")
    # Read-only: both warehouses can still be opened for writing afterwards.
    duckdb.connect(str(candidate)).close()
    duckdb.connect(str(published)).close()


def test_mart_that_lost_rows_against_the_published_warehouse_fails(tmp_path: Path) -> None:
    published = tiny_warehouse(tmp_path / "published.duckdb")
    candidate = tiny_warehouse(tmp_path / "candidate.duckdb")
    baseline = quality.published_row_counts(published)
    with duckdb.connect(str(candidate)) as connection:
        connection.execute(
            "delete from marts.fct_account_health_weekly where account_week_id = 'A1-w1'"
        )
    lines = quality.failed_checks(quality.validate_marts(candidate, tmp_path / "q", "r2", baseline))
    assert len(lines) == 1
    assert lines[0].startswith(
        "mart_fct_account_health_weekly: expect_table_row_count_to_be_between(table) observed 1"
    )


def test_a_mart_missing_from_the_candidate_fails_its_volume_suite(tmp_path: Path) -> None:
    published = tiny_warehouse(tmp_path / "published.duckdb")
    candidate = tiny_warehouse(tmp_path / "candidate.duckdb")
    with duckdb.connect(str(candidate)) as connection:
        connection.execute("drop table marts.rpt_mrr_waterfall")
    results = quality.validate_marts(
        candidate, tmp_path / "q", "r", quality.published_row_counts(published)
    )
    assert [r.suite for r in results if not r.success] == ["mart_rpt_mrr_waterfall"]


@pytest.mark.parametrize(
    ("candidate_changes", "warned"),
    [
        ({"closed_month_mrr": 100.4}, []),  # 0.4 % restated: within 0.5 %
        ({"closed_month_mrr": 101.0}, ["drift_closed_months_mrr"]),  # 1 % restated
        ({"closed_month_mrr": 0.0}, ["drift_closed_months_mrr"]),
        ({"latest_month_mrr": 80.0}, []),  # the latest published month may still move
        ({"health_scores": (45.5, 90.0)}, []),  # mean down 10 points: the limit
        ({"health_scores": (40.0, 90.0)}, ["drift_health_score_mean"]),
    ],
)
def test_drift_between_publishes(tmp_path: Path, candidate_changes: dict, warned: list) -> None:
    published = tiny_warehouse(tmp_path / "published.duckdb")
    candidate = tiny_warehouse(tmp_path / "candidate.duckdb", **candidate_changes)
    results = quality.mart_drift(candidate, published, tmp_path / "q", "r")
    assert [r.suite for r in results if not r.success] == warned
