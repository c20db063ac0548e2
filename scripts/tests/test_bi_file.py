"""The BI file: only the marts of the published warehouse, as tables, replaced atomically.

Every test builds a tiny published warehouse by hand in a temporary folder: personal data in
``raw`` and ``loader`` (and a view over it in ``staging`` and ``main``), and ``marts`` with two
tables (one with a HUGEINT from ``sum()``) and a view naming its parents by database, as dbt does.
"""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

import duckdb
import pytest

from cswh import bi_file
from cswh.bi_file import BI_PATH_ENV, BiFileError, bi_path_for, publish_bi_file

MARTS = ["dim_accounts", "fct_account_seats", "rpt_seats_by_region"]
PERSONAL_COLUMNS = {"email", "full_name", "raw_record"}

# The database is named after the file (cs_warehouse), and the view names its parents by it.
PUBLISHED_SQL = """
create schema raw;
create table raw.contacts as
    select * from (values
        (1, 10, 'Ada Lovelace', 'ada@example.com'),
        (2, 20, 'Alan Turing', 'alan@example.com')
    ) as contacts(contact_id, account_id, full_name, email);
create schema loader;
create table loader.quarantined_rows as
    select 'contacts.csv' as file_name, 7 as line_number, 'bad email' as reason,
        '3,30,Grace Hopper,grace@' as raw_record;
create schema staging;
create view staging.stg_contacts as select contact_id, email from raw.contacts;
create view main.contact_emails as select email from raw.contacts;
create schema marts;
create table marts.dim_accounts as
    select * from (values (10, 'Acme', 'EMEA'), (20, 'Globex', 'AMER'), (30, 'Initech', 'AMER'))
        as accounts(account_id, company_name, region);
create table marts.fct_account_seats as
    select account_id, sum(seats) as seats
    from (values (10, 5), (10, 7), (20, 3), (30, 11)) as seat_changes(account_id, seats)
    group by account_id;
create view marts.rpt_seats_by_region as
    select accounts.region, sum(seats.seats) as seats
    from cs_warehouse.marts.fct_account_seats as seats
    join cs_warehouse.marts.dim_accounts as accounts using (account_id)
    group by accounts.region;
comment on table marts.dim_accounts is 'One row per account.';
comment on column marts.dim_accounts.region is 'Sales region.';
"""


@pytest.fixture(autouse=True)
def no_configured_bi_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The BI file must land in tmp_path, never where the developer's environment points.
    monkeypatch.delenv(BI_PATH_ENV, raising=False)


@pytest.fixture
def published(tmp_path: Path) -> Path:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    path = folder / "cs_warehouse.duckdb"
    connection = duckdb.connect(str(path))
    try:
        connection.execute(PUBLISHED_SQL)
        # Proves the narrowing test below tests something: sum() of integers is a HUGEINT.
        assert mart_types(connection, "fct_account_seats")["seats"] == "HUGEINT"
        connection.execute("checkpoint")
    finally:
        connection.close()
    return path


def mart_types(connection: duckdb.DuckDBPyConnection, mart: str) -> dict[str, str]:
    return dict(
        connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ?",
            [mart],
        ).fetchall()
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(sql, parameters or []).fetchall()
    finally:
        connection.close()


def mart_rows(path: Path, mart: str) -> list[tuple]:
    return read(path, f'select * from marts."{mart}" order by all')


