"""Loader: check extract files against their contracts and load them into the raw schema.

Guarantees (each has a test; docs/loading.md's loader table lists them):
- every data row read from a file is either loaded into ``raw`` or written to the quarantine table
  with its reason, and the load-audit table says how many of each;
- every path under the landing folder is accounted for: an extract is loaded, skipped (content
  already loaded) or refused; anything else (unknown folder, unsupported type, subfolder, dangling
  link, unreadable file) is refused with an audit row naming it, and hidden files (in-progress
  transfers) are ignored with an audit row. Nothing is skipped silently;
- a file name is a path, never a pattern: ``[ab].csv`` or ``*.csv`` loads that file's own rows;
- a file is read once: its hash and its rows come from the same bytes, and a file that changes
  while it is read (still being written) is refused and tried again by the next load;
- a file is loaded in one transaction: a crash part-way leaves nothing of it, and the next run
  loads it whole;
- a file whose content was already loaded is skipped, so loading twice adds nothing;
- a file that cannot be read at all is refused with one message naming it and the problem; the
  other files still load and the run reports failure;
- every field is trimmed; a field that is empty or only whitespace is missing (null), so
  ``'id '`` and ``'id'`` are one key and a blank required field is quarantined;
- a row whose foreign key points at no row of the referenced entity (neither already in ``raw``
  nor earlier in the same run) is quarantined: files are loaded parents first so that a child
  arriving with its parent in the same delivery is accepted;
- a row recording an event in the future (past the load time plus a tolerance) is quarantined;
- a full disk stops the load with :class:`cswh.disk.DiskFull` (nothing of the current file kept).

Row numbers: ``_source_row_number`` and the quarantine's ``source_row_number`` are the physical
line of a CSV record (the header is line 1; a record whose quoted field spans lines has the
number of its first line) and the 1-based row of a Parquet file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cswh import settings
from cswh.contracts import ENTITIES, Column, Entity
from cswh.disk import disk_full, is_disk_full
from cswh.landing import (
    FileRefused,
    LandingProblem,
    Snapshot,
    extract_format,
    has_extract_files,
    read_snapshot,
    scan_landing,
)
from cswh.lock import warehouse_lock
from cswh.raw_schema import (
    LOAD_AUDIT_TABLE,
    LOADER_DDL,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    WAREHOUSE_TYPES,
    raw_table,
    raw_table_ddl,
)
from cswh.vendors import loading as vendor_loading

# Test hooks: crash the process after a file's rows are inserted but before its commit (to prove
# a half-loaded file leaves nothing behind), or right after its commit (to leave committed rows
# in the write-ahead log, as a crash or power cut between two files does).
CRASH_BEFORE_COMMIT_ENV = "CSWH_LOADER_CRASH_BEFORE_COMMIT"
CRASH_AFTER_COMMIT_ENV = "CSWH_LOADER_CRASH_AFTER_COMMIT"

# How far past the load time an event timestamp may lie before the row is quarantined. Clocks
# differ between systems, hence a default of one day; a landing written by the generator for days
# after today's date needs a larger value.
FUTURE_TOLERANCE_ENV = "CSWH_LOADER_FUTURE_TOLERANCE_DAYS"

# Trimmed from both ends of every field: ASCII whitespace, the no-break space spreadsheets insert
# and a stray byte-order mark. Whitespace inside a value is kept.
TRIMMED_CHARACTERS = " \t\n\r\f\v\u00a0\ufeff"

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
        ("subscriptions", "paused_at"),
        ("subscriptions", "resumes_at"),
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


@dataclass
class FileResult:
    path: Path
    entity: str | None
    status: str  # loaded | skipped | refused | ignored
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    rows_skipped: int = 0  # vendor rows skipped with a counted reason (native files: 0)


@dataclass
class LoadResult:
    load_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def ignored(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "ignored"]

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def ok(self) -> bool:
        return not self.refused


# Called with each file's parsed records (all text, before any check), e.g. by `cswh run` to
# run the Great Expectations extract suite on exactly the rows the loader reads.
RecordsHook = Callable[[Entity, str, pa.Table], None]


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
    _add_new_contract_columns(connection)


def _add_new_contract_columns(connection: duckdb.DuckDBPyConnection) -> None:
    """Give raw tables made under an older contract the columns added since (empty in old rows)."""
    existing = set(
        connection.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [RAW_SCHEMA],
        ).fetchall()
    )
    for entity in ENTITIES:
        for column in entity.columns:
            if (entity.table_name, column.name) not in existing:
                connection.execute(
                    f"alter table {raw_table(entity)} add column {_identifier(column.name)} "
                    f"{WAREHOUSE_TYPES[column.type]}"
                )


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------ reading


def _check_csv_header(content: bytes, entity: Entity) -> list[str]:
    first_line = content.split(b"\n", 1)[0]
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
    return _check_columns(header, entity, delimiter_hint=header_text)


def _check_columns(header: list[str], entity: Entity, delimiter_hint: str = "") -> list[str]:
    """The contract's columns the file leaves out, all optional; raises FileRefused otherwise.

    A file may leave out optional (not required) columns, so extracts written before a column
    was added still load: the absent columns load as empty and the audit row names them. Every
    required column must be there, nothing unknown may be, and the order is the contract's.
    """
    expected = entity.column_names
    if header == expected:
        return []
    repeated = [name for name, count in Counter(header).items() if count > 1]
    absent = [name for name in expected if name not in header]
    missing = [name for name in absent if entity.column(name).required]
    unexpected = [name for name in header if name not in expected]
    in_order = [name for name in expected if name in header] == header
    if not (repeated or missing or unexpected) and in_order:
        return absent
    if len(header) == 1 and any(sep in delimiter_hint for sep in (";", "\t", "|")):
        raise FileRefused(
            "the header has one column: the file is not comma-delimited; re-export it as CSV "
            "with ',' between fields"
        )
    problems = []
    if repeated:
        problems.append(
            "column(s) named more than once in the header: "
            + ", ".join(f"{name} ({Counter(header)[name]} times)" for name in repeated)
        )
    # Beside an unexpected column, an absent optional one is likely renamed: name it too.
    if missing or (absent and unexpected):
        problems.append("missing column(s) " + ", ".join(absent if unexpected else missing))
    if unexpected:
        problems.append("unexpected column(s) " + ", ".join(unexpected))
    if not (repeated or unexpected or in_order):
        problems.append("columns in the wrong order")
    raise FileRefused(
        "; ".join(problems)
        + f". The {entity.name} contract expects: "
        + ",".join(expected)
        + ". Fix the export (or change the contract in scripts/cswh/contracts.py on purpose)."
    )


@dataclass(frozen=True)
class CsvLayout:
    """Where each data record of a CSV file starts, told apart from blank lines.

    ``lines``: the physical line (1-based, header = 1) where each record starts.
    ``ordinals``: the same record's number as DuckDB's reader counts it in ``reject_errors``
    (one per record or blank line, so a quoted field spanning lines counts once).
    """

    lines: np.ndarray
    ordinals: np.ndarray


def csv_layout(content: bytes) -> CsvLayout:
    """Record positions, found independently of DuckDB's reader (which counts them)."""
    if b'"' not in content:
        # No quoting: every non-blank line is one record, and DuckDB's count is the line number.
        codes = np.frombuffer(content, dtype=np.uint8)
        breaks = np.flatnonzero(codes == 10)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(codes)]))
        if starts[-1] == len(codes):  # the text ends with a line break: no last line
            starts, ends = starts[:-1], ends[:-1]
        lengths = ends - starts
        first_byte = codes[np.minimum(starts, max(len(codes) - 1, 0))] if len(codes) else starts
        blank = (lengths == 0) | ((lengths == 1) & (first_byte == 13))
        line_numbers = np.arange(1, len(starts) + 1, dtype=np.int64)
        records = line_numbers[~blank][1:]  # the first non-blank line is the header
        return CsvLayout(records, records)
    # Quoted fields may hold line breaks: walk the records with a real CSV parser.
    reader = csv.reader(io.StringIO(content.decode("utf-8", errors="replace")))
    lines: list[int] = []
    ordinals: list[int] = []
    previous_end = 0
    for ordinal, row in enumerate(reader, start=1):
        if row and ordinal > 1:
            lines.append(previous_end + 1)
            ordinals.append(ordinal)
        previous_end = reader.line_num
    return CsvLayout(np.array(lines, dtype=np.int64), np.array(ordinals, dtype=np.int64))


