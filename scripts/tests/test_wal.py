"""No stale write-ahead log survives a publish: a load that died after committing (its rows only
in ``<warehouse>.wal``) followed by a run gives exactly the uninterrupted result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from extract_files import deliver_ticket_parents, tickets, write
from stand_in_build import stand_in_build

from cswh.contracts import ENTITIES
from cswh.load import CRASH_AFTER_COMMIT_ENV
from cswh.publish import run_pipeline, wal_path
from cswh.raw_schema import raw_table


def deliver(landing: Path) -> None:
    deliver_ticket_parents(landing)
    write(landing, "tickets", "tickets.csv", tickets({"ticket_id": "t1"}, {"ticket_id": "t2"}))


def cswh_load(landing: Path, warehouse: Path, env: dict[str, str] | None = None) -> int:
    command = [sys.executable, "-m", "cswh.cli", "load", "--landing", str(landing)]
    return subprocess.run(
        [*command, "--warehouse", str(warehouse)],
        capture_output=True,
        env=os.environ | {"CSWH_LOADER_FUTURE_TOLERANCE_DAYS": "3650"} | (env or {}),
        timeout=300,
    ).returncode


def raw_rows(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows without the per-load columns, and the loaded files."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {
            contract.name: sorted(
                connection.execute(
                    f"select * exclude (_load_id, _loaded_at) from {raw_table(contract)}"
                ).fetchall()
            )
            for contract in ENTITIES
        }
        tables["loaded files"] = sorted(
            connection.execute(
                "select source_file, content_sha256, rows_loaded from loader.load_audit "
                "where status = 'loaded'"
            ).fetchall()
        )
        return tables
    finally:
        connection.close()


def run(landing: Path, published: Path) -> None:
    result = run_pipeline(
        landing, published, build=stand_in_build(), run_results=published.parent / "rr.json"
    )
    assert result.published, result.failed_checks


def test_a_crashed_load_then_a_run_equals_the_uninterrupted_result(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    deliver(landing)

    uninterrupted = tmp_path / "a" / "w.duckdb"
    assert cswh_load(landing, uninterrupted) == 0
    run(landing, uninterrupted)

    crashed = tmp_path / "b" / "w.duckdb"
    # Dies right after committing the accounts file: csms and accounts live only in the WAL.
    assert cswh_load(landing, crashed, {CRASH_AFTER_COMMIT_ENV: "accounts"}) == 71
    assert wal_path(crashed).exists(), "the crash was meant to leave committed rows in the WAL"
    run(landing, crashed)

    assert not wal_path(crashed).exists(), "a stale WAL beside the new file would be replayed"
    assert raw_rows(crashed) == raw_rows(uninterrupted)
    # And the published file is complete on its own: a copy without any WAL reads the same.
    alone = tmp_path / "alone.duckdb"
    alone.write_bytes(crashed.read_bytes())
    assert raw_rows(alone) == raw_rows(uninterrupted)
