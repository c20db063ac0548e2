"""What every vendor adapter shares: reading vendor files, and accounting for every row read.

A vendor delivery lies in ``<landing>/<vendor>/<table>/`` (CSV, gzip CSV, Parquet or JSON lines)
in the shape an ELT tool lands (Fivetran's schema; Airbyte and dlt are close) or, for some
vendors, the shape of the vendor's own dashboard export. Headers are matched loosely: case,
spaces and punctuation do not matter (``Customer ID`` is ``customer_id``), and each table lists
the other names vendors and tools use for a column (its aliases).

An adapter turns the rows of every table of one vendor into rows of the canonical contract
(:mod:`cswh.contracts`). It settles every vendor row it reads exactly once, through
:class:`MappedBatch`:

- **mapped**: it produced, or contributed to, at least one contract row;
- **skipped** with a counted reason (a Stripe test-mode row, a row deleted in the source);
- **quarantined** with a reason (file, line and the record are kept).

A row the adapter leaves unsettled is quarantined as an adapter fault, and a contract row the
loader then quarantines (a bad value, an unknown key) takes its vendor rows with it, so for each
vendor file read = mapped + skipped + quarantined holds by construction.

Every value an adapter sees is text or None (blank is None): Parquet and JSON values are turned
into text the way a CSV export writes them (timestamps in ISO 8601 with their offset, nested
objects as JSON), so one adapter reads all three formats.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cswh.contracts import ENTITIES, Entity

# Name endings of vendor files, and the format each holds.
VENDOR_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl",
}
VENDOR_TYPES_TEXT = ".csv, .csv.gz, .parquet, .jsonl or .ndjson (optionally .gz)"

TRIMMED = " \t\n\r\f\v\u00a0\ufeff"

# Columns ELT tools add to every table. A row Fivetran marks deleted no longer exists in the
# source, so adapters skip it (a table that models deletion itself, like tickets, reads it).
FIVETRAN_DELETED = "_fivetran_deleted"
AIRBYTE_DATA = "_airbyte_data"
TRUE_TEXTS = frozenset({"true", "t", "1", "yes", "y"})
FALSE_TEXTS = frozenset({"false", "f", "0", "no", "n"})


def vendor_format(path: Path) -> str | None:
    name = path.name.lower()
    return next((kind for ending, kind in VENDOR_FORMATS.items() if name.endswith(ending)), None)


def normalise_header(name: str) -> str:
    """``'Customer ID'``, ``'customer-id'`` and ``'CUSTOMER_ID '`` are all ``customer_id``."""
    text = name.strip(TRIMMED).lower()
    text = re.sub(r"[^0-9a-z]+", "_", text)
    leading = "_" if name.strip(TRIMMED).startswith("_") else ""
    return leading + text.strip("_")


class VendorFileRefused(Exception):
    """A vendor file cannot be read at all; the message says why and what to do."""


@dataclass(frozen=True)
class VendorTable:
    """One table of a vendor: its folder name, the columns an adapter reads and their aliases.

    ``columns`` maps each column (Fivetran's name) to the other header names that mean it
    (already in :func:`normalise_header` form). ``required`` columns must be in every file.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    required: frozenset[str] = frozenset()
    description: str = ""

    def header_map(self, headers: Iterable[str]) -> dict[str, str]:
        """Delivered header (normalised) -> column, for the headers this table knows."""
        lookup: dict[str, str] = {}
        for column, aliases in self.columns.items():
            for name in (column, *aliases):
                lookup.setdefault(normalise_header(name), column)
        found: dict[str, str] = {}
        for header in headers:
            column = lookup.get(normalise_header(header))
            if column is not None and column not in found.values():
                found[header] = column
        return found


@dataclass
class VendorRow:
    """One record of a vendor file: where it came from and its values (text, blank is None)."""

    table: str
    file: str
    line: int
    values: dict[str, str | None]

    def __getitem__(self, column: str) -> str | None:
        return self.values.get(column)

    def get(self, column: str, default: str | None = None) -> str | None:
        value = self.values.get(column)
        return default if value is None else value

    @property
    def key(self) -> tuple[str, int]:
        return (self.file, self.line)


# ------------------------------------------------------------------------------------ reading


def _text(value: Any) -> str | None:
    """A Parquet or JSON value as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip(TRIMMED)
    return value or None


@dataclass
class ParsedFile:
    """A vendor file's records, and its lines that are no record (line, reason, text)."""

    rows: list[VendorRow]
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.unreadable)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise VendorFileRefused(
            f"is not UTF-8 text (line {line}, byte {error.start}); export it again as UTF-8"
        ) from None