def _read_csv(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    entity: Entity,
    layout: CsvLayout,
    absent: list[str],
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """All fields as text, plus the lines the CSV reader could not parse (line, reason, text).

    ``path`` is the loader's private copy, whose name holds no glob characters. ``absent``:
    optional columns the file leaves out, read as empty.
    """
    present = [name for name in entity.column_names if name not in absent]
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'varchar'" for n in present) + "}"
    selected = ", ".join(
        f"cast(null as varchar) as {_identifier(name)}" if name in absent else _identifier(name)
        for name in entity.column_names
    )
    query = f"""
        select {selected} from read_csv(
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
    if table.num_rows + len(rejects) != len(layout.lines):
        raise FileRefused(
            f"the CSV reader accounted for {table.num_rows + len(rejects)} records but the file "
            f"holds {len(layout.lines)}; check quoting and line endings"
        )
    line_of = dict(zip(layout.ordinals.tolist(), layout.lines.tolist(), strict=True))
    rejected_ordinals = [int(ordinal) for ordinal, _, _ in rejects]
    rejected = [
        (line_of.get(int(ordinal), int(ordinal)), str(reason), str(text or ""))
        for ordinal, reason, text in rejects
    ]
    accepted = ~np.isin(layout.ordinals, rejected_ordinals)
    table = table.append_column("_source_row_number", pa.array(layout.lines[accepted]))
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
    absent = _check_columns(names, entity)
    casts = ", ".join(
        f"cast({'null' if name in absent else _identifier(name)} as varchar) as {_identifier(name)}"
        for name in entity.column_names
    )
    table = connection.execute(
        f"select {casts}, file_row_number + 1 as _source_row_number "
        f"from read_parquet({_sql_string(str(path))}, file_row_number = true)"
    ).fetch_arrow_table()
    return _note_absent(table, absent)


ABSENT_COLUMNS_METADATA = b"cswh_absent_columns"


def _note_absent(table: pa.Table, absent: list[str]) -> pa.Table:
    """Records which optional columns the file left out, for the audit row."""
    if not absent:
        return table
    return table.replace_schema_metadata({ABSENT_COLUMNS_METADATA: ",".join(absent).encode()})


def absent_columns(table: pa.Table) -> list[str]:
    """The optional columns the file behind ``table`` left out (see ``_check_columns``)."""
    noted = (table.schema.metadata or {}).get(ABSENT_COLUMNS_METADATA, b"")
    return [name for name in noted.decode().split(",") if name]


def parse_snapshot(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    snapshot: Snapshot,
    work_dir: Path,
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """The snapshot's records as text, and its unparsable CSV lines (line, reason, text).

    DuckDB reads a private copy of the snapshot whose name holds no glob characters (its readers
    expand ``*``, ``?``, ``[..]`` and ``{..}`` in a path). Raises :class:`FileRefused`.
    """
    kind = extract_format(path)
    if kind == "csv":
        absent = _check_csv_header(snapshot.content, entity)
        layout = csv_layout(snapshot.content)
    private_copy = work_dir / f"extract.{kind}"
    try:
        private_copy.write_bytes(snapshot.content)
    except OSError as error:
        private_copy.unlink(missing_ok=True)
        if is_disk_full(error):
            raise disk_full("copying an extract for reading", private_copy) from error
        raise
    try:
        if kind == "csv":
            table, rejected = _read_csv(connection, private_copy, entity, layout, absent)
            return _note_absent(table, absent), rejected
        return _read_parquet(connection, private_copy, entity), []
    except duckdb.Error as error:
        if is_disk_full(error):
            raise disk_full("reading an extract", private_copy) from error
        first_line = str(error).strip().splitlines()[0]
        raise FileRefused(
            f"could not be read as {kind.upper()} ({first_line}); re-export it in the contract "
            "format"
        ) from None
    finally:
        private_copy.unlink(missing_ok=True)


def read_records(entity: Entity, path: Path) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """One extract's records exactly as the loader reads them (for checks outside a load)."""
    connection = duckdb.connect()
    try:
        with tempfile.TemporaryDirectory(prefix="cswh-read-") as temporary:
            return parse_snapshot(connection, entity, path, read_snapshot(path), Path(temporary))
    finally:
        connection.close()


