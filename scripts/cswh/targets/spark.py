"""Spark target: replication of the raw layer to Parquet, a dbt build on a local pyspark session.

The Python loader validates and quarantines into DuckDB, as it always does; Spark receives the
result by replication, so both engines model exactly the same rows.

    cswh target spark replicate --warehouse W   # DuckDB raw schema -> Parquet + catalog
    cswh target spark build --warehouse W       # replicate + dbt build --target spark
    cswh target spark build --warehouse W --compare   # ... then compare key marts
    cswh target spark build --warehouse W --compare-relations staging.stg_x \
        --select stg_x                         # ... build and compare other relations

dbt-spark's `session` method runs Spark inside the dbt process, so tables must outlive that
process: the `spark` output of `profiles.yml` keeps a Hive metastore on embedded Derby and the
table files under CSWH_SPARK_DIR (default target/spark). Every Spark setting lives in that
profile only; this module reaches Spark through dbt (run in this process with dbtRunner, so
registration, build and comparison share one JVM and pay its start-up once).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cswh import settings
from cswh.raw_schema import RAW_SCHEMA
from cswh.targets import (
    FULL_REFRESH,
    continues_previous_replica,
    warehouse_loads,
    with_full_refresh_unless_continued,
)

TARGET_NAME = "spark"
# Same marts as the PostgreSQL comparison: revenue, movements, churn, cohorts, health and
# escalations cover every kind of arithmetic and date logic the project does.
KEY_MARTS = (
    "fct_account_mrr_monthly",
    "rpt_mrr_waterfall",
    "rpt_churn_retention_monthly",
    "fct_cohort_retention",
    "fct_account_health_weekly",
    "rpt_escalation_kpis",
    "dim_accounts",
)
MARTS_SCHEMA = "marts"
# The newest load of the last replication, in CSWH_SPARK_DIR.
REPLICA_STATE_FILE = "replica_state.json"
# Sums are compared at this many decimal places: double arithmetic may differ in the last bits
# between engines (summation order), never at the fourth decimal of an amount or a rate.
COMPARE_DECIMAL_PLACES = 4
# A ratio `1.0 * a / b` is a double on DuckDB and a decimal of at least 6 places on Spark, so each
# value may differ by half a unit of the sixth decimal and a sum of n of them by n times that.
RATIO_ROUNDING_PER_ROW = 0.5e-6
NUMERIC_TYPE_PREFIXES = ("bigint", "integer", "smallint", "tinyint", "hugeint", "decimal", "double")
NUMERIC_TYPE_PREFIXES += ("float", "real", "numeric", "ubigint", "uinteger")
# Exit codes, as the cswh CLI uses them.
EXIT_OK, EXIT_USAGE, EXIT_BUILD_FAILED = 0, 1, 3


class SparkTargetError(RuntimeError):
    """A problem the user can fix (warehouse missing, pyspark absent, dbt failed): one message."""


def spark_dir() -> Path:
    """Folder of the Spark warehouse, metastore and raw Parquet; absolute, as Derby needs."""
    return settings.spark_dir().resolve()


def raw_parquet_dir() -> Path:
    return spark_dir() / "raw_parquet"


# --------------------------------------------------------------------------- dbt in this process


def _dbt_arguments(*arguments: str) -> list[str]:
    from cswh.dbt_runner import output_arguments, project_arguments

    # dbt prints its own lines here (no progress bar): plain text when not on a terminal.
    return [
        *arguments,
        "--target",
        TARGET_NAME,
        *output_arguments(interactive=False, verbose=True),
        *project_arguments(),
    ]


def invoke_dbt(*arguments: str) -> Any:
    """Run one dbt command against the Spark target in this process; its dbtRunnerResult.

    In-process on purpose: the Spark session (and its JVM) that the first command starts is
    reused by every later one, which saves 10-20 seconds per command on a small build.
    """
    try:
        import pyspark  # noqa: F401  (the `spark` extra)
        from dbt.cli.main import dbtRunner
    except ImportError as error:
        raise SparkTargetError(
            f"the Spark target needs the `spark` extra ({error.name} is missing): "
            'pip install -e ".[spark]"'
        ) from error
    # pyspark logs every failed statement with its full Java stack trace; dbt already reports
    # the error message of the failed node, which is the part a reader needs.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    os.environ["CSWH_SPARK_DIR"] = str(spark_dir())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return dbtRunner().invoke(_dbt_arguments(*arguments))


def run_query(sql: str) -> list[tuple]:
    """Rows of one query on the Spark target, through `dbt show` (all rows, no limit)."""
    result = invoke_dbt("show", "--inline", sql, "--limit", "-1", "--quiet")
    if not result.success:
        raise SparkTargetError(f"query failed on Spark: {result.exception or sql}")
    table = result.result.results[0].agate_table
    return [tuple(row.values()) for row in table.rows]


# --------------------------------------------------------------------------- replication


@dataclass
class ReplicationResult:
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # Whether the new replica only adds to the previous one (see continues_previous_replica).
    continues_previous: bool = False

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _raw_tables(source: duckdb.DuckDBPyConnection) -> list[str]:
    rows = source.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _export_select(source: duckdb.DuckDBPyConnection, table: str) -> str:
    """A select of the raw table whose Parquet Spark reads with the warehouse's types.

    DuckDB writes a plain timestamp as Parquet's local (not-UTC-adjusted) timestamp, which
    Spark reads as timestamp_ntz; as timestamptz (the values are UTC) it becomes Spark's
    `timestamp`, the type `dbt.type_timestamp()` names there.
    """
    columns = source.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [RAW_SCHEMA, table],
    ).fetchall()
    selected = [
        f'cast("{name}" as timestamptz) as "{name}"' if data_type == "TIMESTAMP" else f'"{name}"'
        for name, data_type in columns
    ]
    return f'select {", ".join(selected)} from "{RAW_SCHEMA}"."{table}"'


def export_raw_parquet(warehouse: Path, folder: Path | None = None) -> dict[str, int]:
    """Write each DuckDB raw table to <folder>/<table>/data.parquet; rows per table.

    Each table gets its own folder because a Spark table's location is a folder. A folder is
    replaced whole, so a table that lost rows upstream never keeps stale files.
    """
    if not warehouse.exists():
        raise SparkTargetError(f"warehouse {warehouse} not found: run `cswh load` first")
    folder = folder or raw_parquet_dir()
    exported: dict[str, int] = {}
    source = duckdb.connect(str(warehouse), read_only=True)
    try:
        source.execute("set TimeZone = 'UTC'")
        for table in _raw_tables(source):
            table_dir = folder / table
            shutil.rmtree(table_dir, ignore_errors=True)
            table_dir.mkdir(parents=True)
            source.execute(
                f"copy ({_export_select(source, table)}) "
                f"to '{table_dir / 'data.parquet'}' (format parquet)"
            )
            exported[table] = source.execute(
                f'select count(*) from "{RAW_SCHEMA}"."{table}"'
            ).fetchone()[0]
    finally:
        source.close()
    if not exported:
        raise SparkTargetError(f"warehouse {warehouse} has no {RAW_SCHEMA} tables: run `cswh load`")
    return exported


def replicate(warehouse: Path) -> ReplicationResult:
    """Export the raw layer to Parquet and register each table in Spark's catalog as raw.<table>.

    Registration is the project macro `spark_register_parquet_tables`, run through dbt so that it
    uses the very session settings (metastore, warehouse folder) the build will use. The newest
    load replicated is recorded in CSWH_SPARK_DIR/replica_state.json, so that the next
    replication can tell whether it continues this one.
    """
    started = time.monotonic()
    state_path = spark_dir() / REPLICA_STATE_FILE
    previous = json.loads(state_path.read_text()) if state_path.exists() else {}
    state_path.unlink(missing_ok=True)  # until this replication has succeeded
    with duckdb.connect(str(warehouse), read_only=True) as source:
        loads = warehouse_loads(source)
    exported = export_raw_parquet(warehouse)
    tables = {name: str(raw_parquet_dir() / name) for name in exported}
    result = invoke_dbt(
        "run-operation",
        "spark_register_parquet_tables",
        "--args",
        json.dumps({"schema_name": RAW_SCHEMA, "locations": tables}),
    )
    if not result.success:
        raise SparkTargetError(f"registering the raw tables in Spark failed: {result.exception}")
    counts = run_query(
        " union all ".join(
            f"select '{name}' as table_name, count(*) as row_count from {RAW_SCHEMA}.{name}"
            for name in exported
        )
    )
    replicated = {name: int(count) for name, count in counts}
    wrong = {name: (replicated.get(name), rows) for name, rows in exported.items()}
    wrong = {name: counts for name, counts in wrong.items() if counts[0] != counts[1]}
    if wrong:
        raise SparkTargetError(f"Spark row counts differ from DuckDB (spark, duckdb): {wrong}")
    newest = loads[-1] if loads else None
    state_path.write_text(json.dumps({"newest_load_id": newest, "warehouse": str(warehouse)}))
    return ReplicationResult(
        tables=replicated,
        seconds=time.monotonic() - started,
        continues_previous=continues_previous_replica(previous.get("newest_load_id"), loads),
    )


# --------------------------------------------------------------------------- engine comparison


@dataclass
class MartFingerprint:
    """Row count, sum of every numeric column and count of true values of every boolean."""

    rows: int
    sums: dict[str, float | None]
    # Columns that are doubles on DuckDB: ratios, which Spark computes in 6-place decimals.
    ratios: frozenset[str] = frozenset()


def _qualified(relation: str) -> tuple[str, str]:
    """(schema, table) of `schema.table`, or of a bare mart name."""
    schema, _, table = relation.rpartition(".")
    return schema or MARTS_SCHEMA, table


def _fingerprint_sql(relation: str, columns: Sequence[tuple[str, str]]) -> str:
    """One query whose single row fingerprints a relation; the same SQL on DuckDB and Spark."""
    measures = ["count(*)"]
    for name, data_type in columns:
        kind = data_type.lower()
        if kind == "boolean":
            measures.append(f"sum(case when {name} then 1 else 0 end)")
        elif kind.startswith(NUMERIC_TYPE_PREFIXES):
            # double: a decimal sum can overflow its precision on Spark, where DuckDB widens it.
            measures.append(f"sum(cast({name} as double))")
    schema, table = _qualified(relation)
    return f"select {', '.join(measures)} from {schema}.{table}"


def _measured_columns(columns: Sequence[tuple[str, str]]) -> list[str]:
    return [
        name
        for name, data_type in columns
        if data_type.lower() == "boolean" or data_type.lower().startswith(NUMERIC_TYPE_PREFIXES)
    ]


def fingerprint_marts(
    warehouse: Path, query_spark: Callable[[str], list[tuple]], marts: Sequence[str] = KEY_MARTS
) -> dict[str, tuple[MartFingerprint, MartFingerprint]]:
    """(DuckDB, Spark) fingerprints of each mart (or `schema.table`); DuckDB's columns."""
    source = duckdb.connect(str(warehouse), read_only=True)
    fingerprints = {}
    try:
        for mart in marts:
            columns = source.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                list(_qualified(mart)),
            ).fetchall()
            if not columns:
                raise SparkTargetError(
                    "{}.{} is missing from {}".format(*_qualified(mart), warehouse)
                )
            sql = _fingerprint_sql(mart, columns)
            measured = _measured_columns(columns)
            duckdb_row = source.execute(sql).fetchone()
            spark_row = query_spark(sql)[0]
            fingerprints[mart] = tuple(
                MartFingerprint(
                    rows=int(row[0]),
                    sums={
                        name: None if value is None else float(value)
                        for name, value in zip(measured, row[1:], strict=True)
                    },
                    ratios=frozenset(
                        name for name, data_type in columns if data_type.upper() == "DOUBLE"
                    ),
                )
                for row in (duckdb_row, spark_row)
            )
    finally:
        source.close()
    return fingerprints


