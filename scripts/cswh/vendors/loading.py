"""Loading vendor deliveries: read every file of a vendor once, map, check and load the rows.

A vendor's files are mapped together, because contract rows are made from several tables (a
Stripe subscription item's history from its invoice lines, a Zendesk ticket's solve time from its
field history). The set of files is the unit of loading:

- its identity is the SHA-256 of every file's path and content plus the adapter's settings; a set
  already loaded is skipped whole (loading twice adds nothing);
- a new or changed file re-maps the vendor's whole folder; the raw tables then hold the new
  version of each row and staging keeps the latest, as for a native extract delivered again;
- a file that cannot be read is refused by name and the set is not recorded, so the next load
  tries again;
- the contract rows go through the native loader's checks (types, allowed values, keys, foreign
  keys, future dates) entity by entity in load order, parents first, one transaction per entity;
  a refused contract row quarantines the vendor rows it was made from, with the vendor file,
  line and reason;
- each vendor file gets an audit row: read, mapped (``rows_loaded``), skipped with counted
  reasons (``rows_skipped``) and quarantined, where read = mapped + skipped + quarantined, and
  ``loader.vendor_contract_rows`` says how many contract rows of each entity it gave.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from cswh.contracts import ENTITIES, Entity
from cswh.landing import FileRefused, LandingScan, Snapshot, read_snapshot
from cswh.raw_schema import QUARANTINE_TABLE, VENDOR_BATCH_TABLE, VENDOR_ROWS_TABLE
from cswh.vendors.base import (
    Adapter,
    ContractRow,
    MappedBatch,
    VendorFileRefused,
    VendorRow,
    parse_vendor_file,
    vendor_format,
)


@dataclass
class VendorFile:
    table: str
    path: Path
    source_file: str  # path below the landing folder
    snapshot: Snapshot | None = None
    refusal: str = ""


@dataclass
class VendorLoad:
    """One vendor's delivery in one load."""

    adapter: Adapter
    files: list[VendorFile]
    batch_sha256: str = ""
    already_loaded_by: str = ""  # the load that mapped this very set of files
    batch: MappedBatch | None = None
    failure: str = ""  # the adapter itself failed: nothing of the vendor is loaded
    loaded: dict[str, int] = field(default_factory=dict)  # entity -> contract rows loaded

    @property
    def vendor(self) -> str:
        return self.adapter.vendor

    @property
    def mapping(self) -> bool:
        return self.batch is not None and not self.failure

    def contract_rows(self, entity: str) -> list[ContractRow]:
        return self.batch.entity_rows(entity) if self.mapping else []