def _check_headers(table: VendorTable, headers: list[str]) -> dict[str, str]:
    normalised = [normalise_header(h) for h in headers if h is not None]
    repeated = sorted({h for h in normalised if h and normalised.count(h) > 1})
    if repeated:
        raise VendorFileRefused(
            f"repeats the column(s) {', '.join(repeated)} in its header; deliver each column once"
        )
    found = table.header_map(headers)
    missing = sorted(table.required - set(found.values()))
    if missing:
        expected = "; ".join(
            f"{column} (or {', '.join(table.columns[column])})" if table.columns[column] else column
            for column in missing
        )
        raise VendorFileRefused(
            f"lacks the column(s) {expected} that {table.name} needs; the header has: "
            f"{', '.join(h for h in headers if h) or 'nothing'}"
        )
    return found


def _parse_csv(table: VendorTable, file: str, content: bytes) -> ParsedFile:
    text = _decode(content)
    if not text.strip(TRIMMED):
        raise VendorFileRefused("is empty (not even a header); deliver the table with its header")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        headers = next(reader)
    except csv.Error as error:
        raise VendorFileRefused(f"has an unreadable header ({error})") from None
    header_map = _check_headers(table, headers)
    positions = [(index, header_map.get(h)) for index, h in enumerate(headers)]
    parsed = ParsedFile([])
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            parsed.unreadable.append((line, f"unreadable CSV record ({error})", ""))
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not record or (len(record) == 1 and not record[0].strip(TRIMMED)):
            continue  # a blank line is no record
        if "\x00" in "".join(record):
            parsed.unreadable.append((start, "contains a NUL byte", ""))
            continue
        if len(record) != len(headers):
            parsed.unreadable.append(
                (
                    start,
                    f"has {len(record)} fields where the header has {len(headers)}",
                    ",".join(record)[:500],
                )
            )
            continue
        values = {column: _clean(record[i]) for i, column in positions if column is not None}
        parsed.rows.append(VendorRow(table.name, file, start, values))
    return parsed


def _parse_jsonl(table: VendorTable, file: str, content: bytes) -> ParsedFile:
    text = _decode(content)
    parsed = ParsedFile([])
    lookup: dict[str, str] | None = None
    for number, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip(TRIMMED):
            continue
        try:
            record = json.loads(raw_line)
        except json.JSONDecodeError as error:
            parsed.unreadable.append((number, f"is not JSON ({error.msg})", raw_line[:500]))
            continue
        if not isinstance(record, dict):
            parsed.unreadable.append((number, "is not a JSON object", raw_line[:500]))
            continue
        if isinstance(record.get(AIRBYTE_DATA), dict):
            # Airbyte's file destinations wrap each record: its fields are inside, and the
            # wrapper's own fields (_airbyte_ab_id, _airbyte_emitted_at) are metadata.
            record = record[AIRBYTE_DATA]
        if lookup is None:
            lookup = {normalise_header(n): c for n, c in _aliases(table).items()}
        values: dict[str, str | None] = {}
        for name, value in record.items():
            column = lookup.get(normalise_header(str(name)))
            if column is not None and column not in values:
                values[column] = _clean(_text(value))
        if not values:
            parsed.unreadable.append((number, "has none of the table's columns", raw_line[:500]))
            continue
        parsed.rows.append(VendorRow(table.name, file, number, values))
    return parsed


def _aliases(table: VendorTable) -> dict[str, str]:
    return {name: column for column, names in table.columns.items() for name in (column, *names)}


def _parse_parquet(table: VendorTable, file: str, content: bytes) -> ParsedFile:
    try:
        arrow = pq.read_table(pa.BufferReader(content))
    except (pa.ArrowException, OSError) as error:
        raise VendorFileRefused(
            f"could not be read as Parquet ({error}); export it again"
        ) from None
    header_map = _check_headers(table, arrow.column_names)
    columns = {column: arrow.column(header).to_pylist() for header, column in header_map.items()}
    rows = [
        VendorRow(
            table.name,
            file,
            index + 1,
            {column: _clean(_text(values[index])) for column, values in columns.items()},
        )
        for index in range(arrow.num_rows)
    ]
    return ParsedFile(rows)


def parse_vendor_file(table: VendorTable, file: str, content: bytes, kind: str) -> ParsedFile:
    """The records of one vendor file (decompressed content). Raises :class:`VendorFileRefused`."""
    if kind == "csv":
        return _parse_csv(table, file, content)
    if kind == "jsonl":
        return _parse_jsonl(table, file, content)
    return _parse_parquet(table, file, content)


# ------------------------------------------------------------------------------------ settling


MAPPED, SKIPPED, QUARANTINED = "mapped", "skipped", "quarantined"
UNSETTLED_REASON = "no mapping rule settled this row (an adapter fault: please report it)"


@dataclass
class ContractRow:
    """A row for a contract entity, and the vendor rows it was made from (the first is its
    lineage: ``_source_file`` and ``_source_row_number``)."""

    entity: str
    values: dict[str, str | None]
    sources: tuple[VendorRow, ...]


