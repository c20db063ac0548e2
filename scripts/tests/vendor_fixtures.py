"""Helpers for the vendor adapter tests: map a folder of vendor files, or load a vendor landing.

Fixture files live in ``scripts/tests/fixtures/vendors/<vendor>/<table>/``; each quirk test maps
them and compares the contract rows with rows written out by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from cswh.load import LoadResult, load_landing
from cswh.vendors import make_adapter
from cswh.vendors.base import MappedBatch, VendorRow, parse_vendor_file, vendor_format
from cswh.vendors.config import SOURCE_SYSTEMS_FILE, write_source_systems

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"


def map_vendor_folder(
    vendor: str, folder: Path, settings: dict[str, Any] | None = None
) -> MappedBatch:
    """Parse every file of ``folder/<table>/`` and map them as the loader does (no warehouse)."""
    adapter = make_adapter(vendor, settings)
    batch = MappedBatch(vendor)
    rows: dict[str, list[VendorRow]] = {table.name: [] for table in adapter.tables}
    for table in adapter.tables:
        table_dir = folder / table.name
        if not table_dir.is_dir():
            continue
        for path in sorted(table_dir.iterdir()):
            content = path.read_bytes()
            if path.name.endswith(".gz"):
                import gzip

                content = gzip.decompress(content)
            name = f"{vendor}/{table.name}/{path.name}"
            parsed = parse_vendor_file(table, name, content, vendor_format(path) or "")
            batch.add_file(table.name, name, parsed)
            rows[table.name].extend(parsed.rows)
    adapter.map(rows, batch)
    batch.finish()
    return batch


def contract_rows(batch: MappedBatch, entity: str) -> list[dict[str, str | None]]:
    """The contract rows of one entity, as dicts without empty values, in emit order."""
    return [
        {k: v for k, v in row.values.items() if v is not None} for row in batch.entity_rows(entity)
    ]


def write_files(root: Path, files: dict[str, bytes | str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)


def load_vendor_landing(
    work: Path, files: dict[str, bytes | str], systems: dict[str, dict[str, Any]]
) -> tuple[LoadResult, Path]:
    """Write ``files`` under ``work/landing`` with a source-systems file, and load them."""
    landing = work / "landing"
    write_files(landing, files)
    write_source_systems(landing / SOURCE_SYSTEMS_FILE, systems)
    warehouse = work / "warehouse.duckdb"
    return load_landing(landing, warehouse, lock=False), warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def assert_accounted(result: LoadResult) -> None:
    """read = mapped + skipped + quarantined for every vendor file the load read."""
    for file in result.files:
        if file.entity and "." in file.entity and file.status == "loaded":
            assert file.rows_read == (
                file.rows_loaded + file.rows_skipped + file.rows_quarantined
            ), file


def round_trip(
    work: Path,
    vendors: list[str],
    scale: float = 0.03,
    ignore: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Load one synthetic world natively and in the vendors' dialects, and compare raw tables.

    Returns, per contract entity the vendors deliver, (rows only in the native load, rows only
    in the dialect load), over the contract columns minus ``ignore[entity]`` (a documented
    difference). Lineage columns (file, line, load) always differ and are not compared.
    """
    import shutil

    from cswh.contracts import entity as contract_entity
    from cswh.generate import generate_landing
    from cswh.vendors.dialect import write_dialect_landing

    ignore = ignore or {}
    native = work / "native"
    generate_landing(native, scale=scale, seed=7)
    dialect = work / "dialect"
    shutil.copytree(native, dialect)
    write_dialect_landing(dialect, vendors)
    warehouses = {}
    for name, landing in (("native", native), ("dialect", dialect)):
        result = load_landing(landing, work / f"{name}.duckdb", lock=False)
        assert result.ok, [f for f in result.refused]
        if name == "dialect":
            assert_accounted(result)
        warehouses[name] = work / f"{name}.duckdb"
    differences: dict[str, tuple[list[tuple], list[tuple]]] = {}
    connection = duckdb.connect(str(warehouses["native"]))
    try:
        connection.execute(f"attach '{warehouses['dialect']}' as dialect (read_only)")
        produced = {e for v in vendors for e in make_adapter(v).produces}
        for name in sorted(produced):
            entity = contract_entity(name)
            columns = ", ".join(c for c in entity.column_names if c not in ignore.get(name, ()))
            table = f"raw.{entity.table_name}"
            native_only = connection.execute(
                f"select {columns} from {table} except all "
                f"select {columns} from dialect.{table} order by all limit 20"
            ).fetchall()
            dialect_only = connection.execute(
                f"select {columns} from dialect.{table} except all "
                f"select {columns} from {table} order by all limit 20"
            ).fetchall()
            differences[name] = (native_only, dialect_only)
    finally:
        connection.close()
    return differences
