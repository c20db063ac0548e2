"""PostgreSQL target: a private local server, replication of the raw layer, a dbt build, a check.

The Python loader validates and quarantines into DuckDB, as it always does; PostgreSQL receives
the result by replication, never by a second loader, so both engines model exactly the same rows.

    cswh target postgres server start|stop|status
    cswh target postgres replicate --warehouse W   # DuckDB raw schema -> PostgreSQL
    cswh target postgres build --warehouse W       # replicate + dbt build on postgres
    cswh target postgres compare --warehouse W     # key marts equal on both engines?

Connection settings are the ones `profiles.yml` reads (CSWH_PG_HOST, CSWH_PG_PORT, CSWH_PG_USER,
CSWH_PG_PASSWORD, CSWH_PG_DBNAME); CSWH_PG_DIR is where the local server keeps its cluster.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
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

# The marts whose rows must be identical on DuckDB and PostgreSQL: revenue, movements, churn,
# cohorts, health and escalations cover every kind of arithmetic and date logic the project does.
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
# One row: the newest load of the last replication (the loader's audit is not replicated).
REPLICA_STATE_TABLE = f"{RAW_SCHEMA}._replica_state"
# Numbers must agree to this many decimal places (and in fact far beyond: see values_agree).
COMPARE_DECIMAL_PLACES = 4
COPY_CHUNK_BYTES = 1 << 20


# --------------------------------------------------------------------------- connection settings


@dataclass(frozen=True)
class Connection:
    """Where the PostgreSQL target lives; the same variables and defaults as `profiles.yml`."""

    host: str = "127.0.0.1"
    port: int = 5433
    user: str = "cswh"
    password: str = ""
    dbname: str = "cs_warehouse"

    @classmethod
    def from_env(cls) -> Connection:
        return cls(**settings.postgres_connection())

    def connect(self, dbname: str | None = None) -> Any:
        return _psycopg2().connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.dbname,
            connect_timeout=10,
        )

    def dbt_env(self) -> dict[str, str]:
        """Variables for dbt (profiles.yml reads them): the server this module reaches."""
        return {
            "CSWH_PG_HOST": self.host,
            "CSWH_PG_PORT": str(self.port),
            "CSWH_PG_USER": self.user,
            "CSWH_PG_PASSWORD": self.password,
            "CSWH_PG_DBNAME": self.dbname,
        }


class PostgresTargetError(RuntimeError):
    """A problem the user can fix (no binaries, server down, warehouse missing): one message."""


def _psycopg2() -> Any:
    """psycopg2 comes with the `postgres` extra: imported late, so DuckDB-only installs work."""
    try:
        import psycopg2
    except ImportError as error:
        raise PostgresTargetError(
            'psycopg2 is missing: install the PostgreSQL extra, pip install -e ".[postgres]"'
        ) from error
    return psycopg2


# --------------------------------------------------------------------------- local server


def server_dir() -> Path:
    return settings.postgres_dir()


def find_postgres_bin_dir() -> Path | None:
    """Folder holding initdb and pg_ctl: CSWH_PG_BIN_DIR, the PATH, or Debian's versioned folder."""
    if configured := settings.postgres_bin_dir():
        return configured
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    # Debian keeps the server binaries off the PATH, one folder per major version.
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def install_postgres() -> Path:
    """Install Debian's PostgreSQL server package when its binaries are missing."""
    if bin_dir := find_postgres_bin_dir():
        return bin_dir
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    if os.geteuid() != 0 and not shutil.which("sudo"):
        raise PostgresTargetError(
            "PostgreSQL is not installed and this user cannot install it: run "
            "`apt-get install -y postgresql` as root, or set CSWH_PG_BIN_DIR to its bin folder"
        )
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    print("PostgreSQL not found: installing it with apt-get", file=sys.stderr)
    for command in ([*apt, "update"], [*apt, "install", "-y", "postgresql"]):
        if subprocess.run(command, env=env, check=False).returncode != 0:
            raise PostgresTargetError(f"`{' '.join(command)}` failed; install PostgreSQL by hand")
    if bin_dir := find_postgres_bin_dir():
        return bin_dir
    raise PostgresTargetError("apt-get installed postgresql but no pg_ctl was found")