@dataclass
class FileAccount:
    """What became of the rows of one vendor file."""

    file: str
    table: str
    rows_read: int = 0
    mapped: int = 0
    skipped: int = 0
    quarantined: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    contract_rows: Counter = field(default_factory=Counter)  # entity -> rows loaded
    contract_quarantined: Counter = field(default_factory=Counter)


class MappedBatch:
    """The contract rows an adapter makes, and the settlement of every vendor row it read.

    Precedence when a row is settled twice: quarantined beats mapped beats skipped (a row
    skipped as a duplicate but used for another contract row was mapped). Contract rows made
    from a quarantined vendor row are dropped.
    """

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.rows: list[ContractRow] = []
        self._outcome: dict[tuple[str, int], tuple[str, str]] = {}
        self._read: dict[str, list[VendorRow]] = {}
        self._table_of_file: dict[str, str] = {}
        self._unreadable: dict[str, list[tuple[int, str, str]]] = {}
        self.quarantine_records: dict[tuple[str, int], str] = {}

    # -- input
    def add_file(self, table: str, file: str, parsed: ParsedFile) -> None:
        self._table_of_file[file] = table
        self._read[file] = parsed.rows
        self._unreadable[file] = parsed.unreadable
        for line, reason, text in parsed.unreadable:
            self._outcome[(file, line)] = (QUARANTINED, "unreadable line: " + reason)
            self.quarantine_records[(file, line)] = text

    # -- settling
    def emit(self, entity: str, values: Mapping[str, Any], *sources: VendorRow) -> None:
        """A contract row made from ``sources`` (at least one); each source becomes mapped."""
        if not sources:
            raise ValueError("a contract row needs the vendor row(s) it came from")
        text = {name: _clean(_text(value)) for name, value in values.items()}
        self.rows.append(ContractRow(entity, text, tuple(sources)))
        for source in sources:
            self.used(source)

    def used(self, row: VendorRow) -> None:
        """``row`` contributed to a contract row (e.g. a price read while mapping an item)."""
        current = self._outcome.get(row.key)
        if current is None or current[0] == SKIPPED:
            self._outcome[row.key] = (MAPPED, "")

    def skip(self, row: VendorRow, reason: str) -> None:
        if row.key not in self._outcome:
            self._outcome[row.key] = (SKIPPED, reason)

    def quarantine(self, row: VendorRow, reason: str) -> None:
        current = self._outcome.get(row.key)
        if current is not None and current[0] == QUARANTINED:
            reason = current[1] if reason in current[1] else f"{current[1]}; {reason}"
        self._outcome[row.key] = (QUARANTINED, reason)
        self.quarantine_records[row.key] = json.dumps(row.values, sort_keys=True)

    def outcome(self, row: VendorRow) -> tuple[str, str] | None:
        return self._outcome.get(row.key)

    # -- after mapping
    def finish(self) -> None:
        """Quarantine unsettled rows, and drop contract rows made from quarantined ones."""
        for rows in self._read.values():
            for row in rows:
                if row.key not in self._outcome:
                    self.quarantine(row, UNSETTLED_REASON)
        self.rows = [
            contract
            for contract in self.rows
            if all(self._outcome[s.key][0] != QUARANTINED for s in contract.sources)
        ]

    def quarantine_contract_row(self, contract: ContractRow, problems: str) -> None:
        """The loader refused a contract row: its vendor rows are quarantined with the reason."""
        for source in contract.sources:
            self.quarantine(source, f"{contract.entity}: {problems}")

    def quarantined_rows(self) -> Iterator[tuple[str, str, int, str, str]]:
        """(vendor table, file, line, reason, record) for every quarantined vendor row."""
        for (file, line), (outcome, reason) in sorted(self._outcome.items()):
            if outcome == QUARANTINED:
                yield (
                    self._table_of_file.get(file, ""),
                    file,
                    line,
                    reason,
                    self.quarantine_records.get((file, line), ""),
                )

    def accounts(self) -> list[FileAccount]:
        """Per vendor file: rows read, mapped, skipped (with reasons) and quarantined."""
        accounts = {
            file: FileAccount(
                file,
                table,
                rows_read=len(self._read[file]) + len(self._unreadable[file]),
            )
            for file, table in self._table_of_file.items()
        }
        for (file, _line), (outcome, reason) in self._outcome.items():
            account = accounts[file]
            if outcome == MAPPED:
                account.mapped += 1
            elif outcome == SKIPPED:
                account.skipped += 1
                account.skip_reasons[reason] += 1
            else:
                account.quarantined += 1
        for contract in self.rows:
            if all(self._outcome[s.key][0] != QUARANTINED for s in contract.sources):
                accounts[contract.sources[0].file].contract_rows[contract.entity] += 1
        return sorted(accounts.values(), key=lambda a: a.file)

    def entity_rows(self, entity: str) -> list[ContractRow]:
        return [row for row in self.rows if row.entity == entity]


