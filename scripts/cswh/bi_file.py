"""The BI file: a DuckDB file holding only the marts, for BI tools and the dashboard.

The published warehouse is the analytics engineers' file: besides the marts it holds schema
``raw`` (contacts with names and emails), schema ``loader`` (quarantined rows with their raw
records), and the staging and intermediate views over them. That is personal data, and BI users
must not get it: a read-only connection to the warehouse file still reads every schema. So after
each publish the marts, and nothing else, are copied into a separate file (by default
``<warehouse stem>_bi.duckdb`` beside the warehouse), which is what BI tools and the dashboard
open.

Every relation of schema ``marts`` becomes a table (a view in the warehouse would name parents the
BI file does not have). HUGEINT columns (what ``sum()`` of integers returns) are narrowed to
BIGINT as the Parquet export does, so BI tools that lack 128-bit integers read them as whole
numbers.

Readers see the previous BI file or the new one, never half of one: the new file is written as
``<bi file>.partial`` and moved onto the BI file in one ``os.replace``. The published warehouse is
attached read-only, only while the marts are copied.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cswh import settings
from cswh.export import MART_SCHEMA, export_query, list_marts, mart_columns, quote, sql_string

BI_PATH_ENV = "CSWH_BI_WAREHOUSE_PATH"
BI_STEM_SUFFIX = "_bi"
PARTIAL_SUFFIX = ".partial"
WAL_SUFFIX = ".wal"
# Where DuckDB may spill while copying: beside the BI file, on its disk, not in the working folder.
TEMP_SUFFIX = ".tmp"


class BiFileError(Exception):
    """The BI file could not be written; the previous BI file, if any, is unchanged."""


@dataclass
class BiFileResult:
    path: Path
    marts: list[str]
    rows: int
    seconds: float


def bi_path_for(published: Path) -> Path:
    """``CSWH_BI_WAREHOUSE_PATH``, or ``<warehouse stem>_bi.duckdb`` beside the warehouse."""
    configured = settings.bi_warehouse_path()
    if configured:
        return configured
    return published.with_name(f"{published.stem}{BI_STEM_SUFFIX}.duckdb")


def partial_path_for(bi_path: Path) -> Path:
    return bi_path.with_name(bi_path.name + PARTIAL_SUFFIX)


def wal_path_for(database: Path) -> Path:
    return database.with_name(database.name + WAL_SUFFIX)


def temp_dir_for(partial: Path) -> Path:
    return partial.with_name(partial.name + TEMP_SUFFIX)


def remove_partial(partial: Path) -> None:
    """The partial file and everything DuckDB writes beside it."""
    partial.unlink(missing_ok=True)
    wal_path_for(partial).unlink(missing_ok=True)
    shutil.rmtree(temp_dir_for(partial), ignore_errors=True)


def publish_bi_file(published: Path, bi_path: Path | None = None) -> BiFileResult:
    """Copy every mart of the published warehouse into the BI file, replacing it atomically.

    On any error the partial file is removed and the error re-raised as it was (an OSError for a
    full disk stays an OSError); the previous BI file is then unchanged.
    """
    started = time.monotonic()
    bi_path = bi_path_for(published) if bi_path is None else bi_path
    if not published.is_file():
        raise BiFileError(f"no warehouse at {published}; run `cswh run` first")
    if bi_path.resolve() == published.resolve():
        raise BiFileError(
            f"the BI file would replace the warehouse itself ({published}); "
            f"point {BI_PATH_ENV} at another file"
        )
    bi_path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path_for(bi_path)
    # A killed run's leftovers: DuckDB would replay a stale WAL into the new file.
    remove_partial(partial)
    try:
        rows_by_mart = write_marts(published, partial)
        if wal_path_for(partial).exists():
            raise BiFileError(f"{partial} still has a write-ahead log after its checkpoint")
        # A WAL left by whoever last opened the old BI file read-write would be replayed onto the
        # new one.
        wal_path_for(bi_path).unlink(missing_ok=True)
        os.replace(partial, bi_path)
    except BaseException:
        # Also on KeyboardInterrupt: the previous BI file stays, the partial one goes.
        remove_partial(partial)
        raise
    return BiFileResult(
        path=bi_path,
        marts=list(rows_by_mart),
        rows=sum(rows_by_mart.values()),
        seconds=time.monotonic() - started,
    )


def write_marts(published: Path, partial: Path) -> dict[str, int]:
    """Create ``partial`` holding schema marts only, copied from ``published``; rows per mart."""
    connection = duckdb.connect(":memory:", config={"temp_directory": str(temp_dir_for(partial))})
    try:
        # Attached under its own default name (not an alias): dbt's views name their parents by
        # the warehouse's database name, so any other name would break them.
        connection.execute(f"attach {sql_string(str(published))} (read_only)")
        # The only database besides the in-memory default and DuckDB's internal ones.
        source = connection.execute(
            "select database_name from duckdb_databases() "
            "where not internal and database_name <> current_database()"
        ).fetchone()[0]
        # export.py's queries name marts.<mart> without a database: make the warehouse the
        # default. Its schema lists are read before the BI file is attached, so they list only
        # the warehouse's marts.
        connection.execute(f"use {quote(source)}")
        marts = list_marts(connection)
        if not marts:
            raise BiFileError(f"{published} has no relations in schema {MART_SCHEMA!r}")
        columns_by_mart = {mart: mart_columns(connection, mart) for mart in marts}
        target = f"{source}{BI_STEM_SUFFIX}"
        comments = mart_comments(connection, source, target)

        connection.execute(f"attach {sql_string(str(partial))} as {quote(target)}")
        connection.execute(f"create schema {quote(target)}.{quote(MART_SCHEMA)}")
        rows_by_mart = {
            mart: copy_mart(connection, target, mart, columns_by_mart[mart]) for mart in marts
        }
        # Let go of the warehouse before the checkpoint: it is not needed any more.
        connection.execute(f"use {quote(target)}")
        connection.execute(f"detach {quote(source)}")
        for statement in comments:
            connection.execute(statement)
        connection.execute(f"checkpoint {quote(target)}")
    finally:
        connection.close()
    return rows_by_mart


def copy_mart(
    connection: duckdb.DuckDBPyConnection, target: str, mart: str, columns: list[tuple[str, str]]
) -> int:
    """One mart of the default database as a table of ``target``; returns its row count."""
    table = f"{quote(target)}.{quote(MART_SCHEMA)}.{quote(mart)}"
    connection.execute(f"create table {table} as {export_query(mart, columns, None)}")
    return connection.execute(f"select count(*) from {table}").fetchone()[0]


def mart_comments(connection: duckdb.DuckDBPyConnection, source: str, target: str) -> list[str]:
    """COMMENT ON statements repeating the marts' table and column descriptions in ``target``."""
    relations = connection.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = ? and schema_name = ? and comment is not null "
        "union all "
        "select view_name, comment from duckdb_views() "
        "where database_name = ? and schema_name = ? and comment is not null",
        [source, MART_SCHEMA, source, MART_SCHEMA],
    ).fetchall()
    columns = connection.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and comment is not null",
        [source, MART_SCHEMA],
    ).fetchall()
    schema = f"{quote(target)}.{quote(MART_SCHEMA)}"
    return [
        f"comment on table {schema}.{quote(mart)} is {sql_string(comment)}"
        for mart, comment in relations
    ] + [
        f"comment on column {schema}.{quote(mart)}.{quote(column)} is {sql_string(comment)}"
        for mart, column, comment in columns
    ]