def _same_number(left: float | None, right: float | None, tolerance: float = 0.0) -> bool:
    if left is None or right is None:
        return left is right
    if abs(left - right) <= tolerance:
        return True
    rounded_left = round(Decimal(left), COMPARE_DECIMAL_PLACES)
    rounded_right = round(Decimal(right), COMPARE_DECIMAL_PLACES)
    # Large sums of doubles may differ in their last bits, which round() alone cannot absorb.
    return rounded_left == rounded_right or math.isclose(left, right, rel_tol=1e-12)


def differences(fingerprints: dict[str, tuple[MartFingerprint, MartFingerprint]]) -> list[str]:
    """One line per disagreement between DuckDB and Spark; empty when the marts agree."""
    found = []
    for mart, (on_duckdb, on_spark) in fingerprints.items():
        if on_duckdb.rows != on_spark.rows:
            found.append(f"{mart}: {on_duckdb.rows} rows on DuckDB, {on_spark.rows} on Spark")
        for column, duckdb_sum in on_duckdb.sums.items():
            spark_sum = on_spark.sums[column]
            tolerance = RATIO_ROUNDING_PER_ROW * on_duckdb.rows if column in on_duckdb.ratios else 0
            if not _same_number(duckdb_sum, spark_sum, tolerance):
                found.append(f"{mart}.{column}: sum {duckdb_sum} on DuckDB, {spark_sum} on Spark")
    return found