# ------------------------------------------------------------------------------------ adapters


@dataclass(frozen=True)
class Option:
    """A setting of an adapter in the source-systems file, with its default and meaning."""

    name: str
    default: Any
    description: str


class Adapter:
    """Maps one vendor's tables to contract rows. Subclasses set the class attributes and
    implement :meth:`map`; :meth:`write_dialect` writes a native world in the vendor's shape."""

    vendor: str = ""
    title: str = ""
    source_system: str = ""
    tables: tuple[VendorTable, ...] = ()
    produces: tuple[str, ...] = ()  # contract entities the adapter delivers
    options: tuple[Option, ...] = ()

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        settings = dict(settings or {})
        known = {option.name for option in self.options}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(
                f"{self.vendor}: unknown setting(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted(known)) or 'none'}"
            )
        self.settings = {
            option.name: settings.get(option.name, option.default) for option in self.options
        }

    def identity(self) -> dict[str, Any]:
        """What, beyond the files and settings, decides the mapping (e.g. the content of a
        mapping file a setting names): a change maps the vendor's files again."""
        return {}

    def table(self, name: str) -> VendorTable | None:
        return next((t for t in self.tables if t.name == name), None)

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        raise NotImplementedError

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> dict[str, Any] | None:
        """Write the native world's rows of ``produces`` as this vendor's tables; return the
        settings the world needs beyond the defaults (what a team would configure), if any."""
        raise NotImplementedError


def contract_entity(name: str) -> Entity:
    return next(e for e in ENTITIES if e.name == name)


# ------------------------------------------------------------------------------------ values


def parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text in TRUE_TEXTS:
        return True
    if text in FALSE_TEXTS:
        return False
    raise ValueError(f"'{value}' is not true or false")


def parse_json_object(value: str | None) -> dict[str, Any]:
    """A JSON object column (Stripe metadata, Segment properties); blank is ``{}``."""
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise ValueError(f"'{value[:80]}' is not a JSON object") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"'{value[:80]}' is not a JSON object")
    return parsed


def parse_decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None


_EPOCH = re.compile(r"^[0-9]{9,11}(\.[0-9]+)?$")
_NAIVE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")


def parse_instant(value: str | None, naive_is_utc: bool = True) -> str | None:
    """A timestamp as contract text (ISO 8601 with an offset).

    Vendors write instants as epoch seconds (Stripe's API), ISO 8601 with an offset, or - in
    dashboard exports and ELT tools' UTC columns - without one; those are UTC by the vendor's
    documentation when ``naive_is_utc``.
    """
    if value is None:
        return None
    text = value.strip()
    if _EPOCH.match(text):
        return datetime.fromtimestamp(float(text), UTC).isoformat()
    if _NAIVE.match(text):
        if not naive_is_utc:
            raise ValueError(f"'{value}' has no UTC offset")
        return text.replace(" ", "T") + "Z"
    return text


def first_present(*values: str | None) -> str | None:
    return next((v for v in values if v is not None), None)


# ------------------------------------------------------------------------------------ dialects


class NativeWorld:
    """A native landing folder (as ``cswh generate`` writes it), read for a dialect writer."""

    def __init__(self, landing: Path) -> None:
        self.landing = landing

    def files(self, entity: str) -> list[Path]:
        found = contract_entity(entity)
        folder = self.landing / found.source / found.name
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.name.endswith(".csv") and p.is_file())

    def rows(self, entity: str) -> list[dict[str, str | None]]:
        """Every row of the entity's files, values as text (blank is None)."""
        rows: list[dict[str, str | None]] = []
        for path in self.files(entity):
            with path.open(newline="", encoding="utf-8") as handle:
                for record in csv.DictReader(handle):
                    rows.append({k: _clean(v) for k, v in record.items()})
        return rows

    def remove(self, entity: str) -> None:
        """Drop the native files of an entity the vendor shape now carries."""
        for path in self.files(entity):
            path.unlink()
        found = contract_entity(entity)
        folder = self.landing / found.source / found.name
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            if not any(folder.parent.iterdir()):
                folder.parent.rmdir()


def write_vendor_csv(path: Path, header: list[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write a vendor table as CSV (None is blank); returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _text(row.get(c)) for c in header])
            written += 1
    return written


def write_vendor_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(dict(row), sort_keys=True, default=str) + "\n")
            written += 1
    return written


def write_vendor_parquet(path: Path, header: list[str], rows: Iterable[Mapping[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    materialised = list(rows)
    table = pa.table(
        {
            column: pa.array([_text(row.get(column)) for row in materialised], pa.string())
            for column in header
        }
    )
    pq.write_table(table, path)
    return len(materialised)