def files_in(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def test_the_bi_path_is_beside_the_warehouse_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert bi_path_for(Path("warehouse/cs_warehouse.duckdb")) == Path(
        "warehouse/cs_warehouse_bi.duckdb"
    )
    assert bi_path_for(Path("target/test-sample/warehouse.duckdb")) == Path(
        "target/test-sample/warehouse_bi.duckdb"
    )
    monkeypatch.setenv(BI_PATH_ENV, str(tmp_path / "elsewhere.duckdb"))
    assert bi_path_for(Path("warehouse/cs_warehouse.duckdb")) == tmp_path / "elsewhere.duckdb"


def test_the_bi_file_holds_exactly_the_marts_each_as_a_table(published: Path) -> None:
    result = publish_bi_file(published)

    assert result.path == published.parent / "cs_warehouse_bi.duckdb"
    assert result.marts == MARTS
    assert result.rows == 3 + 3 + 2
    relations = read(
        result.path,
        "select table_schema, table_name, table_type from information_schema.tables "
        "order by table_name",
    )
    assert relations == [("marts", mart, "BASE TABLE") for mart in MARTS]
    # `main` exists in every DuckDB file and cannot be dropped; it is internal and empty.
    user_schemas = read(
        result.path,
        "select schema_name from duckdb_schemas() "
        "where database_name = current_database() and not internal",
    )
    assert user_schemas == [("marts",)]


def test_no_personal_data_reaches_the_bi_file(published: Path) -> None:
    bi_path = publish_bi_file(published).path

    schemas = {row[0] for row in read(bi_path, "select schema_name from duckdb_schemas()")}
    assert not schemas & {"raw", "loader", "staging", "intermediate"}
    columns = {row[0] for row in read(bi_path, "select column_name from duckdb_columns()")}
    assert not columns & PERSONAL_COLUMNS
    contents = bi_path.read_bytes()
    assert b"@example.com" not in contents
    assert b"Lovelace" not in contents


def test_the_marts_keep_their_rows_and_hugeint_becomes_bigint(published: Path) -> None:
    bi_path = publish_bi_file(published).path

    for mart in MARTS:
        assert mart_rows(bi_path, mart) == mart_rows(published, mart), mart
    assert mart_rows(bi_path, "rpt_seats_by_region") == [("AMER", 14), ("EMEA", 12)]
    types = {
        (table, column): data_type
        for table, column, data_type in read(
            bi_path, "select table_name, column_name, data_type from information_schema.columns"
        )
    }
    assert types[("fct_account_seats", "seats")] == "BIGINT"
    assert types[("rpt_seats_by_region", "seats")] == "BIGINT"
    assert types[("dim_accounts", "company_name")] == "VARCHAR"
    assert "HUGEINT" not in types.values()


def test_table_and_column_descriptions_are_kept(published: Path) -> None:
    bi_path = publish_bi_file(published).path

    assert read(
        bi_path, "select comment from duckdb_tables() where table_name = 'dim_accounts'"
    ) == [("One row per account.",)]
    assert read(
        bi_path,
        "select comment from duckdb_columns() "
        "where table_name = 'dim_accounts' and column_name = 'region'",
    ) == [("Sales region.",)]


def test_the_published_warehouse_is_left_as_it_was(published: Path) -> None:
    before = digest(published)
    publish_bi_file(published)
    assert digest(published) == before
    assert files_in(published.parent) == {"cs_warehouse.duckdb", "cs_warehouse_bi.duckdb"}


def test_a_second_publish_replaces_the_bi_file_whole(published: Path) -> None:
    bi_path = publish_bi_file(published).path
    old_bytes = bi_path.read_bytes()
    connection = duckdb.connect(str(published))
    try:
        connection.execute("insert into marts.dim_accounts values (40, 'Umbrella', 'APAC')")
        connection.execute("checkpoint")
    finally:
        connection.close()

    with bi_path.open("rb") as reader_of_the_old_file:
        result = publish_bi_file(published)
        # A rename, not a rewrite in place: a reader that had the old file open still reads it
        # whole, and the path now names a different file.
        assert reader_of_the_old_file.read() == old_bytes

    assert result.path == bi_path
    assert result.rows == 4 + 3 + 2
    assert ("Umbrella",) in read(bi_path, "select company_name from marts.dim_accounts")
    assert bi_path.read_bytes() != old_bytes
    assert files_in(published.parent) == {"cs_warehouse.duckdb", "cs_warehouse_bi.duckdb"}


def fail_on_second_mart(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make the copy fail after the first mart was written into the partial file."""
    copied = []
    copy_mart = bi_file.copy_mart

    def copy_then_fail(*arguments):
        if copied:
            connection, target = arguments[:2]
            written = connection.execute(
                "select count(*) from duckdb_tables() where database_name = ?", [target]
            ).fetchone()[0]
            assert written == 1, "the failure must come with a half-written partial file"
            raise error
        copied.append(arguments[2])
        return copy_mart(*arguments)

    monkeypatch.setattr(bi_file, "copy_mart", copy_then_fail)


def test_a_failure_midway_leaves_the_previous_bi_file(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bi_path = publish_bi_file(published).path
    before = digest(bi_path)
    fail_on_second_mart(monkeypatch, RuntimeError("interrupted"))

    with pytest.raises(RuntimeError, match="interrupted"):
        publish_bi_file(published)

    assert digest(bi_path) == before
    assert files_in(published.parent) == {"cs_warehouse.duckdb", "cs_warehouse_bi.duckdb"}


def test_a_full_disk_propagates_as_the_oserror_it_was(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bi_path = publish_bi_file(published).path
    before = digest(bi_path)
    fail_on_second_mart(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))

    with pytest.raises(OSError) as raised:
        publish_bi_file(published)

    assert type(raised.value) is OSError
    assert raised.value.errno == errno.ENOSPC
    assert digest(bi_path) == before
    assert files_in(published.parent) == {"cs_warehouse.duckdb", "cs_warehouse_bi.duckdb"}


def test_leftovers_of_a_killed_publish_are_cleared(published: Path) -> None:
    bi_path = bi_path_for(published)
    partial = bi_file.partial_path_for(bi_path)
    partial.write_bytes(b"half a file")
    bi_file.wal_path_for(partial).write_bytes(b"a stale log")
    bi_file.wal_path_for(bi_path).write_bytes(b"a log of an older BI file")
    bi_file.temp_dir_for(partial).mkdir()

    publish_bi_file(published)

    assert files_in(published.parent) == {"cs_warehouse.duckdb", "cs_warehouse_bi.duckdb"}
    assert len(mart_rows(bi_path, "dim_accounts")) == 3


def test_a_configured_path_is_used(
    published: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured = tmp_path / "bi" / "marts_only.duckdb"
    monkeypatch.setenv(BI_PATH_ENV, str(configured))

    assert publish_bi_file(published).path == configured
    assert len(mart_rows(configured, "fct_account_seats")) == 3
    assert files_in(configured.parent) == {"marts_only.duckdb"}


def test_the_bi_file_never_replaces_the_warehouse(published: Path) -> None:
    before = digest(published)
    with pytest.raises(BiFileError, match="replace the warehouse"):
        publish_bi_file(published, published)
    assert digest(published) == before


def test_a_warehouse_without_marts_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(BiFileError, match="no relations in schema 'marts'"):
        publish_bi_file(empty)
    assert files_in(tmp_path) == {"empty.duckdb"}


def test_a_missing_warehouse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BiFileError, match="no warehouse at"):
        publish_bi_file(tmp_path / "missing.duckdb")
    assert files_in(tmp_path) == set()
