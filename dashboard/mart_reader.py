"""Read-only access to the published marts for the dashboard pages.

The dashboard reads the *BI file* (cswh.bi_file): the marts of the published warehouse and nothing
else, so the raw contacts and quarantined raw records of the warehouse file are out of its reach.
`cswh run` publishes by replacing that file with `os.replace`; a reader that kept a connection
open would keep the old file alive and would never see the new one. So every page load opens a
short-lived read-only connection, runs its batch of queries and closes it. Results are cached for
a short while, keyed by the file's modification time and size, so a publish shows up on the next
page load even inside the cache lifetime.

Metric definitions live in the marts: the queries here select and filter, they never compute a
metric. Anything a page does to a value is formatting (see shaping.py for the one sum and the
gap filling the charts need).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st
from shaping import decimals_to_float

from cswh import settings
from cswh.bi_file import bi_path_for

# Long enough that switching pages or filters does not re-read the file, short enough that a
# reader never looks at stale data for long (a publish changes the key anyway).
CACHE_SECONDS = 60


class WarehouseMissingError(Exception):
    """The BI file does not exist (nothing was built and published yet)."""


@dataclass(frozen=True)
class WarehouseFile:
    """The BI file and the fingerprint that keys the query cache."""

    path: Path
    modified_ns: int
    size_bytes: int

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.modified_ns / 1e9, tz=UTC)


def warehouse_path() -> Path:
    """The BI file: `CSWH_BI_WAREHOUSE_PATH`, else the one beside `CSWH_WAREHOUSE_PATH`.

    Relative paths are relative to the working directory.
    """
    return bi_path_for(settings.warehouse_path())


def published_warehouse() -> WarehouseFile:
    """Stat the BI file; raise WarehouseMissingError when it is not there."""
    path = warehouse_path()
    try:
        stat = path.stat()
    except FileNotFoundError as missing:
        raise WarehouseMissingError(str(path)) from missing
    return WarehouseFile(path=path, modified_ns=stat.st_mtime_ns, size_bytes=stat.st_size)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def _read_batch(
    path: str, modified_ns: int, size_bytes: int, queries: tuple[tuple[str, str], ...]
) -> dict[str, pd.DataFrame]:
    # modified_ns and size_bytes are unused in the body on purpose: they are part of the cache
    # key, so a newly published file is a cache miss.
    del modified_ns, size_bytes
    connection = duckdb.connect(path, read_only=True)
    try:
        # Money may arrive as Python Decimals (decimal(18,2)); charts and sums want floats.
        return {name: decimals_to_float(connection.execute(sql).df()) for name, sql in queries}
    finally:
        connection.close()


def read_marts(**queries: str) -> dict[str, pd.DataFrame]:
    """Run a batch of queries against the marts in one short-lived read-only connection.

    Keyword names become the keys of the returned frames. Raises WarehouseMissingError when the
    BI file is missing.
    """
    published = published_warehouse()
    return _read_batch(
        str(published.path),
        published.modified_ns,
        published.size_bytes,
        tuple(sorted(queries.items())),
    )


def read_mart(sql: str) -> pd.DataFrame:
    """One query: see read_marts."""
    return read_marts(result=sql)["result"]


def sql_literal(value: str) -> str:
    """A string as a SQL literal, quotes doubled: for ids a page picked from the marts' own rows."""
    return "'" + str(value).replace("'", "''") + "'"
