"""Parquet exports: what BI reads back equals the marts; large marts are partitioned; a failed
export leaves the previous one in place."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from cswh import export
from cswh.export import MANIFEST_NAME, ExportError, export_marts

# Four years of months for 40 accounts (1,920 rows), a weekly mart, a small dimension without a
# grain date, a view, and a table outside marts that must not be exported. Every type the marts
# use appears, with nulls and awkward strings.
WAREHOUSE_SQL = """
create schema marts;
create schema intermediate;
create table marts.fct_account_mrr_monthly as
    select
        'acc_' || lpad(cast(account as varchar), 3, '0') as account_id,
        cast(date '2023-01-01' + to_months(month) as date) as month_start_date,
        cast(date '2020-06-01' as date) as first_paid_month_start_date,
        cast(account * 10.5 + month as decimal(38, 4)) as mrr,
        sum(account) over (partition by month) as seats,
        account % 3 = 0 as is_paying,
        case when account % 7 = 0 then null else 'tier "' || (account % 4) || '", x' end
            as touch_tier,
        timestamp '2023-01-01 00:00:00' + to_hours(month * 24 + account) as updated_at,
        account / 3.0 as ratio
    from range(40) as accounts(account), range(48) as months(month);
create table marts.fct_account_health_weekly as
    select
        'acc_' || cast(week % 5 as varchar) || '_' || cast(week as varchar) as account_week_id,
        cast(date '2025-12-01' + to_days(7 * week) as date) as week_start_date,
        cast(week % 100 as double) as health_score
    from range(20) as weeks(week);
create table marts.dim_accounts as
    select 'acc_001' as account_id, 'high_touch' as touch_tier
    union all select 'acc_002', null;
create view marts.rpt_paying_accounts as
    select account_id, count(*) as months from marts.fct_account_mrr_monthly
    where is_paying group by account_id;
