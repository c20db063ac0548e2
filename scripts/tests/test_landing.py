"""The landing folder as a hostile delivery: odd names, misplaced files, links, unreadable files,
files still being written. Every path is loaded, refused or ignored with an audit row naming it,
and refusals make `cswh load` / `cswh run` exit 1 while the other files still load."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from extract_files import (
    NOW,
    deliver_ticket_parents,
    good_row,
    parquet_bytes,
    query,
    tickets,
    write,
)
from stand_in_build import stand_in_build

from cswh import cli, landing
from cswh.contracts import entity
from cswh.load import load_landing
from cswh.publish import run_pipeline


def audit(warehouse: Path) -> dict[str, tuple[str, str]]:
    return {
        source_file: (status, message)
        for source_file, status, message in query(
            warehouse, "select source_file, status, message from loader.load_audit"
        )
    }


GLOB_NAMES = [
    "tickets__a.csv",
    "tickets__[ab].csv",
    "tickets__*.csv",
    "tickets__?.csv",
    "tickets__{a,b}.csv",
]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_names_are_paths_not_patterns(tmp_path: Path, suffix: str) -> None:
    """Each file loads its own rows once, whatever glob characters its name holds."""
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    contract = entity("tickets")
    for number, name in enumerate(GLOB_NAMES, start=1):
        content = tickets({"ticket_id": f"t{number}"})
        path = write(landing_dir, "tickets", name.replace(".csv", suffix), content)
        if suffix == ".parquet":
            path.write_bytes(parquet_bytes(contract, [good_row(contract, ticket_id=f"t{number}")]))
    warehouse = tmp_path / "w.duckdb"
    result = load_landing(landing_dir, warehouse, now=NOW)
    assert result.ok, [f.message for f in result.refused]
    loaded = query(
        warehouse,
        "select ticket_id, _source_file from raw.support_desk__tickets order by ticket_id",
    )
    expected = [
        (f"t{number}", f"support_desk/tickets/{name.replace('.csv', suffix)}")
        for number, name in enumerate(GLOB_NAMES, start=1)
    ]
    assert loaded == expected


def test_every_path_that_is_no_extract_is_refused_by_name(tmp_path: Path) -> None:
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    good = write(landing_dir, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t1"}))
    folder = good.parent
    bad = {
        "stray.csv": landing_dir / "stray.csv",
        "support_desk/stray.csv": landing_dir / "support_desk" / "stray.csv",
        "helpdesk/tickets/tickets.csv": landing_dir / "helpdesk" / "tickets" / "tickets.csv",
        "support_desk/tikets/tickets.csv": landing_dir / "support_desk" / "tikets" / "t.csv",
        "crm/tickets/tickets.csv": landing_dir / "crm" / "tickets" / "tickets.csv",
        "support_desk/tickets/2026-10/tickets.csv": folder / "2026-10" / "tickets.csv",
        "support_desk/tickets/tickets.xlsx": folder / "tickets.xlsx",
        "support_desk/tickets/tickets.csv.zip": folder / "tickets.csv.zip",
    }
    for path in bad.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tickets({"ticket_id": "t9"}))
    dangling = folder / "tickets__link.csv"
    dangling.symlink_to(tmp_path / "gone.csv")
    fifo = folder / "tickets__pipe.csv"
    os.mkfifo(fifo)
    hidden = folder / ".tickets__2026-11-01.csv.part"
    hidden.write_bytes(tickets({"ticket_id": "t8"}))

    warehouse = tmp_path / "w.duckdb"
    result = load_landing(landing_dir, warehouse, now=NOW)

    refused = {f.path for f in result.refused}
    assert refused == set(bad.values()) | {dangling, fifo}
    assert [f.path for f in result.ignored] == [hidden]
    messages = audit(warehouse)
    relative = {path: path.relative_to(landing_dir).as_posix() for path in refused | {hidden}}
    assert {relative[p] for p in refused} | {relative[hidden]} <= set(messages)
    assert (
        "unknown source folder 'helpdesk'"
        in messages[relative[bad["helpdesk/tickets/tickets.csv"]]][1]
    )
    assert (
        "tickets extracts belong in support_desk/tickets/"
        in messages[relative[bad["crm/tickets/tickets.csv"]]][1]
    )
    assert (
        "unknown entity folder support_desk/tikets"
        in messages[relative[bad["support_desk/tikets/tickets.csv"]]][1]
    )
    assert "subfolder" in messages[relative[bad["support_desk/tickets/2026-10/tickets.csv"]]][1]
    assert (
        "unsupported file type" in messages[relative[bad["support_desk/tickets/tickets.xlsx"]]][1]
    )
    assert "does not exist" in messages[relative[dangling]][1]
    assert "not a regular file" in messages[relative[fifo]][1]
    assert messages[relative[hidden]][0] == "ignored"
    # The good file still loaded; the refused ones left no rows.
    assert query(warehouse, "select ticket_id from raw.support_desk__tickets") == [("t1",)]


def test_cswh_load_exits_1_when_anything_was_refused(tmp_path: Path) -> None:
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    write(landing_dir, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t1"}))
    (landing_dir / "support_desk" / "tickets" / "notes.txt").write_text("hello")
    warehouse = tmp_path / "w.duckdb"
    code = cli.main(["load", "--landing", str(landing_dir), "--warehouse", str(warehouse)])
    assert code == cli.EXIT_INPUT_REFUSED
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(1,)]


def test_unreadable_file_is_refused_by_name(tmp_path: Path) -> None:
    """Permission denied (root reads everything, so the loader runs as `nobody` there)."""
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    write(landing_dir, "tickets", "tickets__2026-10-30.csv", tickets({"ticket_id": "t1"}))
    locked = write(landing_dir, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t2"}))
    warehouse_dir = tmp_path / "warehouse"
    warehouse_dir.mkdir()
    locked.chmod(0)
    command = [sys.executable, "-m", "cswh.cli", "load", "--landing", str(landing_dir)]
    command += ["--warehouse", str(warehouse_dir / "w.duckdb")]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root for this test"
        for path in [tmp_path, *tmp_path.parents]:
            path.chmod(path.stat().st_mode | 0o005)  # let nobody walk to the landing folder
        for root, folders, files in os.walk(tmp_path):
            for name in folders:
                Path(root, name).chmod(0o777)
            for name in files:
                if Path(root, name) != locked:
                    Path(root, name).chmod(0o644)
        command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=os.environ | {"HOME": str(tmp_path)},
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == cli.EXIT_INPUT_REFUSED, completed.stderr
    assert f"{locked}: refused: cannot be read: permission denied" in completed.stderr
    assert query(warehouse_dir / "w.duckdb", "select ticket_id from raw.support_desk__tickets") == [
        ("t1",)
    ]


def test_a_file_changing_while_read_is_refused_then_loaded_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer appends while the loader reads: nothing of it loads, the next load takes it all."""
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    path = write(landing_dir, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t1"}))
    late_row = tickets({"ticket_id": "t2"}).split(b"\n", 1)[1]
    real_read = landing._read_all

    def read_while_the_writer_appends(handle) -> bytes:
        content = real_read(handle)
        with path.open("ab") as writer:
            writer.write(late_row)
        return content

    monkeypatch.setattr(landing, "_read_all", read_while_the_writer_appends)
    warehouse = tmp_path / "w.duckdb"
    first = load_landing(landing_dir, warehouse, now=NOW)
    (ticket_file,) = [f for f in first.files if f.entity == "tickets"]
    assert ticket_file.status == "refused"
    assert "changed while it was being read" in ticket_file.message
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(0,)]

    monkeypatch.setattr(landing, "_read_all", real_read)
    second = load_landing(landing_dir, warehouse, now=NOW)
    (ticket_file,) = [f for f in second.files if f.entity == "tickets"]
    assert (ticket_file.status, ticket_file.rows_loaded) == ("loaded", 2)
    # The recorded hash is that of the bytes whose rows were loaded.
    recorded = query(
        warehouse,
        "select content_sha256 from loader.load_audit "
        "where status = 'loaded' and entity = 'tickets'",
    )
    assert recorded == [(landing.file_sha256(path),)]


