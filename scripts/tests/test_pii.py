"""Personal data (contact names, emails) stays in raw and staging: no mart exposes it.

And BI never sees raw or staging at all: the BI file of a built sample holds the marts only.
The built warehouse checked is the shared sample (conftest.py's ``sample``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from sample_warehouse import Sample

from cswh.bi_file import BI_PATH_ENV, bi_path_for, publish_bi_file
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


@pytest.fixture(scope="module")
def warehouse(sample: Sample) -> Path:
    # Read-only here: publish_bi_file attaches it read-only, so no copy.
    return sample.warehouse


def read(path: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_the_bi_file_of_the_sample_warehouse_holds_only_the_marts(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BI_PATH_ENV, raising=False)
    published_marts = read(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' order by table_name",
    )
    assert published_marts, f"{warehouse} has no marts"
    # One made here from the warehouse, and the one `cswh run` wrote beside it when there is one.
    bi_files = [publish_bi_file(warehouse, tmp_path / "sample_bi.duckdb").path]
    if bi_path_for(warehouse).exists():
        bi_files.append(bi_path_for(warehouse))
    for bi_file in bi_files:
        # `main` is in every DuckDB file, internal and (asserted below) empty.
        schemas = read(
            bi_file,
            "select schema_name from duckdb_schemas() "
            "where database_name = current_database() and not internal",
        )
        assert schemas == [("marts",)], bi_file
        relations = read(
            bi_file,
            "select table_schema, table_name from information_schema.tables order by table_name",
        )
        assert relations == [("marts", name) for (name,) in published_marts], bi_file
        columns = {row[0] for row in read(bi_file, "select column_name from duckdb_columns()")}
        assert not columns & PII_COLUMNS, bi_file
