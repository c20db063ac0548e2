"""Kill test: a loader killed part-way leaves a warehouse the next run completes, and the result
equals that of an uninterrupted load (raw rows, quarantine and audit totals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cswh.contracts import ENTITIES
from cswh.generate import generate_landing
from cswh.landing import discover_files
from cswh.load import CRASH_BEFORE_COMMIT_ENV, load_landing
from cswh.raw_schema import raw_table

KILL_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kill") / "landing"
    generate_landing(folder, scale=0.05)
    return folder


@pytest.fixture(scope="module")
def reference(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The fingerprint of an uninterrupted load into a fresh warehouse."""
    warehouse = tmp_path_factory.mktemp("reference") / "reference.duckdb"
    result = load_landing(landing, warehouse)
    assert result.ok
    return fingerprint(warehouse)


def load_command(landing: Path, warehouse: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cswh.cli",
        "load",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
    ]


def fingerprint(warehouse: Path) -> dict[str, tuple]:
    """Per raw table: row count and a checksum of its sorted rows, without the run's lineage
    (``_load_id``, ``_loaded_at`` differ between runs); plus quarantine and audit totals."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        prints: dict[str, tuple] = {}
        for entity in ENTITIES:
            prints[entity.name] = connection.execute(
                f"""
                select count(*), md5(coalesce(string_agg(line, chr(10) order by line), ''))
                from (
                    select cast(t as varchar) as line
                    from (select * exclude (_load_id, _loaded_at) from {raw_table(entity)}) as t
                )
                """
            ).fetchone()
        prints["quarantine"] = connection.execute(
            "select count(*), md5(coalesce(string_agg(source_file || ':' || source_row_number "
            "|| ':' || reason, chr(10) order by source_file, source_row_number), '')) "
            "from loader.quarantined_rows"
        ).fetchone()
        prints["audit"] = connection.execute(
            "select count(distinct source_file), sum(rows_read), sum(rows_loaded), "
            "sum(rows_quarantined) from loader.load_audit where status = 'loaded'"
        ).fetchone()
        return prints
    finally:
        connection.close()


def audit_files(warehouse: Path) -> int:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute("select count(*) from loader.load_audit").fetchone()[0]
    finally:
        connection.close()


def kill_after_progress(command: list[str], marker: bytes) -> int:
    """Run the loader and SIGKILL it as soon as its progress output shows ``marker``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    try:
        while marker not in seen:
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk or time.monotonic() > deadline:
                break
            seen += chunk
        process.send_signal(signal.SIGKILL)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_sigkill_part_way_then_rerun_equals_uninterrupted(
    landing: Path, reference: dict[str, tuple], tmp_path: Path
) -> None:
    warehouse = tmp_path / "killed.duckdb"
    total = len(discover_files(landing))
    # Progress is printed every 25 files when stderr is not a terminal: kill right after 25.
    code = kill_after_progress(load_command(landing, warehouse), b" 25/")
    assert code == -signal.SIGKILL, "the loader finished before it could be killed"
    committed = audit_files(warehouse)
    assert 25 <= committed < total, f"{committed} of {total} files committed before the kill"

    rerun = subprocess.run(
        load_command(landing, warehouse), capture_output=True, text=True, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert fingerprint(warehouse) == reference


def test_crash_inside_a_transaction_then_rerun_equals_uninterrupted(
    landing: Path, reference: dict[str, tuple], tmp_path: Path
) -> None:
    """The hard exit between a file's inserts and its commit, mid-run (after parents loaded)."""
    warehouse = tmp_path / "crashed.duckdb"
    crashed = subprocess.run(
        load_command(landing, warehouse),
        env=os.environ | {CRASH_BEFORE_COMMIT_ENV: "invoices"},
        capture_output=True,
        check=False,
    )
    assert crashed.returncode == 70
    assert 0 < audit_files(warehouse) < len(discover_files(landing))

    rerun = subprocess.run(
        load_command(landing, warehouse), capture_output=True, text=True, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert fingerprint(warehouse) == reference