# ------------------------------------------------------------------------------------ checking


def _field(name: str) -> str:
    """A field of the normalised relation (trimmed; empty is null), see ``_normalised_sql``."""
    return _identifier(name)


def _normalised_sql(entity: Entity, relation: str, extra: tuple[str, ...] = ()) -> str:
    """Every field trimmed, and empty (or whitespace-only) fields null: blank is missing."""
    trimmed = _sql_string(TRIMMED_CHARACTERS)
    # Trimming a character set costs several times a regex test on values that need none (most).
    padded = _sql_string(f"^[{TRIMMED_CHARACTERS}]|[{TRIMMED_CHARACTERS}]$")
    fields = ", ".join(
        f"case when regexp_matches({_identifier(name)}, {padded}) "
        f"then nullif(trim({_identifier(name)}, {trimmed}), '') "
        f"else nullif({_identifier(name)}, '') end as {_identifier(name)}"
        for name in entity.column_names
    )
    passed = ", ".join(("_source_row_number", *extra))
    return f"select {fields}, {passed} from {relation}"


def _column_problem(column: Column, future_limit: datetime | None = None) -> str:
    """SQL expression naming what is wrong with one field, or null when it is fine.

    ``future_limit``: the latest acceptable instant for this column (UTC), or None for no check.
    """
    value = _field(column.name)
    label = column.name
    checks: list[tuple[str, str]] = []
    # Checks whose message already names the value: (condition, SQL text expression).
    worded_checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{value} is null", f"{label}: required but empty"))
    pattern = {
        "integer": _INTEGER_PATTERN,
        "decimal": _DECIMAL_PATTERN,
        "rate": _DECIMAL_PATTERN,
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
            "rate": "a number like 0.006712",
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
    # A NUL byte is binary data in a text file: never loaded, and never echoed in the reason.
    nul_byte = f"when contains({value}, chr(0)) then " + _sql_string(
        f"{label}: contains a NUL byte (binary data); re-export the file as text"
    )
    whens = (
        [nul_byte]
        + [
            f"when {condition} then {_sql_string(message)} || ' (got ' || "
            f"coalesce({_sql_quote_value(value)}, 'empty') || ')'"
            for condition, message in checks
        ]
        + [f"when {condition} then {message}" for condition, message in worded_checks]
    )
    return f"case {' '.join(whens)} end"


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
                f" union select distinct {_field(parent_column)} from {relation}"
                f" where {_field(parent_column)} is not null"
            )
        value = f"source.{_identifier(column)}"
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
    extra: tuple[str, ...] = (),
) -> str:
    """Rows of ``relation`` with a ``_problems`` column: null for a good row.

    ``extra``: columns of ``relation`` passed through unchecked (a mapped vendor row's lineage).
    """
    problems = ", ".join(
        _column_problem(
            column,
            None if (entity.name, column.name) in SCHEDULED_COLUMNS else future_limit,
        )
        for column in entity.columns
    )
    joins, reference_problems = _reference_joins(entity, "normalised", unchecked_references)
    references = ", ".join(reference_problems) if reference_problems else "null"
    key = ", ".join(_identifier(k) for k in entity.key)
    all_columns = ", ".join(_identifier(c) for c in entity.column_names)
    return f"""
        with normalised as ({_normalised_sql(entity, relation, extra)}),
        referenced as (
            select source.*, concat_ws('; ', {references}) as _reference_problems
            from normalised as source {joins}
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
    source_file: str | None,
    loaded_at: datetime,
) -> int:
    """Insert the good rows of ``_checked``; ``source_file`` None: each row's ``_source_file``."""
    typed = ", ".join(
        f"{_typed_value(c, _field(c.name))} as {_identifier(c.name)}" for c in entity.columns
    )
    target_columns = ", ".join(
        [_identifier(c) for c in entity.column_names]
        + ["_source_file", "_source_row_number", "_load_id", "_loaded_at"]
    )
    connection.execute(
        f"""
        insert into {raw_table(entity)} ({target_columns})
        select {typed}, {"_source_file" if source_file is None else "?"}, _source_row_number, ?, ?
        from _checked where _problems is null
        """,
        ([] if source_file is None else [source_file]) + [load_id, loaded_at],
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
    source_system: str | None,
    sha256: str,
    size: int | None,
    started_at: datetime,
) -> None:
    """One audit row per file and load; ``sha256`` is empty for a file that was never read."""
    connection.execute(
        f"insert into {LOAD_AUDIT_TABLE} ({', '.join(AUDIT_COLUMNS)}) "
        f"values ({', '.join('?' for _ in AUDIT_COLUMNS)})",
        [
            load_id,
            source_file,
            source_system,
            result.entity,
            sha256,
            size,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.status,
            result.message,
            started_at,
            _utc_now(),
            result.rows_skipped,
        ],
    )


