"""Personal data (contact names, emails) stays in raw and staging: no mart exposes it."""

from __future__ import annotations

from pathlib import Path

import yaml

from cswh.contracts import ENTITIES

REPO_ROOT = Path(__file__).resolve().parents[2]
PII_COLUMNS = {column.name for entity in ENTITIES for column in entity.columns if column.is_pii}


def mart_columns() -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for path in (REPO_ROOT / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns[model["name"]] = {column["name"] for column in model.get("columns", [])}
    return columns


def test_the_contracts_mark_personal_data():
    assert {"first_name", "last_name", "email", "billing_email", "full_name"} <= PII_COLUMNS


def test_no_mart_documents_a_personal_data_column():
    exposed = {
        model: sorted(columns & PII_COLUMNS)
        for model, columns in mart_columns().items()
        if columns & PII_COLUMNS
    }
    assert exposed == {}


def test_every_mart_sql_file_is_documented():
    documented = set(mart_columns())
    built = {path.stem for path in (REPO_ROOT / "models" / "marts").rglob("*.sql")}
    assert built <= documented
