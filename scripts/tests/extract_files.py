"""Small extract files for the loader tests: contract-valid rows and the files that hold them."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cswh.contracts import Entity, entity

# The load time every case uses: fixed, so the future-date case does not depend on the clock.
NOW = datetime(2026, 11, 1, 12, 0, 0)

# Parents every case can refer to: one row each, published before the cases run.
BASE_ROWS: dict[str, list[dict[str, str]]] = {
    "csms": [{"csm_id": "csm_1", "manager_csm_id": ""}],
    "accounts": [{"account_id": "acc_1", "owner_csm_id": "csm_1"}],
    "contacts": [{"contact_id": "con_1", "account_id": "acc_1", "reports_to_contact_id": ""}],
    "customers": [{"billing_customer_id": "cus_1", "account_id": "acc_1"}],
    "subscriptions": [{"subscription_id": "sub_1", "billing_customer_id": "cus_1"}],
    "plans": [{"plan_id": "plan_1"}],
    "invoices": [
        {"invoice_id": "inv_1", "billing_customer_id": "cus_1", "subscription_id": "sub_1"}
    ],
}

# Values that satisfy every contract check, by logical type.
_TYPE_DEFAULTS = {
    "string": "x",
    "integer": "1",
    "decimal": "10.00",
    "boolean": "false",
    "date": "2026-10-01",
    "timestamp": "2026-10-01T09:00:00Z",
}


def good_row(contract: Entity, **values: str) -> dict[str, str]:
    """A row that passes the contract: required fields filled, foreign keys to the base rows."""
    row: dict[str, str] = {}
    for column in contract.columns:
        if column.allowed_values:
            row[column.name] = column.allowed_values[0]
        elif column.required:
            row[column.name] = _TYPE_DEFAULTS[column.type]
        else:
            row[column.name] = ""
    base_keys = {
        "account_id": "acc_1",
        "contact_id": "con_1",
        "requester_contact_id": "con_1",
        "csm_id": "csm_1",
        "owner_csm_id": "csm_1",
        "billing_customer_id": "cus_1",
        "subscription_id": "sub_1",
        "plan_id": "plan_1",
        "invoice_id": "inv_1",
    }
    for column in contract.references:
        if column in base_keys and contract.column(column).required:
            row[column] = base_keys[column]
    row.update(values)
    return row


def csv_bytes(
    contract: Entity, rows: list[dict[str, str]], header: list[str] | None = None
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = header or contract.column_names
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    return buffer.getvalue().encode("utf-8")


def tickets(*rows: dict[str, str]) -> bytes:
    contract = entity("tickets")
    return csv_bytes(contract, [good_row(contract, **r) for r in rows])


def write(landing: Path, entity_name: str, name: str, content: bytes) -> Path:
    contract = entity(entity_name)
    folder = landing / contract.source / contract.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def parquet_bytes(contract: Entity, rows: list[dict[str, str]]) -> bytes:
    buffer = io.BytesIO()
    columns = {name: [row.get(name, "") for row in rows] for name in contract.column_names}
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


# One parent row per entity a ticket refers to, for tests that need a loadable ticket.
TICKET_PARENTS = {
    "csms": {"csm_id": "csm_1", "manager_csm_id": ""},
    "accounts": {"account_id": "acc_1", "owner_csm_id": "csm_1"},
    "contacts": {"contact_id": "con_1", "account_id": "acc_1", "reports_to_contact_id": ""},
}


def deliver_ticket_parents(landing: Path) -> None:
    """The csm, account and contact files a ticket file needs, into ``landing``."""
    for name, values in TICKET_PARENTS.items():
        contract = entity(name)
        write(landing, name, f"{name}.csv", csv_bytes(contract, [good_row(contract, **values)]))


def query(warehouse: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """Rows of one query on a warehouse, read-only."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql, parameters or []).fetchall()
    finally:
        connection.close()