def _as_cluster_owner(command: Sequence[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` user."""
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: Sequence[str], what: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise PostgresTargetError(
            f"{what} failed (exit {completed.returncode}): "
            f"{(completed.stderr or completed.stdout).strip()}"
        )
    return completed


def _server_options(connection: Connection, socket_dir: Path) -> str:
    # A private, disposable build server: loopback only, UTC like the DuckDB target, and without
    # crash-safety writes (fsync), which cost minutes on a build and protect nothing worth keeping:
    # the cluster is rebuilt from the DuckDB warehouse on every run. Memory is sized for an
    # analytical build rather than PostgreSQL's small OLTP defaults (128 MB buffers, 4 MB per sort),
    # which push every window function and hash join of a large model to disk. JIT compilation
    # costs more than it saves on the many short queries of a dbt build.
    settings_ = {
        "port": str(connection.port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{socket_dir}'",
        "TimeZone": "UTC",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "1GB",
        "work_mem": "256MB",
        "maintenance_work_mem": "512MB",
        "effective_cache_size": "8GB",
        "jit": "off",
    }
    return " ".join(f"-c {name}={value}" for name, value in settings_.items())


def server_status(connection: Connection | None = None) -> bool:
    """True when the target server accepts connections."""
    connection = connection or Connection.from_env()
    try:
        connection.connect(dbname="postgres").close()
    except _psycopg2().OperationalError:
        return False
    return True


def start_server(connection: Connection | None = None, base_dir: Path | None = None) -> Connection:
    """Start the private local cluster (creating it first), then make sure the database exists.

    Idempotent: a server already answering on the port is used as it is. The cluster lives in
    `base_dir` (default: CSWH_PG_DIR, else target/postgres).
    """
    connection = connection or Connection.from_env()
    if not server_status(connection):
        if connection.host not in ("127.0.0.1", "localhost"):
            raise PostgresTargetError(
                f"no PostgreSQL answers at {connection.host}:{connection.port}; a remote server "
                "is not started from here"
            )
        _start_local_cluster(connection, (base_dir or server_dir()).resolve())
    _create_database(connection)
    return connection


def _start_local_cluster(connection: Connection, base: Path) -> None:
    bin_dir = install_postgres()
    data_dir, socket_dir, log_file = base / "data", base / "socket", base / "server.log"
    socket_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # The cluster belongs to the `postgres` user, who must be able to write all of it...
        shutil.chown(base, user="postgres", group="postgres")
        for path in base.rglob("*"):
            shutil.chown(path, user="postgres", group="postgres")
        # ...and to reach it: a folder under a private home directory is out of its reach.
        reachable = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-w", str(base)], check=False
        )
        if reachable.returncode != 0:
            raise PostgresTargetError(
                f"the postgres user cannot reach {base}: set CSWH_PG_DIR to a folder whose "
                "parents every user may enter (under /tmp, say)"
            )
    if not (data_dir / "PG_VERSION").exists():
        # C collation: strings sort by code point, as in DuckDB, so ordered results agree.
        _run(
            _as_cluster_owner(
                [
                    str(bin_dir / "initdb"),
                    "--pgdata",
                    str(data_dir),
                    "--username",
                    connection.user,
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",
                ]
            ),
            "initdb",
        )
    _run(
        _as_cluster_owner(
            [
                str(bin_dir / "pg_ctl"),
                "--pgdata",
                str(data_dir),
                "--log",
                str(log_file),
                "--options",
                _server_options(connection, socket_dir),
                "--wait",
                "start",
            ]
        ),
        f"starting PostgreSQL (see {log_file})",
    )


def _create_database(connection: Connection) -> None:
    admin = connection.connect(dbname="postgres")
    try:
        admin.autocommit = True  # create database cannot run inside a transaction
        with admin.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (connection.dbname,))
            if cursor.fetchone() is None:
                cursor.execute(f'create database "{connection.dbname}"')
    finally:
        admin.close()


def stop_server(base_dir: Path | None = None) -> bool:
    """Stop the private local cluster; False when it was not running."""
    data_dir = (base_dir or server_dir()).resolve() / "data"
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None or not (data_dir / "postmaster.pid").exists():
        return False
    _run(
        _as_cluster_owner(
            [str(bin_dir / "pg_ctl"), "--pgdata", str(data_dir), "--mode", "fast", "stop"]
        ),
        "stopping PostgreSQL",
    )
    return True


# --------------------------------------------------------------------------- replication


# Spelled as PostgreSQL's format_type() reports them, so an existing table's columns can be
# compared with the wanted ones as plain strings.
_SIMPLE_TYPES = {
    "VARCHAR": "character varying",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "DOUBLE": "double precision",
    "FLOAT": "real",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type holding the same values as a DuckDB column type."""
    if simple := _SIMPLE_TYPES.get(duckdb_type.upper()):
        return simple
    if decimal := _DECIMAL.fullmatch(duckdb_type.upper()):
        return f"numeric({decimal[1]},{decimal[2]})"
    raise PostgresTargetError(f"no PostgreSQL type for the DuckDB type {duckdb_type!r}")


@dataclass
class TableCopy:
    schema: str
    table: str
    rows: int


@dataclass
class ReplicationResult:
    tables: list[TableCopy] = field(default_factory=list)
    seconds: float = 0.0
    # Whether the new replica only adds to the previous one (see continues_previous_replica).
    continues_previous: bool = False

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _duckdb_tables(source: duckdb.DuckDBPyConnection, schemas: Iterable[str]) -> list[tuple]:
    schema_list = list(schemas)
    return source.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' "
        "order by table_schema, table_name",
        [schema_list],
    ).fetchall()


def _duckdb_columns(source: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple]:
    return source.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()


def _postgres_columns(cursor: Any, schema: str, table: str) -> list[tuple]:
    cursor.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_attribute as a "
        "join pg_class as c on c.oid = a.attrelid "
        "join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind = 'r' "
        "and a.attnum > 0 and not a.attisdropped order by a.attnum",
        (schema, table),
    )
    return cursor.fetchall()


def replicate(
    warehouse: Path,
    connection: Connection | None = None,
    schemas: Sequence[str] = (RAW_SCHEMA,),
) -> ReplicationResult:
    """Copy every table of the given DuckDB schemas into PostgreSQL, in one transaction.

    Each table is exported by DuckDB to a temporary CSV file and streamed to PostgreSQL with
    `COPY FROM STDIN` in chunks, so memory stays flat whatever the scale. A table whose columns
    already match is truncated and refilled (the staging views that read it survive); one whose
    columns changed is dropped with its dependent views (dbt recreates them) and re-created.
    Readers see the old replica or the new one, never a mix. Row counts are checked after copy.
    The newest load replicated is recorded in `raw._replica_state`, so that the next replication
    can tell whether it continues this one.
    """
    if not warehouse.exists():
        raise PostgresTargetError(f"warehouse {warehouse} not found: run `cswh load` first")
    connection = connection or Connection.from_env()
    started = time.monotonic()
    result = ReplicationResult()
    source = duckdb.connect(str(warehouse), read_only=True)
    target = connection.connect()
    try:
        source.execute("set TimeZone = 'UTC'")
        with target.cursor() as cursor, tempfile.TemporaryDirectory(prefix="cswh-pg-") as scratch:
            cursor.execute("set local TimeZone = 'UTC'")
            loads = warehouse_loads(source)
            result.continues_previous = continues_previous_replica(
                _previous_newest_load(cursor), loads
            )
            for schema, table in _duckdb_tables(source, schemas):
                columns = _duckdb_columns(source, schema, table)
                rows = _copy_table(source, cursor, schema, table, columns, Path(scratch))
                result.tables.append(TableCopy(schema, table, rows))
            _record_newest_load(cursor, loads[-1] if loads else None, warehouse)
        target.commit()
    except BaseException:
        target.rollback()
        raise
    finally:
        target.close()
        source.close()
    result.seconds = time.monotonic() - started
    return result


def _previous_newest_load(cursor: Any) -> str | None:
    cursor.execute("select to_regclass(%s)", (REPLICA_STATE_TABLE,))
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"select newest_load_id from {REPLICA_STATE_TABLE}")
    row = cursor.fetchone()
    return row[0] if row else None


def _record_newest_load(cursor: Any, newest_load: str | None, warehouse: Path) -> None:
    cursor.execute(
        f"create table if not exists {REPLICA_STATE_TABLE} "
        "(newest_load_id varchar, warehouse varchar, replicated_at timestamp)"
    )
    cursor.execute(f"delete from {REPLICA_STATE_TABLE}")
    cursor.execute(
        f"insert into {REPLICA_STATE_TABLE} values (%s, %s, now() at time zone 'UTC')",
        (newest_load, str(warehouse)),
    )


def _copy_table(
    source: duckdb.DuckDBPyConnection,
    cursor: Any,
    schema: str,
    table: str,
    columns: list[tuple],
    scratch: Path,
) -> int:
    wanted = [(name, postgres_type(duckdb_type)) for name, duckdb_type in columns]
    qualified = f"{_quote(schema)}.{_quote(table)}"
    cursor.execute(f"create schema if not exists {_quote(schema)}")
    existing = _postgres_columns(cursor, schema, table)
    if existing and existing != wanted:
        cursor.execute(f"drop table {qualified} cascade")
        existing = []
    if existing:
        cursor.execute(f"truncate table {qualified}")
    else:
        column_ddl = ", ".join(f"{_quote(name)} {sql_type}" for name, sql_type in wanted)
        cursor.execute(f"create table {qualified} ({column_ddl})")

    column_list = ", ".join(_quote(name) for name, _ in wanted)
    csv_path = scratch / f"{schema}.{table}.csv"
    # DuckDB writes NULL as an empty field and an empty string as "", which is exactly how
    # PostgreSQL's CSV format tells them apart.
    source.execute(
        f"copy (select {column_list} from {qualified}) to '{csv_path}' (format csv, header false)"
    )
    with csv_path.open("rb") as stream:
        cursor.copy_expert(
            f"copy {qualified} ({column_list}) from stdin with (format csv)",
            stream,
            size=COPY_CHUNK_BYTES,
        )
    csv_path.unlink()
    cursor.execute(f"analyze {qualified}")

    expected = source.execute(f"select count(*) from {qualified}").fetchone()[0]
    cursor.execute(f"select count(*) from {qualified}")
    copied = cursor.fetchone()[0]
    if copied != expected:
        raise PostgresTargetError(f"{schema}.{table}: copied {copied} rows of {expected}")
    return copied


# --------------------------------------------------------------------------- dbt build


def dbt_build(connection: Connection | None = None, *arguments: str) -> int:
    """`dbt build --target postgres` (seeds, models, data tests, unit tests); the exit code."""
    from cswh.dbt_runner import run_dbt

    connection = connection or Connection.from_env()
    return run_dbt(
        ["build", "--target", "postgres", *arguments], step="postgres", env=connection.dbt_env()
    )


def timed_build(
    warehouse: Path,
    connection: Connection | None = None,
    dbt_arguments: Sequence[str] = (),
    start: bool = True,
) -> dict[str, Any]:
    """Replicate a loaded DuckDB warehouse to PostgreSQL and build it there, timing each step.

    For the benchmark: returns the engine, rows replicated, seconds per step and whether dbt
    passed. Starts the local server first unless `start` is False.
    """
    connection = connection or Connection.from_env()
    began = time.monotonic()
    if start:
        start_server(connection)
    server_seconds = time.monotonic() - began
    replication = replicate(warehouse, connection)
    dbt_arguments = with_full_refresh_unless_continued(
        replication.continues_previous, dbt_arguments
    )
    build_began = time.monotonic()
    exit_code = dbt_build(connection, *dbt_arguments)
    build_seconds = time.monotonic() - build_began
    return {
        "engine": "postgres",
        "warehouse": str(warehouse),
        "tables_replicated": len(replication.tables),
        "rows_replicated": replication.rows,
        "server_start_seconds": round(server_seconds, 2),
        "replicate_seconds": round(replication.seconds, 2),
        "dbt_build_seconds": round(build_seconds, 2),
        "full_refresh": FULL_REFRESH in dbt_arguments,
        "total_seconds": round(time.monotonic() - began, 2),
        "dbt_exit_code": exit_code,
        "ok": exit_code == 0,
    }


# --------------------------------------------------------------------------- engine comparison


@dataclass
class MartComparison:
    mart: str
    duckdb_rows: int
    postgres_rows: int
    columns: list[str] = field(default_factory=list)
    # (DuckDB row, PostgreSQL row) pairs that differ, after sorting both sides the same way.
    different_rows: list[tuple[tuple, tuple]] = field(default_factory=list)
    problem: str = ""

    @property
    def equal(self) -> bool:
        return not self.problem


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _sort_key(row: tuple) -> tuple:
    """Order rows the same way on both engines: numbers by value at the compared precision,
    None first, and values of different types never compared with each other."""
    key = []
    for value in row:
        if value is None:
            key.append((0, "", 0))
        elif _is_number(value):
            key.append((1, "number", round(float(value), COMPARE_DECIMAL_PLACES)))
        else:
            key.append((2, type(value).__name__, value))
    return tuple(key)


def values_agree(duckdb_value: Any, postgres_value: Any) -> bool:
    """Equal, or for numbers equal to within float noise.

    DuckDB computes ratios in double precision and PostgreSQL in exact numeric, so the same
    formula can differ around the 15th significant digit: 79.57045000000001 against 79.57045.
    Rounding both to 4 decimals would split exactly such half-way values, so numbers agree when
    they differ by less than a millionth of the precision compared (a real defect, a value off
    by a rounding step or more, is far larger).
    """
    if _is_number(duckdb_value) and _is_number(postgres_value):
        tolerance = 10 ** -(COMPARE_DECIMAL_PLACES + 6)
        scale = max(1.0, abs(float(duckdb_value)), abs(float(postgres_value)))
        return abs(float(duckdb_value) - float(postgres_value)) <= tolerance * scale
    return duckdb_value == postgres_value


def mart_tables(warehouse: Path) -> list[str]:
    """Every table of the DuckDB warehouse's marts schema."""
    with duckdb.connect(str(warehouse), read_only=True) as source:
        return [table for _, table in _duckdb_tables(source, [MARTS_SCHEMA])]


def compare_marts(
    warehouse: Path,
    connection: Connection | None = None,
    marts: Sequence[str] = KEY_MARTS,
    example_limit: int = 5,
) -> list[MartComparison]:
    """Compare each mart row by row between the DuckDB warehouse and the PostgreSQL target.

    Both sides are read with the same columns in the same order and sorted the same way; then
    row i of one must equal row i of the other, value by value (see `values_agree`).
    """
    connection = connection or Connection.from_env()
    comparisons = []
    source = duckdb.connect(str(warehouse), read_only=True)
    target = connection.connect()
    try:
        source.execute("set TimeZone = 'UTC'")
        with target.cursor() as cursor:
            for mart in marts:
                comparisons.append(_compare_mart(source, cursor, mart, example_limit))
    finally:
        target.close()
        source.close()
    return comparisons


def _compare_mart(source: Any, cursor: Any, mart: str, example_limit: int) -> MartComparison:
    qualified = f"{_quote(MARTS_SCHEMA)}.{_quote(mart)}"
    duckdb_columns = [name for name, _ in _duckdb_columns(source, MARTS_SCHEMA, mart)]
    cursor.execute(
        "select column_name from information_schema.columns "
        "where table_schema = %s and table_name = %s",
        (MARTS_SCHEMA, mart),
    )
    postgres_columns = {name for (name,) in cursor.fetchall()}
    if not duckdb_columns or set(duckdb_columns) != postgres_columns:
        return MartComparison(
            mart,
            0,
            0,
            problem=f"columns differ: DuckDB {sorted(duckdb_columns)}, "
            f"PostgreSQL {sorted(postgres_columns)}",
        )
    column_list = ", ".join(_quote(name) for name in duckdb_columns)
    query = f"select {column_list} from {qualified}"
    duckdb_rows = sorted(source.execute(query).fetchall(), key=_sort_key)
    cursor.execute(query)
    postgres_rows = sorted(cursor.fetchall(), key=_sort_key)
    comparison = MartComparison(mart, len(duckdb_rows), len(postgres_rows), duckdb_columns)
    if len(duckdb_rows) != len(postgres_rows):
        comparison.problem = "row counts differ"
        return comparison

    different = [
        (duckdb_row, postgres_row)
        for duckdb_row, postgres_row in zip(duckdb_rows, postgres_rows, strict=True)
        if not all(map(values_agree, duckdb_row, postgres_row))
    ]
    if different:
        comparison.problem = f"{len(different)} row(s) differ"
        comparison.different_rows = different[:example_limit]
    return comparison


# --------------------------------------------------------------------------- command line


def _print_comparisons(comparisons: list[MartComparison]) -> None:
    for comparison in comparisons:
        verdict = "equal" if comparison.equal else f"DIFFERENT: {comparison.problem}"
        print(
            f"  {comparison.mart:<30} duckdb {comparison.duckdb_rows:>7} rows, "
            f"postgres {comparison.postgres_rows:>7} rows: {verdict}"
        )
        for duckdb_row, postgres_row in comparison.different_rows:
            # The first column is the mart's key; then only the columns that disagree.
            differences = ", ".join(
                f"{column}: duckdb {duckdb_value!r} postgres {postgres_value!r}"
                for column, duckdb_value, postgres_value in zip(
                    comparison.columns, duckdb_row, postgres_row, strict=True
                )
                if not values_agree(duckdb_value, postgres_value)
            )
            print(f"      {comparison.columns[0]} {duckdb_row[0]!r}: {differences}")


def handle_errors(command: Callable[[], int]) -> int:
    """Run one command of the target; a problem the user can fix is one message and exit 1."""
    try:
        return command()
    except PostgresTargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except _psycopg2().Error as error:
        print(f"error: PostgreSQL refused: {str(error).strip()}", file=sys.stderr)
        return 1


def replicate_command(warehouse: Path) -> int:
    replication = replicate(warehouse)
    print(
        f"replicated {len(replication.tables)} table(s), {replication.rows:,} rows, "
        f"in {replication.seconds:.1f}s"
    )
    return 0


def build_command(warehouse: Path, dbt_arguments: Sequence[str]) -> int:
    timings = timed_build(warehouse, dbt_arguments=dbt_arguments)
    print(
        f"postgres build {'passed' if timings['ok'] else 'FAILED'}: replicated "
        f"{timings['rows_replicated']:,} rows in {timings['replicate_seconds']}s, "
        f"dbt build {timings['dbt_build_seconds']}s"
    )
    return 0 if timings["ok"] else 3


def compare_command(warehouse: Path, all_marts: bool) -> int:
    marts = mart_tables(warehouse) if all_marts else KEY_MARTS
    comparisons = compare_marts(warehouse, marts=marts)
    _print_comparisons(comparisons)
    different = [c.mart for c in comparisons if not c.equal]
    if different:
        print(f"error: DuckDB and PostgreSQL differ in {', '.join(different)}", file=sys.stderr)
        return 3
    print(f"all {len(comparisons)} marts compared are identical on DuckDB and PostgreSQL")
    return 0


def server_command(action: str) -> int:
    connection = Connection.from_env()
    if action == "start":
        start_server(connection)
        print(f"PostgreSQL ready at {connection.host}:{connection.port}/{connection.dbname}")
    elif action == "stop":
        print("PostgreSQL stopped" if stop_server() else "PostgreSQL was not running")
    else:
        running = server_status(connection)
        print(f"PostgreSQL at {connection.host}:{connection.port}: {'up' if running else 'down'}")
        return 0 if running else 1
    return 0
