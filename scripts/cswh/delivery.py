"""Which source tables were delivered, and what a partial world leaves empty.

Every source system is optional: a warehouse fed only by billing and the CRM's accounts
publishes the finance marts, and the marts that need a missing source are empty. Two facts per
source table decide what a run does and says:

* **files**: extract files loaded for it (``loader.load_audit``), header-only files included;
* **rows**: rows in its raw table.

A table with rows is *delivered*: `dbt source freshness` judges it, and the models use it. A table
that only ever received header-only files is connected but has nothing in it: for the models and
for freshness it is the same as one never delivered (no row to use or to age), and the summary
says "header-only" instead of "not delivered" (DECISIONLOG.md, partial worlds).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cswh.contracts import ENTITIES, SOURCES
from cswh.raw_schema import LOAD_AUDIT_TABLE, VENDOR_ROWS_TABLE, raw_table

MART_FOLDER = "models/marts/"


@dataclass(frozen=True)
class TableDelivery:
    source: str
    entity: str
    files: int
    rows: int
    vendors: tuple[str, ...] = ()  # vendors whose adapters delivered rows of this table

    @property
    def delivered(self) -> bool:
        """Rows reached raw: the models and the freshness check use this table."""
        return self.rows > 0

    @property
    def header_only(self) -> bool:
        return self.files > 0 and self.rows == 0

    @property
    def selector(self) -> str:
        """The dbt selector of its source table."""
        return f"source:{self.source}.{self.entity}"


def table_deliveries(connection: duckdb.DuckDBPyConnection) -> list[TableDelivery]:
    """Files loaded and rows held for every source table of the contracts, in contract order."""
    files = dict(
        connection.execute(
            f"""
            select source_system || '.' || entity, count(*)
            from {LOAD_AUDIT_TABLE}
            where status = 'loaded'
            group by 1
            """
        ).fetchall()
    )
    vendors: dict[str, list[str]] = defaultdict(list)
    schema, table = VENDOR_ROWS_TABLE.split(".")
    has_vendor_rows = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if has_vendor_rows:
        for entity_name, vendor in connection.execute(
            f"select distinct entity, vendor from {VENDOR_ROWS_TABLE} where rows_loaded > 0 "
            "order by 1, 2"
        ).fetchall():
            vendors[entity_name].append(vendor)
    deliveries = []
    for entity in ENTITIES:
        rows = connection.execute(f"select count(*) from {raw_table(entity)}").fetchone()[0]
        deliveries.append(
            TableDelivery(
                entity.source,
                entity.name,
                files.get(f"{entity.source}.{entity.name}", 0),
                rows,
                tuple(vendors.get(entity.name, ())),
            )
        )
    return deliveries


def warehouse_deliveries(warehouse: Path) -> list[TableDelivery]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return table_deliveries(connection)
    finally:
        connection.close()


def freshness_selectors(deliveries: list[TableDelivery]) -> list[str]:
    """The source tables `dbt source freshness` judges: those with rows. A table never delivered
    (or header-only) has no row whose age could be measured, and must not fail the run."""
    return [delivery.selector for delivery in deliveries if delivery.delivered]


def _names(entities: list[str]) -> str:
    return ", ".join(entities)


def source_lines(deliveries: list[TableDelivery]) -> list[str]:
    """One line per source system: which of its tables were delivered."""
    by_source: dict[str, list[TableDelivery]] = defaultdict(list)
    for delivery in deliveries:
        by_source[delivery.source].append(delivery)
    lines = []
    for source in SOURCES:
        tables = by_source[source]
        delivered = [t.entity for t in tables if t.delivered]
        header_only = [t.entity for t in tables if t.header_only]
        missing = [t.entity for t in tables if not t.delivered and not t.header_only]
        if not delivered:
            line = f"{source}: not delivered"
            if header_only:
                line += f" (header-only files: {_names(header_only)})"
        elif len(delivered) == len(tables):
            line = f"{source}: all {len(tables)} tables delivered"
        else:
            line = f"{source}: {len(delivered)} of {len(tables)} tables delivered"
            if header_only:
                line += f"; header-only: {_names(header_only)}"
            if missing:
                line += f"; not delivered: {_names(missing)}"
        vendors = sorted({v for t in tables if t.delivered for v in t.vendors})
        if vendors:
            native = [t.entity for t in tables if t.delivered and not t.vendors]
            line += f" (from {' and '.join(vendors)}"
            line += f"; native: {_names(native)})" if native else ")"
        lines.append(line)
    return lines


# Tables a world may lack without emptying any mart: exchange rates are needed only when something
# is billed in another currency than the reporting one, and then their absence fails the build.
NEVER_A_REASON: frozenset[tuple[str, str]] = frozenset({("billing", "exchange_rates")})


def missing_reason(undelivered: set[tuple[str, str]]) -> str:
    """Why, in words: whole sources first ("no product_usage extracts delivered"), then the
    tables missing from sources that did deliver something."""
    tables_of = defaultdict(set)
    for entity in ENTITIES:
        tables_of[entity.source].add(entity.name)
    missing_by_source: dict[str, set[str]] = defaultdict(set)
    for source, entity in undelivered:
        missing_by_source[source].add(entity)
    whole = [s for s in SOURCES if s in missing_by_source and missing_by_source[s] == tables_of[s]]
    parts = [f"no {source} extracts delivered" for source in whole]
    parts += [
        f"no {source} {_names(sorted(missing_by_source[source]))} delivered"
        for source in SOURCES
        if source in missing_by_source and source not in whole
    ]
    return "; ".join(parts)


def _upstream_sources(manifest: dict, unique_id: str) -> set[tuple[str, str]]:
    """(source, table) of every source a node reads, directly or through other models."""
    sources_found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    pending = [unique_id]
    while pending:
        node = pending.pop()
        for parent in manifest["parent_map"].get(node, []):
            if parent in seen:
                continue
            seen.add(parent)
            if parent.startswith("source."):
                source = manifest["sources"][parent]
                sources_found.add((source["source_name"], source["name"]))
            else:
                pending.append(parent)
    return sources_found


def empty_mart_lines(
    warehouse: Path, manifest_path: Path, deliveries: list[TableDelivery]
) -> list[str]:
    """One line per mart folder and reason: the marts left empty because a source table they
    read was never delivered. Empty marts whose sources were all delivered are not listed (no
    reason to give: nothing matched, e.g. no escalation reason spiked)."""
    undelivered = {(d.source, d.entity) for d in deliveries if not d.delivered}
    if not undelivered or not manifest_path.exists():
        return []
    manifest = json.loads(manifest_path.read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(MART_FOLDER)
    ]
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for node in sorted(marts, key=lambda n: n["name"]):
            relation = f'"{node["schema"]}"."{node["alias"] or node["name"]}"'
            try:
                rows = connection.execute(f"select count(*) from {relation}").fetchone()[0]
            except duckdb.CatalogException:
                continue
            missing = _upstream_sources(manifest, node["unique_id"]) & undelivered - NEVER_A_REASON
            if rows or not missing:
                continue
            folder = node["original_file_path"][len(MART_FOLDER) :].split("/")[0]
            grouped[(folder, missing_reason(missing))].append(node["name"])
    finally:
        connection.close()
    return [
        f"{folder.replace('_', ' ')} marts empty ({_names(names)}): {reason}"
        for (folder, reason), names in sorted(grouped.items())
    ]