create table intermediate.int_not_for_bi as select 1 as x;
"""
MONTHLY_ROWS = 40 * 48


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse" / "cs.duckdb"
    path.parent.mkdir()
    connection = duckdb.connect(str(path))
    try:
        connection.execute(WAREHOUSE_SQL)
    finally:
        connection.close()
    return path


def fingerprint(connection: duckdb.DuckDBPyConnection, relation: str) -> tuple:
    """Row count and an md5 over every row (as text, sorted): equal only if every value is."""
    return connection.execute(
        f"""
        select count(*), md5(coalesce(string_agg(line, chr(10) order by line), ''))
        from (select cast(t as varchar) as line from {relation} as t)
        """
    ).fetchone()


def read_back(mart_dir: Path, partitioned: bool) -> str:
    """The Parquet of one mart as a relation, as a BI reader would glob it."""
    if partitioned:
        return (
            f"(select * exclude (year) from read_parquet('{mart_dir}/**/*.parquet', "
            "hive_partitioning = true))"
        )
    return f"read_parquet('{mart_dir}/*.parquet')"


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_every_mart_round_trips_with_equal_rows_and_checksums(warehouse, tmp_path):
    export_dir = tmp_path / "parquet"
    result = export_marts(warehouse, export_dir, min_rows=1_000_000)
    marts = [
        "dim_accounts",
        "fct_account_health_weekly",
        "fct_account_mrr_monthly",
        "rpt_paying_accounts",
    ]
    assert [mart.mart for mart in result.marts] == marts
    assert not (export_dir / "int_not_for_bi").exists()
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for mart in marts:
            exported = read_back(export_dir / mart, partitioned=False)
            assert fingerprint(connection, exported) == fingerprint(connection, f"marts.{mart}")
        # Counts stay whole numbers: HUGEINT (from sum()) is narrowed, not turned into DOUBLE.
        seats_type = connection.execute(
            f"select typeof(seats) from {read_back(export_dir / 'fct_account_mrr_monthly', False)}"
            " limit 1"
        ).fetchone()[0]
        mrr_checksum = connection.execute(
            "select sum(mrr) from read_parquet(?)",
            [str(export_dir / "fct_account_mrr_monthly" / "data.parquet")],
        ).fetchone()[0]
        expected_checksum = connection.execute(
            "select sum(mrr) from marts.fct_account_mrr_monthly"
        ).fetchone()[0]
    finally:
        connection.close()
    assert seats_type == "BIGINT"
    assert mrr_checksum == expected_checksum
    manifest = json.loads((export_dir / MANIFEST_NAME).read_text())
    assert manifest["warehouse"] == str(warehouse.resolve())
    assert {m["mart"]: m["rows"] for m in manifest["marts"]}["fct_account_mrr_monthly"] == (
        MONTHLY_ROWS
    )
    for mart in manifest["marts"]:
        assert mart["files"] and all((export_dir / f).is_file() for f in mart["files"])


def test_a_large_monthly_mart_is_partitioned_by_year(warehouse, tmp_path):
    export_dir = tmp_path / "parquet"
    result = export_marts(warehouse, export_dir, min_rows=MONTHLY_ROWS)
    by_mart = {mart.mart: mart for mart in result.marts}
    monthly = export_dir / "fct_account_mrr_monthly"
    assert sorted(p.name for p in monthly.iterdir()) == [
        "year=2023",
        "year=2024",
        "year=2025",
        "year=2026",
    ]
    assert by_mart["fct_account_mrr_monthly"].partitioned_by == "year of month_start_date"
    # Below the threshold: one plain file, even with a week grain column.
    assert by_mart["fct_account_health_weekly"].partitioned_by is None
    assert [p.name for p in (export_dir / "fct_account_health_weekly").iterdir()] == [
        "data.parquet"
    ]
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert fingerprint(connection, read_back(monthly, partitioned=True)) == fingerprint(
            connection, "marts.fct_account_mrr_monthly"
        )
        misplaced = connection.execute(
            f"""
            select count(*) from read_parquet('{monthly}/**/*.parquet', hive_partitioning = true)
            where year != year(month_start_date)
            """
        ).fetchone()[0]
    finally:
        connection.close()
    assert misplaced == 0


def test_the_week_grain_column_partitions_a_weekly_mart(warehouse, tmp_path):
    export_dir = tmp_path / "parquet"
    result = export_marts(warehouse, export_dir, min_rows=20)
    weekly = {mart.mart: mart for mart in result.marts}["fct_account_health_weekly"]
    assert weekly.partitioned_by == "year of week_start_date"
    assert (export_dir / "fct_account_health_weekly" / "year=2026").is_dir()


@pytest.mark.parametrize("failure", [duckdb.IOException("disk full"), KeyboardInterrupt()])
def test_a_failure_mid_export_leaves_the_previous_export_intact(
    warehouse, tmp_path, monkeypatch, failure
):
    export_dir = tmp_path / "parquet"
    export_marts(warehouse, export_dir, min_rows=MONTHLY_ROWS)
    before = tree_digest(export_dir)
    versions_before = sorted(p.name for p in tmp_path.iterdir())

    real_export_mart = export.export_mart
    exported: list[str] = []

    def fail_on_the_third_mart(connection, mart, version_dir, min_rows):
        if len(exported) == 2:
            raise failure
        exported.append(mart)
        return real_export_mart(connection, mart, version_dir, min_rows)

    monkeypatch.setattr(export, "export_mart", fail_on_the_third_mart)
    expected = ExportError if isinstance(failure, Exception) else KeyboardInterrupt
    with pytest.raises(expected):
        export_marts(warehouse, export_dir, min_rows=MONTHLY_ROWS)
    assert len(exported) == 2, "the failure did not happen part-way"
    assert tree_digest(export_dir) == before
    # The half-written folder is gone; nothing else was added or removed.
    assert sorted(p.name for p in tmp_path.iterdir()) == versions_before


def test_a_new_export_replaces_the_previous_one_in_one_swap(warehouse, tmp_path):
    export_dir = tmp_path / "parquet"
    first = export_marts(warehouse, export_dir)
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute("insert into marts.dim_accounts values ('acc_003', 'low_touch')")
    finally:
        connection.close()
    second = export_marts(warehouse, export_dir)
    assert export_dir.is_symlink()
    assert export_dir.resolve() == second.version_dir.resolve()
    assert not first.version_dir.exists(), "the previous export was not cleaned up"
    versions = [p.name for p in tmp_path.iterdir() if p.name.startswith("parquet")]
    assert sorted(versions) == sorted(["parquet", second.version_dir.name])
    manifest = json.loads((export_dir / MANIFEST_NAME).read_text())
    assert {m["mart"]: m["rows"] for m in manifest["marts"]}["dim_accounts"] == 3


def test_a_folder_that_is_not_an_export_is_never_replaced(warehouse, tmp_path):
    export_dir = tmp_path / "reports"
    export_dir.mkdir()
    (export_dir / "budget.xlsx").write_text("someone's file")
    with pytest.raises(ExportError, match="not an export written by cswh"):
        export_marts(warehouse, export_dir)
    assert (export_dir / "budget.xlsx").read_text() == "someone's file"


def test_an_export_folder_from_before_versioning_is_adopted(warehouse, tmp_path):
    export_dir = tmp_path / "parquet"
    export_dir.mkdir()
    (export_dir / MANIFEST_NAME).write_text("{}")
    result = export_marts(warehouse, export_dir)
    assert export_dir.is_symlink() and (export_dir / "dim_accounts" / "data.parquet").exists()
    assert result.version_dir.exists()


def test_a_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="no warehouse at"):
        export_marts(tmp_path / "absent.duckdb", tmp_path / "parquet")


def test_the_export_dir_defaults_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv(export.EXPORT_DIR_ENV, raising=False)
    assert export.export_dir_for(tmp_path / "wh.duckdb") == tmp_path / "parquet"
    monkeypatch.setenv(export.EXPORT_DIR_ENV, str(tmp_path / "bi"))
    assert export.export_dir_for(tmp_path / "wh.duckdb") == tmp_path / "bi"


def test_a_bad_partition_threshold_setting_is_refused(monkeypatch):
    monkeypatch.setenv(export.PARTITION_ROWS_ENV, "lots")
    with pytest.raises(ValueError, match=export.PARTITION_ROWS_ENV):
        export.partition_min_rows()
