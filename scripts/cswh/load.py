"""Loader: check extract files against their contracts and load them into the raw schema.

Guarantees (each has a test):
- every data row read from a file is either loaded into ``raw`` or written to the quarantine table
  with its reason, and the load-audit table says how many of each;
- a file is loaded in one transaction: a crash part-way leaves nothing of it, and the next run
  loads it whole;
- a file whose content was already loaded is skipped, so loading twice adds nothing;
- a file that cannot be read at all is refused with one message naming it and the problem; the
  other files still load and the run reports failure;
- a row whose foreign key points at no row of the referenced entity (neither already in ``raw``
  nor earlier in the same run) is quarantined: files are loaded parents first so that a child
  arriving with its parent in the same delivery is accepted;
- a row recording an event in the future (past the load time plus a tolerance) is quarantined.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cswh.contracts import ENTITIES, Column, Entity
from cswh.raw_schema import (
    LOAD_AUDIT_TABLE,
    LOADER_DDL,
    QUARANTINE_TABLE,
    WAREHOUSE_TYPES,
    raw_table,
    raw_table_ddl,
)

SUPPORTED_SUFFIXES = (".csv", ".parquet")

# Test hook: crash the process after a file's rows are inserted but before its commit, to prove
# that a half-loaded file leaves nothing behind.
CRASH_BEFORE_COMMIT_ENV = "CSWH_LOADER_CRASH_BEFORE_COMMIT"

# How far past the load time an event timestamp may lie before the row is quarantined. Clocks
# differ between systems, hence a default of one day; a landing written by the generator for days
# after today's date needs a larger value.
FUTURE_TOLERANCE_ENV = "CSWH_LOADER_FUTURE_TOLERANCE_DAYS"
DEFAULT_FUTURE_TOLERANCE_DAYS = 1.0

# Dates that legitimately lie ahead: plans, schedules and service periods billed in advance. Every
# other date or timestamp column records something that already happened, so a value in the
# future is an error. (Candidate for a flag on ``contracts.Column``.)
SCHEDULED_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("subscriptions", "trial_ended_at"),
        ("subscriptions", "started_at"),
        ("subscriptions", "current_term_started_at"),
        ("subscriptions", "current_term_ends_at"),
        ("subscriptions", "ended_at"),
        ("subscription_item_versions", "discount_ends_at"),
        ("subscription_item_versions", "valid_from"),
        ("subscription_item_versions", "valid_to"),
        ("invoices", "period_start_date"),
        ("invoices", "period_end_date"),
        ("invoice_lines", "period_start_date"),
        ("invoice_lines", "period_end_date"),
        ("onboarding_projects", "target_go_live_date"),
        ("success_plan_goals", "target_date"),
        ("opportunities", "close_date"),
    }
)

_INTEGER_PATTERN = r"^[+-]?[0-9]+$"
_DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# An explicit offset is required: a timestamp without one cannot be placed in UTC.
_TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
)


class FileRefused(Exception):
    """The file as a whole cannot be loaded; the message says why and what to do."""


@dataclass
class FileResult:
    path: Path
    entity: str | None
    status: str  # loaded | skipped | refused
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""


@dataclass
class LoadResult:
    load_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "refused"]

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def ok(self) -> bool:
        return not self.refused


def connect_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    connection.execute("set TimeZone = 'UTC'")
    return connection


def ensure_loader_tables(connection: duckdb.DuckDBPyConnection) -> None:
    for statement in LOADER_DDL:
        connection.execute(statement)
    for entity in ENTITIES:
        connection.execute(raw_table_ddl(entity))


def load_order(entities: Iterable[Entity] = ENTITIES) -> list[Entity]:
    """Entities with every referenced entity before its referrers (stable: contract order).

    Self-references (a contact's manager is a contact) do not constrain the order; they are checked
    against the same file instead.
    """
    pending = list(entities)
    names = {entity.name for entity in pending}
    placed: list[Entity] = []
    done: set[str] = set()
    while pending:
        ready = next(
            (
                entity
                for entity in pending
                if all(
                    parent in done or parent == entity.name or parent not in names
                    for parent, _ in entity.references.values()
                )
            ),
            None,
        )
        if ready is None:
            cycle = ", ".join(entity.name for entity in pending)
            raise ValueError(f"the contracts' references form a cycle among: {cycle}")
        placed.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return placed


def discover_files(landing_dir: Path) -> list[tuple[Entity, Path]]:
    """Every extract file under ``<landing>/<source>/<entity>/``: referenced entities first, then
    name order per entity, so parents are in ``raw`` before their children are checked."""
    found: list[tuple[Entity, Path]] = []
    for entity in load_order():
        folder = landing_dir / entity.source / entity.name
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append((entity, path))
    return found


def _has_extract_files(landing_dir: Path, entity: Entity) -> bool:
    folder = landing_dir / entity.source / entity.name
    return folder.is_dir() and any(
        path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES for path in folder.iterdir()
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------ reading


def _check_csv_header(path: Path, entity: Entity) -> None:
    with path.open("rb") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        raise FileRefused(
            "the file is empty (no header line); re-export it with a header row: "
            + ",".join(entity.column_names)
        )
    try:
        header_text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("the header is not UTF-8 text; re-export the file as UTF-8 CSV") from None
    header = next(csv.reader(io.StringIO(header_text)))
    header = [name.strip() for name in header]
    _check_columns(header, entity, delimiter_hint=header_text)


def _check_columns(header: list[str], entity: Entity, delimiter_hint: str = "") -> None:
    expected = entity.column_names
    if header == expected:
        return
    missing = [name for name in expected if name not in header]
    unexpected = [name for name in header if name not in expected]
    if len(header) == 1 and any(sep in delimiter_hint for sep in (";", "\t", "|")):
        raise FileRefused(
            "the header has one column: the file is not comma-delimited; re-export it as CSV "
            "with ',' between fields"
        )
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected column(s) " + ", ".join(unexpected))
    if not problems:
        problems.append("columns in the wrong order")
    raise FileRefused(
        "; ".join(problems)
        + f". The {entity.name} contract expects: "
        + ",".join(expected)
        + ". Fix the export (or change the contract in scripts/cswh/contracts.py on purpose)."
    )


def _count_csv_records(path: Path) -> int:
    """Data records in a CSV file, counted independently of DuckDB's reader."""
    with path.open("rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    quick = sum(1 for line in lines[1:] if line.strip(b"\r"))
    if b'"' not in data:
        return quick
    # Quoted fields may hold line breaks: count records with a real CSV parser.
    text = data.decode("utf-8", errors="replace")
    return sum(1 for row in csv.reader(io.StringIO(text)) if row) - 1


def _read_csv(
    connection: duckdb.DuckDBPyConnection, path: Path, entity: Entity
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """All fields as text, plus the lines the CSV reader could not parse (line, reason, text)."""
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'varchar'" for n in entity.column_names) + "}"
    query = f"""
        select * from read_csv(
            {_sql_string(str(path))},
            header = true, delim = ',', quote = '"', escape = '"', auto_detect = false,
            columns = {columns}, store_rejects = true, parallel = false
        )
    """
    table = connection.execute(query).fetch_arrow_table()
    rejects = connection.execute(
        """
        select
            line,
            string_agg(error_type || ': ' || error_message, '; ' order by column_idx) as reason,
            any_value(csv_line) as csv_line
        from reject_errors
        group by line
        order by line
        """
    ).fetchall()
    connection.execute("drop table if exists reject_errors")
    connection.execute("drop table if exists reject_scans")
    rejected = [(int(line), str(reason), str(text or "")) for line, reason, text in rejects]
    # Lines of the accepted records: the data lines that were not rejected, in file order.
    total = table.num_rows + len(rejected)
    all_lines = np.arange(2, total + 2, dtype=np.int64)
    accepted_lines = np.setdiff1d(all_lines, [r[0] for r in rejected], assume_unique=True)
    table = table.append_column("_source_row_number", pa.array(accepted_lines[: table.num_rows]))
    return table, rejected


def _read_parquet(connection: duckdb.DuckDBPyConnection, path: Path, entity: Entity) -> pa.Table:
    try:
        names = [
            row[0]
            for row in connection.execute(
                f"select name from parquet_schema({_sql_string(str(path))}) where num_children "
                "is null or num_children = 0"
            ).fetchall()
        ]
    except duckdb.Error as error:
        raise FileRefused(f"not a readable Parquet file ({error}); re-export it") from None
    names = [name for name in names if name != "schema"]
    _check_columns(names, entity)
    casts = ", ".join(
        f"cast({_identifier(name)} as varchar) as {_identifier(name)}"
        for name in entity.column_names
    )
    return connection.execute(
        f"select {casts}, file_row_number + 1 as _source_row_number "
        f"from read_parquet({_sql_string(str(path))}, file_row_number = true)"
    ).fetch_arrow_table()


# ------------------------------------------------------------------------------------ checking


def _nullable(name: str) -> str:
    """A field as text, with the empty string read as null (CSV has no other null)."""
    return f"nullif({_identifier(name)}, '')"


def _column_problem(column: Column, future_limit: datetime | None = None) -> str:
    """SQL expression naming what is wrong with one field, or null when it is fine.

    ``future_limit``: the latest acceptable instant for this column (UTC), or None for no check.
    """
    value = _nullable(column.name)
    label = column.name
    checks: list[tuple[str, str]] = []
    # Checks whose message already names the value: (condition, SQL text expression).
    worded_checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{value} is null", f"{label}: required but empty"))
    pattern = {
        "integer": _INTEGER_PATTERN,
        "decimal": _DECIMAL_PATTERN,
        "date": _DATE_PATTERN,
        "timestamp": _TIMESTAMP_PATTERN,
    }.get(column.type)
    if column.type == "boolean":
        checks.append(
            (
                f"{value} is not null and lower({value}) not in ('true', 'false')",
                f"{label}: expected true or false",
            )
        )
    elif pattern is not None:
        hint = {
            "integer": "a whole number",
            "decimal": "a number like 1234.56",
            "date": "a date YYYY-MM-DD",
            "timestamp": "a timestamp with a UTC offset, e.g. 2024-03-05T14:03:22Z",
        }[column.type]
        checks.append(
            (
                f"{value} is not null and (not regexp_full_match({value}, "
                f"{_sql_string(pattern)}) or {_try_typed(column, value)} is null)",
                f"{label}: expected {hint}",
            )
        )
    if column.allowed_values is not None:
        allowed = ", ".join(_sql_string(v) for v in column.allowed_values)
        checks.append(
            (
                f"{value} is not null and {value} not in ({allowed})",
                f"{label}: not one of {'/'.join(column.allowed_values)}",
            )
        )
    for bound, operator, word in (
        (column.min_value, "<", "below"),
        (column.max_value, ">", "above"),
    ):
        if bound is not None:
            checks.append(
                (
                    f"{_try_typed(column, value)} {operator} {bound}",
                    f"{label}: {word} the allowed {'minimum' if word == 'below' else 'maximum'} "
                    f"{bound:g}",
                )
            )
    if future_limit is not None and column.type in ("date", "timestamp"):
        limit = future_limit.strftime("%Y-%m-%d %H:%M:%S")
        # Timestamps are read in UTC (the session time zone), dates as their midnight.
        instant = f"cast({_try_typed(column, value)} as timestamp)"
        worded_checks.append(
            (
                f"{instant} > timestamp {_sql_string(limit)}",
                f"{_sql_string(label + ': ')} || left({value}, 60) || "
                + _sql_string(
                    f" is in the future (after {limit} UTC, the load time plus tolerance)"
                ),
            )
        )
    whens = [
        f"when {condition} then {_sql_string(message)} || ' (got ' || "
        f"coalesce({_sql_quote_value(value)}, 'empty') || ')'"
        for condition, message in checks
    ] + [f"when {condition} then {message}" for condition, message in worded_checks]
    return f"case {' '.join(whens)} end" if whens else "null"


def _sql_quote_value(value: str) -> str:
    return f"'\"' || left({value}, 60) || '\"'"


def _try_typed(column: Column, value: str) -> str:
    if column.type == "timestamp":
        return f"try_cast({value} as timestamptz)"
    return f"try_cast({value} as {WAREHOUSE_TYPES[column.type]})"


def _typed_value(column: Column, value: str) -> str:
    if column.type == "boolean":
        return f"(lower({value}) = 'true')"
    if column.type == "timestamp":
        return f"cast(cast({value} as timestamptz) as timestamp)"
    if column.type == "string":
        return value
    return f"cast({value} as {WAREHOUSE_TYPES[column.type]})"


def _reference_joins(
    entity: Entity, relation: str, unchecked: frozenset[str] = frozenset()
) -> tuple[str, list[str]]:
    """Anti-join parts for the foreign keys: (left joins, problem expressions).

    ``unchecked``: foreign-key columns to leave alone (their parent entity was never delivered).

    A key is known if the referenced raw table holds it (loaded earlier, this run or before); a
    self-reference may also point at a row of the same file.
    """
    entities = {e.name: e for e in ENTITIES}
    joins: list[str] = []
    problems: list[str] = []
    for index, (column, (parent_name, parent_column)) in enumerate(entity.references.items()):
        if column in unchecked:
            continue
        parent = entities[parent_name]
        helper = f"_reference_{index}"
        known = (
            f"select distinct cast({_identifier(parent_column)} as varchar) as {helper} "
            f"from {raw_table(parent)}"
        )
        if parent.name == entity.name:
            known += (
                f" union select distinct {_nullable(parent_column)} from {relation}"
                f" where {_nullable(parent_column)} is not null"
            )
        value = f"nullif(source.{_identifier(column)}, '')"
        joins.append(f"left join ({known}) as {helper} on {helper}.{helper} = {value}")
        problems.append(
            f"case when {value} is not null and {helper}.{helper} is null then "
            f"{_sql_string(f'{column}: no {parent.name} row with {parent_column} ')} "
            f"|| {_sql_quote_value(value)} || "
            f"{_sql_string(' (load the parent first or fix the key)')} end"
        )
    return " ".join(joins), problems


def _checked_relation_sql(
    entity: Entity,
    relation: str,
    future_limit: datetime | None = None,
    unchecked_references: frozenset[str] = frozenset(),
) -> str:
    """Rows of ``relation`` with a ``_problems`` column: null for a good row."""
    problems = ", ".join(
        _column_problem(
            column,
            None if (entity.name, column.name) in SCHEDULED_COLUMNS else future_limit,
        )
        for column in entity.columns
    )
    joins, reference_problems = _reference_joins(entity, relation, unchecked_references)
    references = ", ".join(reference_problems) if reference_problems else "null"
    key = ", ".join(_identifier(k) for k in entity.key)
    all_columns = ", ".join(_identifier(c) for c in entity.column_names)
    return f"""
        with referenced as (
            select source.*, concat_ws('; ', {references}) as _reference_problems
            from {relation} as source {joins}
        ),
        checked as (
            select
                * exclude (_reference_problems),
                concat_ws('; ', {problems}, nullif(_reference_problems, '')) as _field_problems
            from referenced
        ),
        keyed as (
            select
                *,
                count(*) over (partition by {key}) as _key_count,
                count(*) over (partition by {all_columns}) as _identical_count,
                row_number() over (
                    partition by {all_columns} order by _source_row_number
                ) as _identical_rank
            from checked
        )
        select
            * exclude (_field_problems, _key_count, _identical_count, _identical_rank),
            nullif(concat_ws('; ',
                nullif(_field_problems, ''),
                case
                    when _key_count > 1 and _identical_count = _key_count and _identical_rank > 1
                        then 'exact duplicate of an earlier line in this file'
                    when _key_count > 1 and _identical_count < _key_count
                        then 'key ({", ".join(entity.key)}) appears ' || _key_count
                            || ' times in this file with different values; deliver one version'
                end
            ), '') as _problems
        from keyed
    """


# ------------------------------------------------------------------------------------ loading


def _insert_rows(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    load_id: str,
    source_file: str,
    loaded_at: datetime,
) -> int:
    typed = ", ".join(
        f"{_typed_value(c, _nullable(c.name))} as {_identifier(c.name)}" for c in entity.columns
    )
    target_columns = ", ".join(
        [_identifier(c) for c in entity.column_names]
        + ["_source_file", "_source_row_number", "_load_id", "_loaded_at"]
    )
    connection.execute(
        f"""
        insert into {raw_table(entity)} ({target_columns})
        select {typed}, ?, _source_row_number, ?, ?
        from _checked where _problems is null
        """,
        [source_file, load_id, loaded_at],
    )
    return connection.execute("select count(*) from _checked where _problems is null").fetchone()[0]


def _quarantine_rows(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    load_id: str,
    source_file: str,
    loaded_at: datetime,
    unparsable: list[tuple[int, str, str]],
) -> int:
    record = (
        "to_json({"
        + ", ".join(f"{_sql_string(c)}: {_identifier(c)}" for c in entity.column_names)
        + "})"
    )
    connection.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select ?, ?, ?, ?, _source_row_number, _problems, {record}, ?
        from _checked where _problems is not null
        """,
        [load_id, source_file, entity.source, entity.name, loaded_at],
    )
    if unparsable:
        connection.executemany(
            f"insert into {QUARANTINE_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    load_id,
                    source_file,
                    entity.source,
                    entity.name,
                    line,
                    "unreadable line: " + reason,
                    text,
                    loaded_at,
                ]
                for line, reason, text in unparsable
            ],
        )
    checked = connection.execute(
        "select count(*) from _checked where _problems is not null"
    ).fetchone()[0]
    return checked + len(unparsable)


def _audit(
    connection: duckdb.DuckDBPyConnection,
    load_id: str,
    result: FileResult,
    source_file: str,
    entity: Entity,
    sha256: str,
    size: int,
    started_at: datetime,
) -> None:
    connection.execute(
        f"insert into {LOAD_AUDIT_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            source_file,
            entity.source,
            entity.name,
            sha256,
            size,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.status,
            result.message,
            started_at,
            _utc_now(),
        ],
    )


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _relative_name(path: Path, landing_dir: Path) -> str:
    try:
        return path.resolve().relative_to(landing_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    load_id: str,
    landing_dir: Path,
    now: datetime | None = None,
) -> FileResult:
    """Load one file in one transaction; ``now`` (UTC) is the load time the future check uses."""
    source_file = _relative_name(path, landing_dir)
    sha256 = file_sha256(path)
    already = connection.execute(
        f"select source_file from {LOAD_AUDIT_TABLE} where content_sha256 = ? "
        "and entity = ? and status = 'loaded' limit 1",
        [sha256, entity.name],
    ).fetchone()
    if already:
        return FileResult(path, entity.name, "skipped", message=f"already loaded as {already[0]}")

    started_at = _utc_now()
    size = path.stat().st_size
    try:
        if path.suffix.lower() == ".csv":
            _check_csv_header(path, entity)
            table, unparsable = _read_csv(connection, path, entity)
            expected_records = _count_csv_records(path)
            if table.num_rows + len(unparsable) != expected_records:
                raise FileRefused(
                    f"the CSV reader accounted for {table.num_rows + len(unparsable)} records "
                    f"but the file holds {expected_records}; check quoting and line endings"
                )
        else:
            table, unparsable = _read_parquet(connection, path, entity), []
    except FileRefused as refusal:
        result = FileResult(path, entity.name, "refused", message=str(refusal))
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        result = FileResult(
            path,
            entity.name,
            "refused",
            message=f"could not be read as {path.suffix[1:].upper()} ({first_line}); "
            "re-export it in the contract format",
        )
    else:
        undelivered = _undelivered_parents(connection, entity, landing_dir)
        _stage_checked_rows(connection, entity, table, future_limit(now), frozenset(undelivered))
        loaded_at = _utc_now()
        # The raw rows, quarantined rows and audit row of a file commit together or not at all.
        connection.execute("begin transaction")
        try:
            loaded = _insert_rows(connection, entity, load_id, source_file, loaded_at)
            quarantined = _quarantine_rows(
                connection, entity, load_id, source_file, loaded_at, unparsable
            )
            notes = (
                [f"{quarantined} row(s) quarantined, see {QUARANTINE_TABLE}"] if quarantined else []
            )
            notes += [
                f"{column} not checked: no {parent} loaded yet"
                for column, parent in undelivered.items()
            ]
            result = FileResult(
                path,
                entity.name,
                "loaded",
                rows_read=table.num_rows + len(unparsable),
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                message="; ".join(notes),
            )
            _audit(connection, load_id, result, source_file, entity, sha256, size, started_at)
            if os.environ.get(CRASH_BEFORE_COMMIT_ENV) == entity.name:
                os._exit(70)
        except BaseException:
            connection.execute("rollback")
            raise
        connection.execute("commit")
        connection.execute("drop table if exists _checked")
        return result

    _audit(connection, load_id, result, source_file, entity, sha256, size, started_at)
    return result


def _undelivered_parents(
    connection: duckdb.DuckDBPyConnection, entity: Entity, landing_dir: Path
) -> dict[str, str]:
    """Foreign-key columns whose parent entity was never delivered: column -> parent.

    Never delivered: no row in ``raw`` and no file in the landing folder. Such a reference cannot
    be told apart from a source that is not connected yet (a warehouse fed only by the help desk),
    so it is not checked; the load result says so. A parent whose file is in the landing folder but
    was refused does not count as missing: its children are checked (and quarantined). A
    self-reference is always checked: the file itself delivers the parent.
    """
    entities = {e.name: e for e in ENTITIES}
    undelivered: dict[str, str] = {}
    for column, (parent_name, _) in entity.references.items():
        parent = entities[parent_name]
        if parent_name == entity.name or _has_extract_files(landing_dir, parent):
            continue
        empty = connection.execute(
            f"select not exists (select 1 from {raw_table(parent)})"
        ).fetchone()[0]
        if empty:
            undelivered[column] = parent_name
    return undelivered


def _stage_checked_rows(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    table: pa.Table,
    limit: datetime | None = None,
    unchecked_references: frozenset[str] = frozenset(),
) -> None:
    """Materialise the file's rows with their problems as the temp table ``_checked``."""
    connection.register("_incoming", table)
    try:
        connection.execute(
            "create or replace temp table _checked as "
            + _checked_relation_sql(entity, "_incoming", limit, unchecked_references)
        )
    finally:
        connection.unregister("_incoming")


def future_tolerance() -> timedelta:
    """The tolerance for event times past the load time, from the environment (days)."""
    text = os.environ.get(FUTURE_TOLERANCE_ENV, "").strip()
    if not text:
        return timedelta(days=DEFAULT_FUTURE_TOLERANCE_DAYS)
    try:
        days = float(text)
    except ValueError:
        raise ValueError(
            f"{FUTURE_TOLERANCE_ENV}={text!r} is not a number of days (e.g. 1 or 0.5)"
        ) from None
    if days < 0:
        raise ValueError(f"{FUTURE_TOLERANCE_ENV}={text!r} must not be negative")
    return timedelta(days=days)


def future_limit(now: datetime | None = None) -> datetime:
    """Latest acceptable event time (naive UTC): the load time plus the tolerance."""
    if now is None:
        now = _utc_now()
    elif now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now + future_tolerance()


def new_load_id() -> str:
    return datetime.now(UTC).strftime("load_%Y%m%dT%H%M%SZ_") + uuid.uuid4().hex[:8]


def load_landing(
    landing_dir: Path,
    warehouse: Path,
    progress: Callable[[str, int, int], None] | None = None,
    now: datetime | None = None,
) -> LoadResult:
    """Load every extract file not loaded yet; refused files are reported, not raised.

    ``now`` replaces the clock as the load time of the future-date check (tests, replays).
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(
            f"landing folder {landing_dir} does not exist; run `cswh generate` or point "
            "CSWH_LANDING_DIR at your extracts"
        )
    files = discover_files(landing_dir)
    if now is None:
        now = _utc_now()
    future_tolerance()  # a bad setting fails before anything is written
    result = LoadResult(load_id=new_load_id())
    connection = connect_warehouse(warehouse)
    try:
        ensure_loader_tables(connection)
        for done, (entity, path) in enumerate(files, start=1):
            result.files.append(
                load_file(connection, entity, path, result.load_id, landing_dir, now=now)
            )
            if progress:
                progress("load", done, len(files))
    finally:
        connection.close()
    return result


def quarantine_summary(warehouse: Path, load_id: str) -> list[tuple[str, int, str]]:
    """(file, rows, first reason) per file with quarantined rows in one load."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(
            f"""
            select source_file, count(*), min(reason)
            from {QUARANTINE_TABLE} where load_id = ?
            group by source_file order by source_file
            """,
            [load_id],
        ).fetchall()
    finally:
        connection.close()


def describe(files: Iterable[FileResult]) -> str:
    return json.dumps([f.__dict__ | {"path": str(f.path)} for f in files], indent=2)
