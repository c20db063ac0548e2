"""Layout of the loader's side of the warehouse: raw tables, lineage columns, audit tables."""

from __future__ import annotations

from cswh.contracts import Entity

RAW_SCHEMA = "raw"
LOADER_SCHEMA = "loader"
LOAD_AUDIT_TABLE = f"{LOADER_SCHEMA}.load_audit"
QUARANTINE_TABLE = f"{LOADER_SCHEMA}.quarantined_rows"
# Vendor deliveries: which set of vendor files was mapped by which load, and how many contract
# rows each vendor file gave each entity.
VENDOR_BATCH_TABLE = f"{LOADER_SCHEMA}.vendor_batches"
VENDOR_ROWS_TABLE = f"{LOADER_SCHEMA}.vendor_contract_rows"

WAREHOUSE_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "rate": "decimal(24, 12)",
    "boolean": "boolean",
    "date": "date",
    # Stored as UTC wall-clock time: the loader converts every offset to UTC.
    "timestamp": "timestamp",
}

# Lineage columns the loader appends to every raw row.
LINEAGE_COLUMNS = (
    ("_source_file", "varchar", "Landing-folder path of the file the row came from."),
    (
        "_source_row_number",
        "bigint",
        "Physical line of the record in its CSV file (the header is line 1; a record spanning "
        "lines has its first), or its 1-based row in a Parquet file.",
    ),
    ("_load_id", "varchar", "Identifier of the load run that inserted the row."),
    ("_loaded_at", "timestamp", "When the row was loaded (UTC)."),
)


def raw_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}.{entity.table_name}"


def raw_table_ddl(entity: Entity) -> str:
    columns = [f"{c.name} {WAREHOUSE_TYPES[c.type]}" for c in entity.columns]
    columns += [f"{name} {sql_type}" for name, sql_type, _ in LINEAGE_COLUMNS]
    body = ",\n    ".join(columns)
    return f"create table if not exists {raw_table(entity)} (\n    {body}\n)"


LOADER_DDL = (
    f"create schema if not exists {RAW_SCHEMA}",
    f"create schema if not exists {LOADER_SCHEMA}",
    f"""create table if not exists {LOAD_AUDIT_TABLE} (
    load_id varchar not null,
    source_file varchar not null,
    source_system varchar,
    entity varchar,
    content_sha256 varchar not null,
    file_bytes bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    status varchar not null,
    message varchar,
    started_at timestamp not null,
    finished_at timestamp not null,
    rows_skipped bigint
)""",
    # Added after the first release: warehouses made before it gain the column.
    f"alter table {LOAD_AUDIT_TABLE} add column if not exists rows_skipped bigint",
    f"""create table if not exists {VENDOR_BATCH_TABLE} (
    vendor varchar not null,
    batch_sha256 varchar not null,
    load_id varchar not null,
    files bigint not null,
    loaded_at timestamp not null
)""",
    f"""create table if not exists {VENDOR_ROWS_TABLE} (
    load_id varchar not null,
    vendor varchar not null,
    vendor_file varchar not null,
    vendor_table varchar not null,
    entity varchar not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null
)""",
    f"""create table if not exists {QUARANTINE_TABLE} (
    load_id varchar not null,
    source_file varchar not null,
    source_system varchar not null,
    entity varchar not null,
    source_row_number bigint,
    reason varchar not null,
    raw_record varchar,
    quarantined_at timestamp not null
)""",
)
