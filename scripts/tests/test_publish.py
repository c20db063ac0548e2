"""Write-audit-publish: a failing check never reaches the published warehouse; readers never wait.

Slow (dbt builds in a subprocess): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cswh import publish
from cswh.contracts import ENTITIES
from cswh.generate import generate_landing

pytestmark = pytest.mark.dbt

REPO_ROOT = Path(__file__).resolve().parents[2]


def cswh_run(landing: Path, warehouse: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"DBT_TARGET_PATH": str(tmp_path / "target")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cswh.cli",
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO_ROOT,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(warehouse: Path, sql: str) -> int:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path, Path]:
    tmp_path = tmp_path_factory.mktemp("wap")
    landing = tmp_path / "landing"
    generate_landing(landing, scale=0.02, seed=7)
    warehouse = tmp_path / "warehouse" / "cs.duckdb"
    completed = cswh_run(landing, warehouse, tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return landing, warehouse, tmp_path


def test_a_passing_run_publishes_and_leaves_no_candidate(published):
    _, warehouse, _ = published
    assert warehouse.exists()
    assert not warehouse.with_name(warehouse.name + ".candidate").exists()
    assert count(warehouse, "select count(*) from marts.fct_account_mrr_monthly") > 0
    # The published build's dbt results outlive target/run_results.json (make demo's summary).
    kept = json.loads(publish.published_build_results(warehouse).read_text())["results"]
    assert any(result["unique_id"].startswith("test.") for result in kept)


def test_no_built_mart_carries_personal_data(published):
    _, warehouse, _ = published
    pii = {c.name for e in ENTITIES for c in e.columns if c.is_pii}
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        mart_columns = {
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
            ).fetchall()
        }
    finally:
        connection.close()
    assert mart_columns and not (mart_columns & pii)


def test_a_failing_check_leaves_the_published_warehouse_untouched(published):
    landing, warehouse, tmp_path = published
    before = digest(warehouse)
    # An invoice whose total disagrees with subtotal - discount + tax passes every row check of
    # the loader but fails a dbt data test on staging.
    invoices_dir = landing / "billing" / "invoices"
    source = sorted(invoices_dir.glob("*.csv"))[0]
    with source.open(newline="") as handle:
        reader = csv.DictReader(handle)
        row = next(reader)
    row["invoice_id"] = "inv_wrong_total"
    row["total"] = f"{float(row['total']) + 100:.2f}"
    bad = invoices_dir / "invoices__2026-10-31-late.csv"
    with bad.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    try:
        completed = cswh_run(landing, warehouse, tmp_path)
    finally:
        bad.unlink()
    assert completed.returncode == 3
    failed_test = "assert_stg_billing__invoices_total_is_subtotal_less_discount_plus_tax"
    assert failed_test in completed.stderr
    assert "published warehouse is unchanged" in completed.stderr
    assert digest(warehouse) == before
    assert warehouse.with_name(warehouse.name + ".failed").exists()


READER = """
import sys, time, duckdb
path, seconds = sys.argv[1], float(sys.argv[2])
queries = errors = 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        connection = duckdb.connect(path, read_only=True)
        connection.execute("select count(*) from marts.rpt_mrr_waterfall").fetchone()
        connection.close()
        queries += 1
    except Exception as error:
        errors += 1
        print(repr(error), file=sys.stderr)
    time.sleep(0.05)
print(queries, errors)
"""


def test_readers_query_the_published_warehouse_during_a_run(published):
    landing, warehouse, tmp_path = published
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse), "25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    started = time.monotonic()
    completed = cswh_run(landing, warehouse, tmp_path)
    run_seconds = time.monotonic() - started
    out, err = reader.communicate(timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    queries, errors = (int(x) for x in out.split())
    assert errors == 0, err
    assert run_seconds > 1 and queries > 10


def marts_fingerprint(warehouse: Path) -> dict[str, str]:
    """A checksum of every row of a few marts, independent of row order."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            table: connection.execute(
                f"select md5(string_agg(cast(t as varchar), '|' order by cast(t as varchar))) "
                f"from marts.{table} as t"
            ).fetchone()[0]
            for table in ("fct_account_mrr_monthly", "fct_account_health_weekly", "fct_escalations")
        }
    finally:
        connection.close()


def test_a_run_killed_mid_build_is_completed_by_the_next_run(published):
    landing, warehouse, tmp_path = published
    expected = marts_fingerprint(warehouse)
    before = digest(warehouse)
    candidate = warehouse.with_name(warehouse.name + ".candidate")
    env = os.environ | {"DBT_TARGET_PATH": str(tmp_path / "target")}
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cswh.cli",
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not candidate.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(6)  # well into dbt build
    assert run.poll() is None, "the run finished before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert digest(warehouse) == before
    completed = cswh_run(landing, warehouse, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert marts_fingerprint(warehouse) == expected
