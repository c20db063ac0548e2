"""A full disk at any step of `cswh run` (candidate copy, load, dbt build) or of the export: one
clear message, exit 7, no partial candidate, WAL or export left, the published warehouse intact.

The disk is a small tmpfs mounted for the test (root only; CI runs as root)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from extract_files import NOW, csv_bytes, deliver_ticket_parents, good_row, tickets, write
from stand_in_build import stand_in_build

from cswh import cli
from cswh.contracts import entity
from cswh.load import load_landing


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mounts tmpfs file systems of a given size (bytes) under tmp_path; unmounts them after."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        completed = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            if os.geteuid() != 0:
                pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
            pytest.fail(f"mount failed: {completed.stderr}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published_on(tmp_path: Path) -> Callable[[Path], Path]:
    """A published warehouse holding the parent rows, copied onto a given disk."""
    landing = tmp_path / "parents"
    deliver_ticket_parents(landing)
    built = tmp_path / "built" / "w.duckdb"
    assert load_landing(landing, built, now=NOW).ok

    def copy_to(disk: Path) -> Path:
        target = disk / "warehouse" / "w.duckdb"
        target.parent.mkdir()
        shutil.copyfile(built, target)
        return target

    return copy_to


@pytest.fixture
def stand_in_dbt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    build = stand_in_build()
    monkeypatch.setattr(
        cli, "run_dbt", lambda warehouse, *arguments, verbose=False: build(warehouse)
    )
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("CSWH_LOADER_FUTURE_TOLERANCE_DAYS", "3650")


def cswh_run(landing: Path, published: Path) -> int:
    return cli.main(
        ["run", "--landing", str(landing), "--warehouse", str(published), "--no-export"]
    )


def assert_untouched(published: Path, before: str) -> None:
    assert digest(published) == before
    # No candidate, WAL, failed copy or loader scratch folder is left to fill the disk further.
    left = sorted(p.name for p in published.parent.iterdir() if p.name != "quality")
    assert left == [published.name, published.name + ".lock"], left


def fill(disk: Path) -> None:
    """Take every free byte of the disk with a ballast file."""
    with (disk / "ballast").open("wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(b"\0" * 4096)
        except OSError:
            pass


def test_disk_full_while_copying_the_candidate(
    small_disk, published_on, stand_in_dbt, tmp_path: Path, capsys
) -> None:
    size = (tmp_path / "built" / "w.duckdb").stat().st_size
    published = published_on(small_disk(size + size // 2))
    before = digest(published)
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets.csv", tickets({"ticket_id": "t1"}))
    assert cswh_run(landing, published) == cli.EXIT_DISK_FULL
    error = capsys.readouterr().err
    assert "disk full while copying the published warehouse" in error
    assert "the published warehouse is unchanged" in error
    assert_untouched(published, before)


def test_disk_full_while_loading(small_disk, published_on, stand_in_dbt, tmp_path: Path, capsys):
    size = (tmp_path / "built" / "w.duckdb").stat().st_size
    published = published_on(small_disk(2 * size + (1 << 20)))
    before = digest(published)
    landing = tmp_path / "landing"
    contract = entity("tickets")
    many = [good_row(contract, ticket_id=f"t{n:06d}", product_id="p" * 40) for n in range(40_000)]
    write(landing, "tickets", "tickets.csv", csv_bytes(contract, many))
    assert cswh_run(landing, published) == cli.EXIT_DISK_FULL
    error = capsys.readouterr().err
    assert "disk full while" in error and str(published.parent) in error
    assert_untouched(published, before)


def test_disk_full_while_dbt_builds(
    small_disk, published_on, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    """A real dbt command (seeding the candidate) on a disk with no room left."""
    size = (tmp_path / "built" / "w.duckdb").stat().st_size
    disk = small_disk(2 * size + (4 << 20))
    published = published_on(disk)
    before = digest(published)
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets.csv", tickets({"ticket_id": "t1"}))
    real_run_dbt = cli.run_dbt

    def seed_on_a_full_disk(warehouse: Path, *arguments: str, verbose: bool = False) -> int:
        fill(disk)
        return real_run_dbt(warehouse, "seed", verbose=verbose)

    monkeypatch.setattr(cli, "run_dbt", seed_on_a_full_disk)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.setenv("CSWH_LOADER_FUTURE_TOLERANCE_DAYS", "3650")
    assert cswh_run(landing, published) == cli.EXIT_DISK_FULL
    error = capsys.readouterr().err
    assert "disk full while building the candidate with dbt" in error, error
    (disk / "ballast").unlink()
    assert_untouched(published, before)


def test_disk_full_while_exporting(small_disk, tmp_path: Path, capsys) -> None:
    warehouse = tmp_path / "w.duckdb"
    connection = duckdb.connect(str(warehouse))
    connection.execute("create schema marts")
    connection.execute("create table marts.dim_small as select 1 as small_id")
    connection.close()
    export_dir = small_disk(1 << 20) / "parquet"
    arguments = ["export", "--warehouse", str(warehouse), "--export-dir", str(export_dir)]
    assert cli.main(arguments) == cli.EXIT_OK
    first = sorted(p.name for p in export_dir.iterdir())

    connection = duckdb.connect(str(warehouse))
    connection.execute(
        "create table marts.fct_large as select md5(range::varchar) || md5((range * 7)::varchar) "
        "as noise from range(200000)"
    )
    connection.close()
    capsys.readouterr()
    assert cli.main(arguments) == cli.EXIT_DISK_FULL
    error = capsys.readouterr().err
    assert "disk full while writing the Parquet export" in error
    assert "the partial export was removed" in error
    # The previous export is still current and whole; nothing partial is left.
    assert sorted(p.name for p in export_dir.iterdir()) == first
    assert not [p for p in export_dir.parent.iterdir() if p.name.endswith(".partial")]


def test_disk_full_while_writing_the_bi_file(
    small_disk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    warehouse = tmp_path / "w.duckdb"
    connection = duckdb.connect(str(warehouse))
    connection.execute("create schema marts")
    connection.execute(
        "create table marts.fct_large as select md5(range::varchar) || md5((range * 7)::varchar) "
        "as noise from range(200000)"
    )
    connection.close()
    disk = small_disk(512 << 10)
    monkeypatch.setenv("CSWH_BI_WAREHOUSE_PATH", str(disk / "w_bi.duckdb"))
    before = digest(warehouse)
    code = cli.main(["export", "--warehouse", str(warehouse), "--export-dir", str(tmp_path / "pq")])
    assert code == cli.EXIT_DISK_FULL
    error = capsys.readouterr().err
    assert "disk full while writing the BI file" in error and "is not affected" in error
    assert list(disk.iterdir()) == [], "the partial BI file and its WAL must be removed"
    assert digest(warehouse) == before
