"""Loader guarantees: rows accounted for, idempotent, all-or-nothing per file, clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cswh import cli
from cswh.contracts import entity
from cswh.load import CRASH_BEFORE_COMMIT_ENV, load_landing

TICKETS = entity("tickets")
HEADER = ",".join(TICKETS.column_names)


def ticket_row(ticket_id: str, **overrides: str) -> str:
    values = {
        "ticket_id": ticket_id,
        "account_id": "acc_000001",
        "requester_contact_id": "con_000001",
        "created_at": "2024-03-05T14:03:22Z",
        "first_response_at": "2024-03-05T15:00:00+01:00",
        "solved_at": "",
        "status": "open",
        "priority": "normal",
        "channel": "email",
        "category": "how_to",
        "product_id": "platform",
        "csat_rating": "",
        "csat_good_bad": "",
        "is_deleted": "",
        "deleted_at": "",
        "updated_at": "2024-03-05T15:00:00Z",
    }
    values.update(overrides)
    return ",".join(values[name] for name in TICKETS.column_names)


def write_tickets(landing: Path, name: str, lines: list[str], header: str = HEADER) -> Path:
    folder = landing / "support_desk" / "tickets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def query(warehouse: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "landing", tmp_path / "warehouse" / "test.duckdb"


def test_good_file_loads_with_lineage_and_utc(paths):
    landing, warehouse = paths
    write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1"), ticket_row("t2")])
    result = load_landing(landing, warehouse)
    assert result.ok
    assert (result.total("rows_read"), result.total("rows_loaded")) == (2, 2)
    rows = query(
        warehouse,
        "select ticket_id, first_response_at, _source_file, _source_row_number "
        "from raw.support_desk__tickets order by ticket_id",
    )
    # 15:00 at +01:00 is 14:00 UTC.
    assert str(rows[0][1]) == "2024-03-05 14:00:00"
    assert rows[0][2] == "support_desk/tickets/tickets__2024-03-05.csv"
    assert [r[3] for r in rows] == [2, 3]


def test_every_bad_row_is_quarantined_with_its_reason(paths):
    landing, warehouse = paths
    lines = [
        ticket_row("t1"),  # line 2: good
        ticket_row("t2", csat_rating="five"),  # 3: wrong type
        ticket_row("", status="open"),  # 4: null key
        ticket_row("t4", priority="sky-high"),  # 5: not an allowed value
        ticket_row("t5", csat_rating="9"),  # 6: out of range
        ticket_row("t6", created_at="2024-03-05 14:03:22"),  # 7: no UTC offset
        ticket_row("t7", created_at="2024-02-30T00:00:00Z"),  # 8: impossible date
        ticket_row("t8"),  # 9: exact duplicate pair: the first is kept
        ticket_row("t8"),  # 10
        ticket_row("t9", status="open"),  # 11: same key, different values: both refused
        ticket_row("t9", status="solved"),  # 12
        "t10,acc_000001",  # 13: truncated line
        ticket_row("t11") + ",surplus",  # 14: a field too many
        ticket_row("t12"),  # 15: good
    ]
    write_tickets(landing, "tickets__2024-03-05.csv", lines)
    result = load_landing(landing, warehouse)
    (file,) = result.files
    assert file.status == "loaded"
    assert file.rows_read == len(lines)
    assert file.rows_read == file.rows_loaded + file.rows_quarantined
    loaded = {r[0] for r in query(warehouse, "select ticket_id from raw.support_desk__tickets")}
    assert loaded == {"t1", "t8", "t12"}
    reasons = dict(
        query(
            warehouse,
            "select source_row_number, reason from loader.quarantined_rows order by 1",
        )
    )
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]
    assert "csat_rating: expected a whole number" in reasons[3]
    assert "ticket_id: required but empty" in reasons[4]
    assert "priority: not one of" in reasons[5] and "sky-high" in reasons[5]
    assert "csat_rating: above the allowed maximum 5" in reasons[6]
    assert "UTC offset" in reasons[7]
    assert "created_at" in reasons[8]
    assert "exact duplicate" in reasons[10]
    assert "appears 2 times" in reasons[11] and "appears 2 times" in reasons[12]
    assert "MISSING COLUMNS" in reasons[13]
    assert "TOO MANY COLUMNS" in reasons[14]
    audit = query(
        warehouse, "select rows_read, rows_loaded, rows_quarantined, status from loader.load_audit"
    )
    assert audit == [(14, 3, 11, "loaded")]


def test_loading_twice_adds_nothing(paths):
    landing, warehouse = paths
    write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1"), ticket_row("t2")])
    load_landing(landing, warehouse)
    second = load_landing(landing, warehouse)
    assert [f.status for f in second.files] == ["skipped"]
    assert second.total("rows_loaded") == 0
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(2,)]


def test_redelivered_file_with_corrections_loads_as_new_versions(paths):
    landing, warehouse = paths
    path = write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1")])
    load_landing(landing, warehouse)
    write_tickets(landing, path.name, [ticket_row("t1", priority="high")])
    result = load_landing(landing, warehouse)
    assert [f.status for f in result.files] == ["loaded"]
    versions = query(
        warehouse, "select priority from raw.support_desk__tickets order by _loaded_at"
    )
    assert versions == [("normal",), ("high",)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (HEADER.replace(",", ";").encode() + b"\n", "not comma-delimited"),
        (HEADER.replace("channel,", "").encode() + b"\n", "missing column(s) channel"),
        ((HEADER + ",owner").encode() + b"\n", "unexpected column(s) owner"),
        (HEADER.replace("channel", "source_channel").encode() + b"\n", "source_channel"),
        (HEADER.encode("utf-16"), "not UTF-8"),
        (b"\x1f\x8b\x08\x00\x00\x00binary", "not UTF-8"),
    ],
    ids=["empty", "semicolons", "missing", "extra", "renamed", "utf16", "gzip"],
)
def test_unreadable_file_is_refused_and_others_still_load(paths, content, expected):
    landing, warehouse = paths
    good = write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1")])
    bad = good.with_name("tickets__2024-03-06.csv")
    bad.write_bytes(content)
    result = load_landing(landing, warehouse)
    statuses = {f.path.name: (f.status, f.message) for f in result.files}
    assert statuses[good.name][0] == "loaded"
    assert statuses[bad.name][0] == "refused"
    assert expected in statuses[bad.name][1]
    assert not result.ok
    audit = query(
        warehouse, "select status, message from loader.load_audit where status = 'refused'"
    )
    assert audit == [("refused", statuses[bad.name][1])]


def test_cli_names_the_refused_file_and_exits_non_zero(paths, capsys):
    landing, warehouse = paths
    write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1")])
    write_tickets(landing, "tickets__2024-03-06.csv", [], header="ticket_id;status")
    code = cli.main(["load", "--landing", str(landing), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_INPUT_REFUSED
    assert "support_desk/tickets/tickets__2024-03-06.csv: refused" in err
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(1,)]


def test_header_only_file_loads_zero_rows(paths):
    landing, warehouse = paths
    write_tickets(landing, "tickets__2024-03-05.csv", [])
    (file,) = load_landing(landing, warehouse).files
    assert (file.status, file.rows_read, file.rows_loaded) == ("loaded", 0, 0)


def test_quoted_fields_with_line_breaks_count_once(paths):
    landing, warehouse = paths
    multi_line = ticket_row("t2", product_id='"platform\nsecond line"')
    write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row("t1"), multi_line])
    (file,) = load_landing(landing, warehouse).files
    assert (file.rows_read, file.rows_loaded) == (2, 2)


def test_parquet_extract_loads_like_csv(paths):
    landing, warehouse = paths
    folder = landing / "support_desk" / "tickets"
    folder.mkdir(parents=True)
    columns = {name: [None] for name in TICKETS.column_names}
    columns.update(
        ticket_id=["t1"],
        account_id=["acc_1"],
        status=["open"],
        priority=["low"],
        channel=["web"],
        category=["bug"],
        csat_rating=[4],
    )
    table = pa.table(columns)
    for name in ("created_at", "updated_at"):
        stamp = pa.array([pa.scalar(1709647402000000, pa.timestamp("us", tz="UTC"))])
        table = table.set_column(table.schema.get_field_index(name), name, stamp)
    pq.write_table(table, folder / "tickets__2024-03-05.parquet")
    (file,) = load_landing(landing, warehouse).files
    assert (file.status, file.rows_loaded, file.rows_quarantined) == ("loaded", 1, 0), file.message
    assert (
        query(warehouse, "select csat_rating, created_at from raw.support_desk__tickets")[0][0] == 4
    )


def test_crash_mid_file_leaves_nothing_and_next_run_completes(paths):
    landing, warehouse = paths
    write_tickets(landing, "tickets__2024-03-05.csv", [ticket_row(f"t{i}") for i in range(50)])
    command = [
        sys.executable,
        "-m",
        "cswh.cli",
        "load",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
    ]
    crashed = subprocess.run(
        command,
        env=os.environ | {CRASH_BEFORE_COMMIT_ENV: "tickets"},
        capture_output=True,
        check=False,
    )
    assert crashed.returncode == 70
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(0,)]
    assert query(warehouse, "select count(*) from loader.load_audit") == [(0,)]
    completed = subprocess.run(command, capture_output=True, check=False, text=True)
    assert completed.returncode == 0, completed.stderr
    assert query(warehouse, "select count(*) from raw.support_desk__tickets") == [(50,)]