AUDIT_COLUMNS = (
    "load_id",
    "source_file",
    "source_system",
    "entity",
    "content_sha256",
    "file_bytes",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "status",
    "message",
    "started_at",
    "finished_at",
    "rows_skipped",
)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _relative_name(path: Path, landing_dir: Path) -> str:
    """The path below the landing folder, as delivered (a symbolic link is not resolved)."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(landing_dir)).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    load_id: str,
    landing_dir: Path,
    now: datetime | None = None,
    work_dir: Path | None = None,
    records_hook: RecordsHook | None = None,
    vendor_delivered: frozenset[str] = frozenset(),
) -> FileResult:
    """Load one file in one transaction; ``now`` (UTC) is the load time the future check uses.

    ``work_dir`` holds the private copy DuckDB reads (a temporary folder when not given).
    """
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="cswh-load-") as temporary:
            return load_file(
                connection,
                entity,
                path,
                load_id,
                landing_dir,
                now,
                Path(temporary),
                records_hook,
                vendor_delivered,
            )
    source_file = _relative_name(path, landing_dir)
    started_at = _utc_now()
    try:
        snapshot = read_snapshot(path)
    except FileRefused as refusal:
        result = FileResult(path, entity.name, "refused", message=str(refusal))
        _audit(connection, load_id, result, source_file, entity.source, "", None, started_at)
        return result
    already = connection.execute(
        f"select source_file from {LOAD_AUDIT_TABLE} where content_sha256 = ? "
        "and entity = ? and status = 'loaded' limit 1",
        [snapshot.sha256, entity.name],
    ).fetchone()
    if already:
        return FileResult(path, entity.name, "skipped", message=f"already loaded as {already[0]}")

    audit = (snapshot.sha256, snapshot.file_bytes, started_at)
    try:
        table, unparsable = parse_snapshot(connection, entity, path, snapshot, work_dir)
    except FileRefused as refusal:
        result = FileResult(path, entity.name, "refused", message=str(refusal))
        _audit(connection, load_id, result, source_file, entity.source, *audit)
        return result
    if records_hook is not None:
        records_hook(entity, source_file, table)
    undelivered = _undelivered_parents(connection, entity, landing_dir, vendor_delivered)
    _stage_checked_rows(connection, entity, table, future_limit(now), frozenset(undelivered))
    loaded_at = _utc_now()
    # The raw rows, quarantined rows and audit row of a file commit together or not at all.
    connection.execute("begin transaction")
    try:
        loaded = _insert_rows(connection, entity, load_id, source_file, loaded_at)
        quarantined = _quarantine_rows(
            connection, entity, load_id, source_file, loaded_at, unparsable
        )
        notes = [f"{quarantined} row(s) quarantined, see {QUARANTINE_TABLE}"] if quarantined else []
        notes += [
            f"{column} not checked: no {parent} loaded yet"
            for column, parent in undelivered.items()
        ]
        if absent := absent_columns(table):
            notes.append(
                "optional column(s) not in the file, loaded as empty: " + ", ".join(absent)
            )
        result = FileResult(
            path,
            entity.name,
            "loaded",
            rows_read=table.num_rows + len(unparsable),
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            message="; ".join(notes),
        )
        _audit(connection, load_id, result, source_file, entity.source, *audit)
        if settings.loader_crash_before_commit() == entity.name:
            os._exit(70)
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    if settings.loader_crash_after_commit() == entity.name:
        os._exit(71)
    connection.execute("drop table if exists _checked")
    return result


def _undelivered_parents(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    landing_dir: Path,
    vendor_delivered: frozenset[str] = frozenset(),
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
        if (
            parent_name == entity.name
            or parent_name in vendor_delivered
            or has_extract_files(landing_dir, parent)
        ):
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
    return timedelta(days=settings.loader_future_tolerance_days())


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
    records_hook: RecordsHook | None = None,
    lock: bool = True,
    wait_seconds: float = 0.0,
) -> LoadResult:
    """Load every extract file not loaded yet; refused files are reported, not raised.

    ``now`` replaces the clock as the load time of the future-date check (tests, replays).
    ``lock``: take the warehouse's write lock (see :mod:`cswh.lock`); `cswh run` already holds
    the published warehouse's lock while it loads its candidate. Raises
    :class:`cswh.lock.WarehouseBusy` when another writer holds it, :class:`cswh.disk.DiskFull`
    when the disk fills up (the file being loaded is rolled back).
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(
            f"landing folder {landing_dir} does not exist; run `cswh generate` or point "
            "CSWH_LANDING_DIR at your extracts"
        )
    if lock:
        with warehouse_lock(warehouse, "cswh load", wait_seconds):
            return load_landing(landing_dir, warehouse, progress, now, records_hook, lock=False)
    scan = scan_landing(landing_dir)
    if now is None:
        now = _utc_now()
    future_tolerance()  # a bad setting fails before anything is written
    result = LoadResult(load_id=new_load_id())
    try:
        connection = connect_warehouse(warehouse)
    except duckdb.Error as error:
        if is_disk_full(error):
            raise disk_full("opening the warehouse", warehouse) from error
        raise
    try:
        ensure_loader_tables(connection)
        _record_landing_problems(connection, result, scan.problems, landing_dir)
        vendor_loads = vendor_loading.prepare_vendor_loads(
            connection, scan, lambda path: _relative_name(path, landing_dir)
        )
        vendor_delivered = vendor_loading.vendor_delivered(vendor_loads)
        by_entity: dict[str, list[Path]] = {}
        for entity, path in scan.extracts:
            by_entity.setdefault(entity.name, []).append(path)
        total = len(scan.extracts) + len(vendor_loads)
        done = 0
        started_at = _utc_now()
        with tempfile.TemporaryDirectory(prefix=".cswh-load-", dir=warehouse.parent) as temporary:
            for entity in vendor_loading.entities_in_load_order():
                for path in by_entity.get(entity.name, []):
                    try:
                        file_result = load_file(
                            connection,
                            entity,
                            path,
                            result.load_id,
                            landing_dir,
                            now=now,
                            work_dir=Path(temporary),
                            records_hook=records_hook,
                            vendor_delivered=vendor_delivered,
                        )
                    except (duckdb.Error, OSError) as error:
                        if is_disk_full(error):
                            raise disk_full(f"loading {path} into", warehouse) from error
                        raise
                    result.files.append(file_result)
                    done += 1
                    if progress:
                        progress("load", done, total)
                for vendor_load in vendor_loads:
                    if not vendor_load.mapping:
                        continue
                    undelivered = _undelivered_parents(
                        connection, entity, landing_dir, vendor_delivered
                    )
                    try:
                        vendor_loading.load_vendor_entity(
                            connection,
                            entity,
                            vendor_load,
                            result.load_id,
                            _utc_now(),
                            future_limit(now),
                            frozenset(undelivered),
                        )
                    except (duckdb.Error, OSError) as error:
                        if is_disk_full(error):
                            where = f"loading {vendor_load.vendor} into"
                            raise disk_full(where, warehouse) from error
                        raise
            for vendor_load in vendor_loads:
                result.files += vendor_loading.finish_vendor_load(
                    connection, vendor_load, result.load_id, started_at, _audit, FileResult
                )
                done += 1
                if progress:
                    progress("load", done, total)
    except OSError as error:
        if is_disk_full(error):  # the temporary folder itself could not be made
            raise disk_full("preparing the load of", warehouse) from error
        raise
    finally:
        connection.close()
    return result


def _record_landing_problems(
    connection: duckdb.DuckDBPyConnection,
    result: LoadResult,
    problems: list[LandingProblem],
    landing_dir: Path,
) -> None:
    """An audit row (refused, or ignored for hidden files) for every path that is no extract."""
    for problem in problems:
        entity = problem.entity
        file_result = FileResult(
            problem.path,
            entity.name if entity else None,
            "ignored" if problem.ignored else "refused",
            message=problem.message,
        )
        _audit(
            connection,
            result.load_id,
            file_result,
            _relative_name(problem.path, landing_dir),
            entity.source if entity else None,
            "",
            None,
            _utc_now(),
        )
        result.files.append(file_result)


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
