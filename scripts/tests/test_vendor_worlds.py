"""Dialect worlds: the synthetic world delivered in vendors' shapes builds the native world's marts.

``cswh generate --dialect`` rewrites the native extracts as vendor tables; `cswh run` maps them
back, builds and publishes. Every mart must equal the native build's, row for row (EXCEPT ALL
both ways), except the differences documented in docs/sources/<vendor>.md and listed here.

The native side is the shared sample warehouse (conftest.py's ``sample``: same scale and seed).
Slow (dbt builds in a subprocess): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sample_warehouse import SAMPLE_SCALE, SAMPLE_SEED, Sample

pytestmark = pytest.mark.dbt

REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared sample's scale and seed: the native world it holds is what the dialect worlds match.
SCALE, SEED = SAMPLE_SCALE, SAMPLE_SEED

WORLDS = {
    "stripe_zendesk_hubspot_segment": "stripe,zendesk,hubspot,segment",
    "chargebee_salesforce": "chargebee,salesforce",
}

# mart -> why it differs, per world (each also in the vendor's page under "differences").
DOCUMENTED_DIFFERENCES: dict[str, dict[str, str]] = {
    "stripe_zendesk_hubspot_segment": {},
    "chargebee_salesforce": {},
}


def cswh(*arguments: str, work: Path) -> subprocess.CompletedProcess:
    env = os.environ | {
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    env.pop("CSWH_SOURCE_SYSTEMS", None)
    completed = subprocess.run(
        [sys.executable, "-m", "cswh.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-4000:]
    return completed


def build(work: Path, dialect: str | None) -> Path:
    landing, warehouse = work / "landing", work / "warehouse" / "cs.duckdb"
    extra = ("--dialect", dialect) if dialect else ()
    cswh("generate", "--scale", SCALE, "--seed", SEED, "--landing", str(landing), *extra, work=work)
    cswh("run", "--landing", str(landing), "--warehouse", str(warehouse), "--no-export", work=work)
    return warehouse


@pytest.fixture(scope="module")
def native_warehouse(sample: Sample) -> Path:
    """The shared sample: the native world at the same scale and seed as the dialect worlds."""
    return sample.warehouse


def _comparable(connection: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    """The mart's columns, floating-point ones rounded to 6 decimals: a double sum depends on the
    order rows are added in, which differs between two builds of the same data."""
    described = connection.execute(f"describe native.marts.{mart}").fetchall()
    return [
        f'round("{name}", 6) as "{name}"' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, kind, *_ in described
    ]


def mart_differences(native: Path, dialect: Path) -> dict[str, tuple[int, int, int]]:
    """mart -> (rows, rows only in the native marts, rows only in the dialect marts)."""
    connection = duckdb.connect(str(dialect), read_only=True)
    try:
        connection.execute(f"attach '{native}' as native (read_only)")
        marts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'native' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        found = {}
        for mart in marts:
            columns = ", ".join(_comparable(connection, mart))
            native_rows = f"select {columns} from native.marts.{mart}"
            dialect_rows = f"select {columns} from marts.{mart}"
            rows = connection.execute(f"select count(*) from native.marts.{mart}").fetchone()[0]
            native_only = connection.execute(
                f"select count(*) from ({native_rows} except all {dialect_rows})"
            ).fetchone()[0]
            dialect_only = connection.execute(
                f"select count(*) from ({dialect_rows} except all {native_rows})"
            ).fetchone()[0]
            found[mart] = (rows, native_only, dialect_only)
        return found
    finally:
        connection.close()


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_a_dialect_world_builds_the_native_marts(world, native_warehouse, tmp_path):
    dialect = build(tmp_path, WORLDS[world])
    differences = mart_differences(native_warehouse, dialect)
    report = "\n".join(
        f"  {mart}: {rows} rows, {native_only} only native, {dialect_only} only {world}"
        for mart, (rows, native_only, dialect_only) in differences.items()
        if native_only or dialect_only
    )
    print(f"{world}: marts that differ\n{report or '  none'}")
    assert len(differences) >= 25, differences
    documented = DOCUMENTED_DIFFERENCES[world]
    undocumented = {
        mart: counts
        for mart, counts in differences.items()
        if (counts[1] or counts[2]) and mart not in documented
    }
    assert not undocumented, report
    assert any(rows for rows, _, _ in differences.values())