def _batch_sha256(adapter: Adapter, files: list[VendorFile]) -> str:
    identity = {
        "vendor": adapter.vendor,
        "settings": adapter.settings,
        "identity": adapter.identity(),
        "files": sorted((f.source_file, f.snapshot.sha256) for f in files if f.snapshot),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def prepare_vendor_loads(
    connection: duckdb.DuckDBPyConnection,
    scan: LandingScan,
    relative_name,
) -> list[VendorLoad]:
    """Read, and unless already loaded, map each configured vendor's files."""
    grouped: dict[str, list[VendorFile]] = defaultdict(list)
    for vendor, table, path in scan.vendor_files:
        grouped[vendor].append(VendorFile(table, path, relative_name(path)))
    loads: list[VendorLoad] = []
    for vendor, files in grouped.items():
        adapter = scan.systems.adapters[vendor]
        load = VendorLoad(adapter, files)
        for file in files:
            try:
                file.snapshot = read_snapshot(file.path)
            except FileRefused as refusal:
                file.refusal = str(refusal)
        load.batch_sha256 = _batch_sha256(adapter, files)
        done = connection.execute(
            f"select load_id from {VENDOR_BATCH_TABLE} where vendor = ? and batch_sha256 = ? "
            "limit 1",
            [vendor, load.batch_sha256],
        ).fetchone()
        if done and not any(f.refusal for f in files):
            load.already_loaded_by = done[0]
        else:
            _map(load)
        loads.append(load)
    return loads


def _map(load: VendorLoad) -> None:
    adapter = load.adapter
    batch = MappedBatch(adapter.vendor)
    rows: dict[str, list[VendorRow]] = {table.name: [] for table in adapter.tables}
    for file in load.files:
        if file.snapshot is None:
            continue
        table = adapter.table(file.table)
        try:
            parsed = parse_vendor_file(
                table, file.source_file, file.snapshot.content, vendor_format(file.path) or ""
            )
        except VendorFileRefused as refusal:
            file.refusal = str(refusal)
            continue
        batch.add_file(file.table, file.source_file, parsed)
        rows[file.table].extend(parsed.rows)
    try:
        adapter.map(rows, batch)
    except Exception as error:  # an adapter fault must not stop the other sources
        load.failure = (
            f"the {adapter.title} adapter failed ({type(error).__name__}: {error}); nothing of "
            f"{adapter.vendor}/ was loaded. Please report it with the file"
        )
        return
    batch.finish()
    load.batch = batch


def vendor_delivered(loads: list[VendorLoad]) -> frozenset[str]:
    """Entities the vendors deliver in this load (their children's keys are checked)."""
    return frozenset(entity for load in loads if load.mapping for entity in load.adapter.produces)


def load_vendor_entity(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    load: VendorLoad,
    load_id: str,
    loaded_at: datetime,
    limit: datetime,
    unchecked: frozenset[str],
) -> None:
    """Check and insert one entity's contract rows from one vendor, in one transaction."""
    from cswh.load import _checked_relation_sql, _insert_rows  # the native loader's checks

    rows = load.contract_rows(entity.name)
    if not rows:
        return
    columns = {
        name: pa.array([row.values.get(name) for row in rows], pa.string())
        for name in entity.column_names
    }
    columns["_source_row_number"] = pa.array([row.sources[0].line for row in rows], pa.int64())
    columns["_source_file"] = pa.array([row.sources[0].file for row in rows], pa.string())
    columns["_contract_index"] = pa.array(range(len(rows)), pa.int64())
    connection.register("_incoming", pa.table(columns))
    try:
        connection.execute(
            "create or replace temp table _checked as "
            + _checked_relation_sql(
                entity, "_incoming", limit, unchecked, extra=("_source_file", "_contract_index")
            )
        )
    finally:
        connection.unregister("_incoming")
    refused = connection.execute(
        "select _contract_index, _problems from _checked where _problems is not null"
    ).fetchall()
    for index, problems in refused:
        load.batch.quarantine_contract_row(rows[index], problems)
    connection.execute("begin transaction")
    try:
        load.loaded[entity.name] = _insert_rows(connection, entity, load_id, None, loaded_at)
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    connection.execute("drop table if exists _checked")


def _contract_counts(load: VendorLoad) -> dict[tuple[str, str], tuple[int, int]]:
    """(vendor file, entity) -> (contract rows loaded, contract rows quarantined)."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in load.batch.rows:
        refused = any(load.batch.outcome(s)[0] == "quarantined" for s in row.sources)
        counts[(row.sources[0].file, row.entity)][1 if refused else 0] += 1
    return {key: (value[0], value[1]) for key, value in counts.items()}


def finish_vendor_load(
    connection: duckdb.DuckDBPyConnection,
    load: VendorLoad,
    load_id: str,
    started_at: datetime,
    audit,
    file_result,
) -> list:
    """Audit rows, quarantined vendor rows and contract-row counts, in one transaction."""
    from cswh.load import _utc_now

    source_system = load.adapter.source_system
    results = []
    connection.execute("begin transaction")
    try:
        accounts = {a.file: a for a in load.batch.accounts()} if load.mapping else {}
        if load.mapping:
            now = _utc_now()
            for table, file, line, reason, record in load.batch.quarantined_rows():
                connection.execute(
                    f"insert into {QUARANTINE_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        load_id,
                        file,
                        source_system,
                        f"{load.vendor}.{table}",
                        line,
                        reason,
                        record,
                        now,
                    ],
                )
            for (file, entity), (loaded, quarantined) in sorted(_contract_counts(load).items()):
                table = accounts[file].table
                connection.execute(
                    f"insert into {VENDOR_ROWS_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                    [load_id, load.vendor, file, table, entity, loaded, quarantined],
                )
        for file in load.files:
            sha = file.snapshot.sha256 if file.snapshot else ""
            size = file.snapshot.file_bytes if file.snapshot else None
            vendor_table = f"{load.vendor}.{file.table}"
            if file.refusal:
                result = file_result(file.path, vendor_table, "refused", message=file.refusal)
            elif load.already_loaded_by:
                result = file_result(
                    file.path,
                    vendor_table,
                    "skipped",
                    message=f"{load.vendor}/ files already mapped by {load.already_loaded_by}",
                )
                results.append(result)
                continue  # as for a native file: a skipped file leaves no audit row
            elif load.failure:
                result = file_result(file.path, vendor_table, "refused", message=load.failure)
            else:
                account = accounts[file.source_file]
                result = file_result(
                    file.path,
                    vendor_table,
                    "loaded",
                    rows_read=account.rows_read,
                    rows_loaded=account.mapped,
                    rows_quarantined=account.quarantined,
                    rows_skipped=account.skipped,
                    message=_describe(account),
                )
            audit(
                connection, load_id, result, file.source_file, source_system, sha, size, started_at
            )
            results.append(result)
        complete = load.mapping and not any(f.refusal for f in load.files)
        if complete:
            connection.execute(
                f"insert into {VENDOR_BATCH_TABLE} values (?, ?, ?, ?, ?)",
                [load.vendor, load.batch_sha256, load_id, len(load.files), _utc_now()],
            )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    return results


def _describe(account) -> str:
    parts = []
    if account.contract_rows:
        made = ", ".join(f"{e} {n}" for e, n in sorted(account.contract_rows.items()))
        parts.append(f"contract rows: {made}")
    if account.skip_reasons:
        reasons = ", ".join(f"{r}: {n}" for r, n in account.skip_reasons.most_common())
        parts.append(f"skipped {account.skipped} ({reasons})")
    if account.quarantined:
        parts.append(f"{account.quarantined} row(s) quarantined, see {QUARANTINE_TABLE}")
    return "; ".join(parts)


def entities_in_load_order() -> list[Entity]:
    from cswh.landing import load_order

    return load_order(ENTITIES)
