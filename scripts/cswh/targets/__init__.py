"""Extra dbt targets beside DuckDB: PostgreSQL (`postgres`) and Spark (`spark`).

The Python loader always validates into DuckDB; each target module copies the raw layer to its
engine and runs the same dbt project there. Both are optional extras: `make demo` needs neither.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from cswh.raw_schema import LOAD_AUDIT_TABLE

FULL_REFRESH = "--full-refresh"


def warehouse_loads(source: duckdb.DuckDBPyConnection) -> list[str]:
    """Load ids of a DuckDB warehouse's raw layer, oldest first; empty without a load audit."""
    schema, table = LOAD_AUDIT_TABLE.split(".")
    (audited,) = source.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not audited:
        return []
    rows = source.execute(
        f"select load_id from {LOAD_AUDIT_TABLE} group by load_id order by min(started_at), load_id"
    ).fetchall()
    return [load_id for (load_id,) in rows]


def continues_previous_replica(previous_newest_load: str | None, loads: Sequence[str]) -> bool:
    """Whether a replica of a warehouse with ``loads`` only adds to the previous replica.

    The raw layer is append-only, so a warehouse that holds the previous replica's newest load
    holds everything the previous replica held: incremental tables built from it stay valid.
    Otherwise (another warehouse, an older copy, or no record) they may hold rows the new raw
    layer lacks, and only a full refresh rebuilds them from the new replica alone.
    """
    return previous_newest_load is not None and previous_newest_load in loads


def with_full_refresh_unless_continued(continued: bool, dbt_arguments: Sequence[str]) -> list[str]:
    """dbt build arguments, plus --full-refresh when the replica does not continue the last."""
    arguments = list(dbt_arguments)
    if not continued and FULL_REFRESH not in arguments:
        print(
            "the replicated raw layer does not continue the one the target was built from "
            "(another warehouse, an older copy, or a first build): building with --full-refresh"
        )
        arguments.append(FULL_REFRESH)
    return arguments