def test_the_same_content_plain_and_compressed_loads_once(tmp_path: Path) -> None:
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    content = tickets({"ticket_id": "t1"})
    write(landing_dir, "tickets", "tickets__2026-10-31.csv", content)
    write(landing_dir, "tickets", "tickets__2026-10-31.csv.gz", gzip.compress(content))
    result = load_landing(landing_dir, tmp_path / "w.duckdb", now=NOW)
    statuses = sorted(f.status for f in result.files if f.entity == "tickets")
    assert statuses == ["loaded", "skipped"]


@pytest.mark.parametrize(
    ("name", "content", "expected_code"),
    [
        (
            "latin1_cell",
            tickets({"ticket_id": "t1", "product_id": "CAFE"}).replace(b"CAFE", b"Caf\xe9"),
            0,
        ),
        ("empty_file", b"", 1),
    ],
)
def test_cswh_run_with_quality_on_never_fails_as_wrong_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, expected_code: int
) -> None:
    """The Great Expectations pre-check sees the loader's records: a Latin-1 cell is quarantined
    (exit 0), an empty file refused by name (exit 1), never exit 2 (wrong usage)."""
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    write(landing_dir, "tickets", "tickets__2026-10-31.csv", content)
    build = stand_in_build()
    monkeypatch.setattr(
        cli, "run_dbt", lambda warehouse, *arguments, verbose=False: build(warehouse)
    )
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("CSWH_LOADER_FUTURE_TOLERANCE_DAYS", "3650")
    warehouse = tmp_path / "warehouse" / "w.duckdb"
    code = cli.main(
        ["run", "--landing", str(landing_dir), "--warehouse", str(warehouse), "--no-export"]
    )
    assert code == expected_code


def test_scan_orders_parents_first_and_names_within_an_entity(tmp_path: Path) -> None:
    landing_dir = tmp_path / "landing"
    write(landing_dir, "tickets", "b.csv", b"x")
    write(landing_dir, "tickets", "a.csv.gz", b"x")
    write(landing_dir, "accounts", "z.parquet", b"x")
    scan = landing.scan_landing(landing_dir)
    assert [(e.name, p.name) for e, p in scan.extracts] == [
        ("accounts", "z.parquet"),
        ("tickets", "a.csv.gz"),
        ("tickets", "b.csv"),
    ]
    assert scan.problems == []


def test_run_pipeline_refuses_a_landing_with_a_misplaced_file(tmp_path: Path) -> None:
    landing_dir = tmp_path / "landing"
    deliver_ticket_parents(landing_dir)
    (landing_dir / "tickets.csv").write_bytes(tickets({"ticket_id": "t1"}))
    published = tmp_path / "warehouse" / "w.duckdb"
    result = run_pipeline(
        landing_dir, published, build=stand_in_build(), run_results=tmp_path / "rr.json"
    )
    assert not result.published
    assert any(
        "tickets.csv: lies at the top of the landing folder" in c for c in result.failed_checks
    )
