"""The PostgreSQL target: type mapping, replication, and the same marts on DuckDB and PostgreSQL.

Tests marked `postgres` start a private PostgreSQL cluster in a temporary folder on a free port
(installing PostgreSQL first if it is missing). The end-to-end test (several minutes) generates a
small sample, builds it on DuckDB with `cswh run`, replicates the raw layer to PostgreSQL, runs
`dbt build --target postgres` there and requires the key marts to be equal row by row.
Deselect with ``pytest -m "not postgres"``.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from sample_warehouse import Sample

from cswh.contracts import ENTITIES
from cswh.targets import postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_IDENTIFIER_LIMIT = 63


# --------------------------------------------------------------------------- fast tests


@pytest.mark.parametrize(
    ("duckdb_type", "postgres_type"),
    [
        ("VARCHAR", "character varying"),
        ("BIGINT", "bigint"),
        ("DECIMAL(18,4)", "numeric(18,4)"),
        ("DECIMAL(38, 4)", "numeric(38,4)"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP", "timestamp without time zone"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("DOUBLE", "double precision"),
    ],
)
def test_duckdb_types_map_to_the_postgres_type_holding_the_same_values(
    duckdb_type: str, postgres_type: str
) -> None:
    assert postgres.postgres_type(duckdb_type) == postgres_type


def test_a_duckdb_type_without_a_postgres_twin_is_refused() -> None:
    with pytest.raises(postgres.PostgresTargetError, match="STRUCT"):
        postgres.postgres_type("STRUCT(a INTEGER)")


def test_numbers_agree_across_float_noise_but_not_across_a_real_difference() -> None:
    # Same formula, double on DuckDB and exact numeric on PostgreSQL.
    assert postgres.values_agree(79.57045000000001, Decimal("79.5704500000000000"))
    assert postgres.values_agree(50, Decimal("50.0000"))
    assert postgres.values_agree(None, None)
    assert not postgres.values_agree(79.5705, Decimal("79.5704"))
    assert not postgres.values_agree(0, None)
    assert not postgres.values_agree("a", "b")
    assert not postgres.values_agree(date(2025, 1, 1), datetime(2025, 1, 1))


def test_unit_test_names_fit_a_postgres_identifier() -> None:
    # dbt names a relation after each unit test, and PostgreSQL refuses identifiers longer
    # than 63 characters: a longer name breaks the PostgreSQL build only.
    too_long = []
    for path in (REPO_ROOT / "models").rglob("*.yml"):
        for unit_test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []):
            if len(unit_test["name"]) > POSTGRES_IDENTIFIER_LIMIT:
                too_long.append(f"{path.relative_to(REPO_ROOT)}: {unit_test['name']}")
    assert not too_long, "unit test names over 63 characters:\n" + "\n".join(too_long)


# --------------------------------------------------------------------------- private server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.Connection]:
    # mkdtemp under /tmp (not pytest's private tmp_path): as root, the cluster runs as the
    # `postgres` user, who must be able to reach its folder.
    base = Path(tempfile.mkdtemp(prefix="cswh-pg-test-"))
    connection = postgres.Connection(port=_free_port(), dbname="cswh_test")
    try:
        postgres.start_server(connection, base_dir=base)
        yield connection
    finally:
        postgres.stop_server(base_dir=base)
        shutil.rmtree(base, ignore_errors=True)


def _query(connection: postgres.Connection, sql: str) -> list[tuple]:
    conn = connection.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


@pytest.fixture
def raw_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.crm__accounts (account_id varchar, note varchar, "
            "seats bigint, price decimal(18, 4), is_active boolean, created_date date, "
            "updated_at timestamp)"
        )
        con.execute(
            "insert into raw.crm__accounts values "
            "('A-1', '', 3, 12.3456, true, '2024-02-29', '2024-03-01 23:59:59.123456'), "
            "('A-2', null, null, null, null, null, null), "
            "('A-3', 'comma, \"quote\"' || chr(10) || 'new line', 0, -0.0001, false, "
            "'1999-12-31', '2000-01-01 00:00:00')"
        )
        con.execute("create table raw.billing__plans (plan_id varchar)")
    return path


@pytest.mark.postgres
def test_replication_copies_values_types_nulls_and_empty_strings_exactly(
    server: postgres.Connection, raw_warehouse: Path
) -> None:
    result = postgres.replicate(raw_warehouse, server)

    assert {(t.table, t.rows) for t in result.tables} == {
        ("billing__plans", 0),
        ("crm__accounts", 3),
    }
    rows = _query(server, "select * from raw.crm__accounts order by account_id")
    assert rows == [
        (
            "A-1",
            "",
            3,
            Decimal("12.3456"),
            True,
            date(2024, 2, 29),
            datetime(2024, 3, 1, 23, 59, 59, 123456),
        ),
        ("A-2", None, None, None, None, None, None),
        (
            "A-3",
            'comma, "quote"\nnew line',
            0,
            Decimal("-0.0001"),
            False,
            date(1999, 12, 31),
            datetime(2000, 1, 1),
        ),
    ]
    types = _query(
        server,
        "select column_name, data_type, numeric_precision, numeric_scale "
        "from information_schema.columns where table_schema = 'raw' "
        "and table_name = 'crm__accounts' order by ordinal_position",
    )
    assert [(name, kind) for name, kind, _, _ in types] == [
        ("account_id", "character varying"),
        ("note", "character varying"),
        ("seats", "bigint"),
        ("price", "numeric"),
        ("is_active", "boolean"),
        ("created_date", "date"),
        ("updated_at", "timestamp without time zone"),
    ]
    assert types[3][2:] == (18, 4)


@pytest.mark.postgres
def test_replicating_again_replaces_rows_and_follows_column_changes(
    server: postgres.Connection, raw_warehouse: Path
) -> None:
    postgres.replicate(raw_warehouse, server)
    with duckdb.connect(str(raw_warehouse)) as con:
        con.execute("delete from raw.crm__accounts where account_id = 'A-3'")
        con.execute("alter table raw.billing__plans add column price decimal(18, 4)")
        con.execute("insert into raw.billing__plans values ('PL-1', 9.5)")

    postgres.replicate(raw_warehouse, server)
    postgres.replicate(raw_warehouse, server)

    assert _query(server, "select account_id from raw.crm__accounts order by 1") == [
        ("A-1",),
        ("A-2",),
    ]
    assert _query(server, "select plan_id, price from raw.billing__plans") == [
        ("PL-1", Decimal("9.5000"))
    ]


@pytest.mark.postgres
def test_a_failed_replication_leaves_the_previous_replica_whole(
    server: postgres.Connection, raw_warehouse: Path
) -> None:
    postgres.replicate(raw_warehouse, server)
    with duckdb.connect(str(raw_warehouse)) as con:
        con.execute("delete from raw.crm__accounts")
        # Sorted after crm__accounts, so it fails once that table has been emptied and refilled.
        con.execute("create table raw.zz__unsupported (shape struct(x integer))")

    with pytest.raises(postgres.PostgresTargetError, match="STRUCT"):
        postgres.replicate(raw_warehouse, server)

    assert _query(server, "select count(*) from raw.crm__accounts") == [(3,)]


@pytest.mark.postgres
def test_a_replica_records_its_newest_load_and_knows_whether_it_continues_the_last(
    server: postgres.Connection, raw_warehouse: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(raw_warehouse)) as con:
        con.execute("create schema loader")
        con.execute("create table loader.load_audit (load_id varchar, started_at timestamp)")
        con.execute("insert into loader.load_audit values ('load_1', '2026-01-01 00:00:00')")
    other = tmp_path / "other" / "warehouse.duckdb"
    other.parent.mkdir()
    shutil.copyfile(raw_warehouse, other)
    with duckdb.connect(str(other)) as con:
        con.execute("update loader.load_audit set load_id = 'load_x'")

    postgres.replicate(raw_warehouse, server)  # whatever the server held before
    assert postgres.replicate(raw_warehouse, server).continues_previous
    with duckdb.connect(str(raw_warehouse)) as con:
        con.execute("insert into loader.load_audit values ('load_2', '2026-01-02 00:00:00')")
    assert postgres.replicate(raw_warehouse, server).continues_previous
    assert _query(server, f"select newest_load_id from {postgres.REPLICA_STATE_TABLE}") == [
        ("load_2",)
    ]
    assert not postgres.replicate(other, server).continues_previous
    assert not postgres.replicate(raw_warehouse, server).continues_previous


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def built_sample(server: postgres.Connection, sample: Sample) -> Iterator[tuple[Path, dict]]:
    """The shared sample (conftest.py; read only here), replicated and built on PostgreSQL."""
    folder = Path(tempfile.mkdtemp(prefix="cswh-pg-sample-"))
    warehouse = sample.warehouse
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "dbt-target-postgres"))
        patch.setenv("DBT_LOG_PATH", str(folder / "dbt-logs-postgres"))
        timings = postgres.timed_build(warehouse, server, start=False)
    try:
        yield warehouse, timings
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_every_model_data_test_and_unit_test_passes_on_postgres(
    built_sample: tuple[Path, dict],
) -> None:
    _, timings = built_sample
    assert timings["ok"], f"dbt build --target postgres failed: {timings}"
    # A new server holds no replica: the first build is a full refresh.
    assert timings["full_refresh"]
    assert timings["rows_replicated"] > 10_000
    assert timings["tables_replicated"] == len(ENTITIES)


@pytest.mark.postgres
def test_key_marts_are_identical_on_duckdb_and_postgres(
    server: postgres.Connection, built_sample: tuple[Path, dict]
) -> None:
    warehouse, _ = built_sample
    comparisons = postgres.compare_marts(warehouse, server)

    assert [c.mart for c in comparisons] == list(postgres.KEY_MARTS)
    assert all(c.duckdb_rows > 0 for c in comparisons), "a key mart is empty: nothing compared"
    different = {c.mart: (c.problem, c.different_rows) for c in comparisons if not c.equal}
    assert not different


@pytest.mark.postgres
def test_the_comparison_catches_one_changed_value(
    server: postgres.Connection, built_sample: tuple[Path, dict]
) -> None:
    warehouse, _ = built_sample
    conn = server.connect()
    try:
        with conn.cursor() as cursor:
            # A rounding step at the fourth decimal, in one row of one mart.
            cursor.execute(
                "update marts.rpt_mrr_waterfall set closing_mrr = closing_mrr + 0.0001 "
                "where month_start_date = (select max(month_start_date) "
                "from marts.rpt_mrr_waterfall)"
            )
        conn.commit()
        comparison = postgres.compare_marts(warehouse, server, marts=["rpt_mrr_waterfall"])[0]
    finally:
        with conn.cursor() as cursor:
            cursor.execute(
                "update marts.rpt_mrr_waterfall set closing_mrr = closing_mrr - 0.0001 "
                "where month_start_date = (select max(month_start_date) "
                "from marts.rpt_mrr_waterfall)"
            )
        conn.commit()
        conn.close()

    assert not comparison.equal
    assert comparison.problem == "1 row(s) differ"