# --------------------------------------------------------------------------- build


def build(
    warehouse: Path,
    dbt_arguments: Sequence[str] = (),
    compare: bool = False,
    relations: Sequence[str] = KEY_MARTS,
) -> dict[str, Any]:
    """Replicate, `dbt build --target spark` and optionally compare ``relations`` (marts or
    `schema.table`) with the DuckDB warehouse; a timed summary."""
    began = time.monotonic()
    replication = replicate(warehouse)
    dbt_arguments = with_full_refresh_unless_continued(
        replication.continues_previous, dbt_arguments
    )
    build_began = time.monotonic()
    result = invoke_dbt("build", *dbt_arguments)
    summary: dict[str, Any] = {
        "engine": TARGET_NAME,
        "warehouse": str(warehouse),
        "spark_dir": str(spark_dir()),
        "tables_replicated": len(replication.tables),
        "rows_replicated": replication.rows,
        "replicate_seconds": round(replication.seconds, 1),
        "dbt_build_seconds": round(time.monotonic() - build_began, 1),
        "dbt_ok": bool(result.success),
        "full_refresh": FULL_REFRESH in dbt_arguments,
        "differences": [],
    }
    # Compared even when a data test failed: the marts exist, and a difference explains more
    # than a failed test alone. A mart that could not be built makes the comparison fail.
    if compare:
        compare_began = time.monotonic()
        try:
            fingerprints = fingerprint_marts(warehouse, run_query, relations)
        except SparkTargetError as error:
            summary["differences"] = [f"comparison impossible: {error}"]
        else:
            summary["differences"] = differences(fingerprints)
            summary["marts_compared"] = {
                mart: {"rows_duckdb": pair[0].rows, "rows_spark": pair[1].rows}
                for mart, pair in fingerprints.items()
            }
        summary["compare_seconds"] = round(time.monotonic() - compare_began, 1)
    summary["total_seconds"] = round(time.monotonic() - began, 1)
    summary["ok"] = summary["dbt_ok"] and not summary["differences"]
    return summary


