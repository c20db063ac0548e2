"""One writer at a time: load, build and run take the warehouse's write lock; a second writer
refuses (exit 6) or, with --wait, queues behind the first; a load during a run is never lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from extract_files import deliver_ticket_parents, tickets, write

from cswh.cli import EXIT_BUSY
from cswh.lock import WAIT_ENV, WarehouseBusy, lock_path, wait_seconds_setting, warehouse_lock

# A `cswh run` paused in its build step until the test lets it go.
PAUSED_RUN = """
import sys, time
from pathlib import Path
from cswh.publish import run_pipeline

landing, published, ready, release = map(Path, sys.argv[1:5])

def build(candidate):
    ready.touch()
    while not release.exists():
        time.sleep(0.05)
    return 0

result = run_pipeline(landing, published, build=build, run_results=published.parent / "rr.json")
sys.exit(0 if result.published else 3)
"""

# Holds the lock the way a long `cswh build` would.
HOLDER = """
import sys, time
from pathlib import Path
from cswh.lock import warehouse_lock

warehouse, ready, release = map(Path, sys.argv[1:4])
with warehouse_lock(warehouse, "cswh build"):
    ready.touch()
    while not release.exists():
        time.sleep(0.05)
"""


def cswh(*arguments: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cswh.cli", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"CSWH_LOADER_FUTURE_TOLERANCE_DAYS": "3650"},
        **popen,
    )


def python(script: str, *arguments: Path) -> subprocess.Popen:
    # A script file, not `python -c`: pyspark (imported by Great Expectations) exits a process
    # whose main module has no file, taking it for a doctest run.
    path = arguments[0].parent / f"script_{abs(hash(script))}.py"
    path.write_text(script)
    return subprocess.Popen(
        [sys.executable, str(path), *map(str, arguments)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def deliver(landing: Path, *ticket_ids: str) -> None:
    deliver_ticket_parents(landing)
    for ticket_id in ticket_ids:
        write(landing, "tickets", f"tickets__{ticket_id}.csv", tickets({"ticket_id": ticket_id}))


def ticket_ids(warehouse: Path) -> list[str]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [
            row[0]
            for row in connection.execute(
                "select ticket_id from raw.support_desk__tickets order by ticket_id"
            ).fetchall()
        ]
    finally:
        connection.close()


def test_a_load_during_a_run_is_never_lost(tmp_path: Path) -> None:
    published = tmp_path / "warehouse" / "w.duckdb"
    run_landing, late_landing = tmp_path / "landing", tmp_path / "late"
    deliver(run_landing, "t1")
    deliver(late_landing, "t2")
    ready, release = tmp_path / "ready", tmp_path / "release"
    run = python(PAUSED_RUN, run_landing, published, ready, release)
    try:
        wait_for(ready, run)
        # A second writer refuses at once, naming the run.
        refused = cswh("load", "--landing", str(late_landing), "--warehouse", str(published))
        _, stderr = refused.communicate(timeout=120)
        assert refused.returncode == EXIT_BUSY, stderr
        assert "is being written by `cswh run`" in stderr
        # With --wait it queues behind the run and loads into what the run published.
        queued = cswh(
            "load", "--landing", str(late_landing), "--warehouse", str(published), "--wait", "120"
        )
        time.sleep(1.5)
        assert queued.poll() is None, queued.communicate()
    finally:
        release.touch()
    assert run.wait(timeout=120) == 0, run.communicate()
    _, stderr = queued.communicate(timeout=120)
    assert queued.returncode == 0, stderr
    assert "waiting for `cswh run`" in stderr
    assert ticket_ids(published) == ["t1", "t2"]


@pytest.mark.parametrize("command", ["load", "build", "run"])
def test_every_writer_refuses_while_another_holds_the_lock(tmp_path: Path, command: str) -> None:
    warehouse = tmp_path / "w.duckdb"
    landing = tmp_path / "landing"
    deliver(landing, "t1")
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = python(HOLDER, warehouse, ready, release)
    try:
        wait_for(ready, holder)
        arguments = [command, "--warehouse", str(warehouse)]
        if command != "build":
            arguments += ["--landing", str(landing)]
        second = cswh(*arguments)
        _, stderr = second.communicate(timeout=120)
    finally:
        release.touch()
    holder.wait(timeout=60)
    assert second.returncode == EXIT_BUSY, stderr
    assert f"{warehouse} is being written by `cswh build` (pid {holder.pid}" in stderr
    assert not warehouse.exists(), "a refused writer must not touch the warehouse"


def test_the_lock_is_released_when_its_holder_dies(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    ready = tmp_path / "ready"
    holder = python(HOLDER, warehouse, ready, tmp_path / "never")
    wait_for(ready, holder)
    with pytest.raises(WarehouseBusy), warehouse_lock(warehouse, "second"):
        pass
    holder.kill()
    holder.wait(timeout=60)
    with warehouse_lock(warehouse, "after the crash"):
        assert lock_path(warehouse).exists()


def test_wait_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WAIT_ENV, raising=False)
    assert wait_seconds_setting() == 0
    monkeypatch.setenv(WAIT_ENV, "30")
    assert wait_seconds_setting() == 30
    for bad in ("soon", "-1"):
        monkeypatch.setenv(WAIT_ENV, bad)
        with pytest.raises(ValueError, match=WAIT_ENV):
            wait_seconds_setting()
