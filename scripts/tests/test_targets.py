"""What the extra targets share: whether a new replica continues the one a target was built from.

Incremental tables on PostgreSQL or Spark were built from the previous replica of the raw layer.
When the next replica holds everything that one held (the same warehouse, loaded further), an
incremental build is right; otherwise the build must be a full refresh.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cswh.targets import (
    FULL_REFRESH,
    continues_previous_replica,
    warehouse_loads,
    with_full_refresh_unless_continued,
)


def _audited_warehouse(path: Path, loads: list[tuple[str, str]]) -> Path:
    """A warehouse whose load audit holds (load_id, started_at) rows, two files per load."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema loader")
        con.execute(
            "create table loader.load_audit (load_id varchar, source_file varchar, "
            "started_at timestamp)"
        )
        for load_id, started_at in loads:
            for source_file in ("a.csv", "b.csv"):
                con.execute(
                    "insert into loader.load_audit values (?, ?, ?)",
                    [load_id, source_file, started_at],
                )
    return path


def test_loads_are_listed_once_each_oldest_first(tmp_path: Path) -> None:
    warehouse = _audited_warehouse(
        tmp_path / "w.duckdb",
        [("load_b", "2026-01-02 00:00:00"), ("load_a", "2026-01-03 00:00:00")],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert warehouse_loads(con) == ["load_b", "load_a"]


def test_a_warehouse_without_a_load_audit_has_no_loads(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema raw")
        assert warehouse_loads(con) == []


@pytest.mark.parametrize(
    ("previous_newest", "loads", "continues"),
    [
        ("load_2", ["load_1", "load_2", "load_3"], True),  # the same warehouse, loaded further
        ("load_2", ["load_1", "load_2"], True),  # replicated again unchanged
        ("load_3", ["load_1", "load_2"], False),  # an older copy: rows would be missing
        ("load_x", ["load_1", "load_2"], False),  # another warehouse
        (None, ["load_1"], False),  # no record: a first build, or a target built before records
        (None, [], False),
    ],
)
def test_a_replica_continues_only_a_previous_one_whose_newest_load_it_holds(
    previous_newest: str | None, loads: list[str], continues: bool
) -> None:
    assert continues_previous_replica(previous_newest, loads) is continues


def test_full_refresh_is_added_once_and_only_when_the_replica_does_not_continue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert with_full_refresh_unless_continued(True, ["--select", "marts"]) == ["--select", "marts"]
    assert capsys.readouterr().out == ""
    assert with_full_refresh_unless_continued(False, ["--select", "marts"]) == [
        "--select",
        "marts",
        FULL_REFRESH,
    ]
    assert "--full-refresh" in capsys.readouterr().out
    assert with_full_refresh_unless_continued(False, [FULL_REFRESH]) == [FULL_REFRESH]