# --------------------------------------------------------------------------- command line


def replicate_command(warehouse: Path) -> int:
    try:
        replication = replicate(warehouse)
    except SparkTargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"replicated {len(replication.tables)} table(s), {replication.rows:,} rows, "
        f"to {raw_parquet_dir()} in {replication.seconds:.1f}s"
    )
    return EXIT_OK


def build_command(
    warehouse: Path,
    dbt_arguments: Sequence[str],
    compare: bool,
    relations: Sequence[str],
    summary_json: Path | None,
) -> int:
    """`cswh target spark build`: build, compare ``relations`` (or the key marts), summarise."""
    try:
        summary = build(
            warehouse,
            dbt_arguments,
            compare=compare or bool(relations),
            relations=relations or KEY_MARTS,
        )
    except SparkTargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if summary_json:
        summary_json.write_text(json.dumps(summary, indent=2) + "\n")
    for line in summary["differences"]:
        print(f"  DIFFERENT {line}", file=sys.stderr)
    print(
        f"spark build {'passed' if summary['ok'] else 'FAILED'}: replicated "
        f"{summary['rows_replicated']:,} rows in {summary['replicate_seconds']}s, dbt build "
        f"{summary['dbt_build_seconds']}s"
        + (
            f", {len(summary.get('marts_compared', {}))} relations compared"
            if "marts_compared" in summary
            else ""
        )
        + f"; {summary['total_seconds']}s in all"
    )
    return EXIT_OK if summary["ok"] else EXIT_BUILD_FAILED
