"""Bad-input suite: one small file per case, run through the pipeline of `cswh run`.

Each case goes through :func:`cswh.publish.run_pipeline` with the Great Expectations step on
(extract suites on the loader's records, mart suites after the build); dbt's build is replaced by
a stand-in writing the marts the suites read, since a dbt build per case would take minutes.

For every case: the outcome (rows quarantined with a reason naming the column and value, or the
file refused with a clear message), nothing lost (rows read = loaded + quarantined, in
``loader.load_audit``), quarantined rows at their physical line, no crash of the quality step,
and the published warehouse unaffected (a refused load is never published and leaves the
published bytes as they were; a published load holds no bad row).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from extract_files import (
    BASE_ROWS,
    NOW,
    csv_bytes,
    good_row,
    parquet_bytes,
    query,
    tickets,
    write,
)
from stand_in_build import stand_in_build

from cswh.contracts import entity
from cswh.load import FUTURE_TOLERANCE_ENV, future_limit, load_landing
from cswh.publish import RunResult, failed_path, prepare_candidate, run_pipeline
from cswh.raw_schema import raw_table


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse holding the parent rows, built once for the module."""
    root = tmp_path_factory.mktemp("base")
    landing = root / "landing"
    for name, rows in BASE_ROWS.items():
        contract = entity(name)
        write(
            landing,
            name,
            f"{name}__2026-10-01.csv",
            csv_bytes(contract, [good_row(contract, **r) for r in rows]),
        )
    warehouse = root / "published.duckdb"
    result = load_landing(landing, warehouse, now=NOW)
    assert result.ok and result.total("rows_quarantined") == 0, [f.message for f in result.files]
    return warehouse


@pytest.fixture
def published(base_warehouse: Path, tmp_path: Path) -> Path:
    """This test's own copy of the published warehouse."""
    path = tmp_path / "warehouse" / "published.duckdb"
    path.parent.mkdir()
    shutil.copy2(base_warehouse, path)
    return path


@dataclass
class Case:
    entity: str
    content: bytes
    status: str  # loaded | refused
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    # Substrings of the refusal message, or of the quarantine reasons (joined).
    expected: list[str] = field(default_factory=list)
    file_name: str = ""  # default: <entity>__2026-10-31.csv
    # Line (CSV) or row (Parquet) numbers of the quarantined rows, when the case pins them.
    quarantined_at: list[int] | None = None


def with_physical_lines() -> bytes:
    """A record spanning two lines, a blank line, a bad value and an unparsable line.

    line 1 header; lines 2-3 t1 (product_id holds a line break); line 4 blank; line 5 t2 with a
    bad rating; line 6 t3; line 7 t4 with one field too many.
    """
    contract = entity("tickets")
    first = tickets({"ticket_id": "t1", "product_id": "multi\nline"})
    rest = csv_bytes(
        contract,
        [
            good_row(contract, ticket_id="t2", csat_rating="five"),
            good_row(contract, ticket_id="t3"),
        ],
    ).split(b"\n", 1)[1]
    extra = csv_bytes(contract, [good_row(contract, ticket_id="t4")]).split(b"\n")[1]
    return first + b"\n" + rest + extra + b",surplus\n"


TICKET_HEADER = entity("tickets").column_names
# Ticket columns added for issue 15 (any help desk): optional, so older extracts leave them out.
NEW_TICKET_COLUMNS = ("csat_good_bad", "is_deleted", "deleted_at")
OLD_TICKET_HEADER = [n for n in TICKET_HEADER if n not in NEW_TICKET_COLUMNS]
_future = "2031-01-01T00:00:00Z"


def old_tickets(*rows: dict[str, str]) -> bytes:
    """A tickets extract written before the optional issue-15 columns existed."""
    contract = entity("tickets")
    return csv_bytes(contract, [good_row(contract, **r) for r in rows], header=OLD_TICKET_HEADER)


CASES: dict[str, Case] = {
    "missing_column": Case(
        "tickets",
        ",".join(n for n in TICKET_HEADER if n != "status").encode() + b"\n",
        "refused",
        expected=["missing column(s) status", "tickets contract expects"],
    ),
    "optional_columns_left_out": Case(
        "tickets",
        old_tickets({"ticket_id": "t1", "csat_rating": "4"}, {"ticket_id": "t2"}),
        "loaded",
        read=2,
        loaded=2,
    ),
    "renamed_optional_column": Case(
        "tickets",
        ",".join("satisfaction" if n == "csat_good_bad" else n for n in TICKET_HEADER).encode()
        + b"\n",
        "refused",
        expected=["missing column(s) csat_good_bad", "unexpected column(s) satisfaction"],
    ),
    "optional_columns_out_of_order": Case(
        "tickets",
        ",".join(["priority", *(n for n in OLD_TICKET_HEADER if n != "priority")]).encode() + b"\n",
        "refused",
        expected=["columns in the wrong order"],
    ),
    "csat_on_an_unknown_scale": Case(
        "tickets",
        tickets({"ticket_id": "t1", "csat_good_bad": "neutral"}, {"ticket_id": "t2"}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=['csat_good_bad: not one of good/bad (got "neutral")'],
    ),
    "deletion_flag_not_boolean": Case(
        "tickets",
        tickets({"ticket_id": "t1", "is_deleted": "deleted"}, {"ticket_id": "t2"}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["is_deleted"],
    ),
    "no_priority": Case(
        "tickets",
        tickets({"ticket_id": "t1", "priority": ""}, {"ticket_id": "t2", "priority": " "}),
        "loaded",
        read=2,
        loaded=2,
    ),
    "extra_column": Case(
        "tickets",
        (",".join(TICKET_HEADER) + ",owner\n").encode(),
        "refused",
        expected=["unexpected column(s) owner"],
    ),
    "renamed_column": Case(
        "tickets",
        ",".join("source_channel" if n == "channel" else n for n in TICKET_HEADER).encode() + b"\n",
        "refused",
        expected=["missing column(s) channel", "unexpected column(s) source_channel"],
    ),
    "wrong_type_in_one_cell": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "csat_rating": "five"}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=['csat_rating: expected a whole number (got "five")'],
    ),
    "null_key": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": ""}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["ticket_id: required but empty"],
    ),
    "duplicate_key_within_file": Case(
        "tickets",
        tickets({"ticket_id": "t1", "status": "open"}, {"ticket_id": "t1", "status": "solved"}),
        "loaded",
        read=2,
        loaded=0,
        quarantined=2,
        expected=["key (ticket_id) appears 2 times in this file with different values"],
    ),
    "orphan_foreign_key": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "account_id": "acc_999"}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=[
            'account_id: no accounts row with account_id "acc_999" '
            "(load the parent first or fix the key)"
        ],
    ),
    "orphan_self_reference": Case(
        "contacts",
        csv_bytes(
            entity("contacts"),
            [
                good_row(entity("contacts"), contact_id="con_2", reports_to_contact_id="con_3"),
                good_row(entity("contacts"), contact_id="con_3", reports_to_contact_id="con_1"),
                good_row(entity("contacts"), contact_id="con_4", reports_to_contact_id="con_9"),
            ],
        ),
        "loaded",
        read=3,
        loaded=2,
        quarantined=1,
        expected=['reports_to_contact_id: no contacts row with contact_id "con_9"'],
    ),
    "date_in_the_future": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "created_at": _future}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=[f"created_at: {_future} is in the future"],
    ),
    "negative_amount": Case(
        "invoices",
        csv_bytes(
            entity("invoices"),
            [
                good_row(entity("invoices"), invoice_id="inv_2"),
                good_row(entity("invoices"), invoice_id="inv_3", amount_paid="-5.00"),
            ],
        ),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=['amount_paid: below the allowed minimum 0 (got "-5.00")'],
    ),
    "negative_credit_line_is_fine": Case(
        "invoice_lines",
        csv_bytes(
            entity("invoice_lines"),
            [good_row(entity("invoice_lines"), line_type="credit", amount="-50.00")],
        ),
        "loaded",
        read=1,
        loaded=1,
    ),
    "wrong_delimiter": Case(
        "tickets",
        tickets({"ticket_id": "t1"}).replace(b",", b";"),
        "refused",
        expected=["not comma-delimited"],
    ),
    "non_utf8_header": Case(
        "tickets",
        tickets({"ticket_id": "t1"}).decode().encode("utf-16"),
        "refused",
        expected=["not UTF-8", "re-export the file as UTF-8"],
    ),
    "non_utf8_cell": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "product_id": "CAFE"}).replace(
            b"CAFE", b"Caf\xe9"
        ),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["unreadable line", "INVALID"],
    ),
    "truncated_last_line": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2"})[:-40],
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["unreadable line", "MISSING COLUMNS"],
    ),
    "empty_file": Case("tickets", b"", "refused", expected=["the file is empty"]),
    "header_only": Case("tickets", tickets(), "loaded"),
    "whitespace_only_key_is_missing": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": " \t "}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["ticket_id: required but empty"],
    ),
    "whitespace_only_required_field_is_missing": Case(
        "tickets",
        tickets({"ticket_id": "t1", "status": "   "}),
        "loaded",
        read=1,
        quarantined=1,
        expected=["status: required but empty"],
    ),
    "padded_key_is_the_same_key": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t1 "}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["exact duplicate of an earlier line in this file"],
        quarantined_at=[3],
    ),
    "padded_key_with_other_values_conflicts": Case(
        "tickets",
        tickets({"ticket_id": "t1", "status": "open"}, {"ticket_id": " t1", "status": "solved"}),
        "loaded",
        read=2,
        quarantined=2,
        expected=["key (ticket_id) appears 2 times in this file with different values"],
    ),
    "padded_enum_value_is_accepted": Case(
        "tickets",
        tickets({"ticket_id": "t1", "priority": " high\u00a0"}),
        "loaded",
        read=1,
        loaded=1,
    ),
    "nul_byte_in_a_cell": Case(
        "tickets",
        tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "product_id": "ab\x00cd"}),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["product_id: contains a NUL byte"],
        quarantined_at=[3],
    ),
    "duplicated_header_column": Case(
        "tickets",
        (",".join([*TICKET_HEADER, "priority"]) + "\n").encode(),
        "refused",
        expected=["column(s) named more than once in the header: priority (2 times)"],
    ),
    "physical_line_numbers": Case(
        "tickets",
        with_physical_lines(),
        "loaded",
        read=4,
        loaded=2,
        quarantined=2,
        expected=["csat_rating: expected a whole number", "unreadable line"],
        quarantined_at=[5, 7],
    ),
    "parquet_row_numbers": Case(
        "tickets",
        parquet_bytes(
            entity("tickets"),
            [
                good_row(entity("tickets"), ticket_id="t1"),
                good_row(entity("tickets"), ticket_id="t2", csat_rating="five"),
            ],
        ),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        expected=["csat_rating: expected a whole number"],
        file_name="tickets__2026-10-31.parquet",
        quarantined_at=[2],
    ),
    "gzip_compressed_csv": Case(
        "tickets",
        gzip.compress(tickets({"ticket_id": "t1"}, {"ticket_id": "t2", "csat_rating": "five"})),
        "loaded",
        read=2,
        loaded=1,
        quarantined=1,
        file_name="tickets__2026-10-31.csv.gz",
        quarantined_at=[3],
    ),
    "corrupt_gzip": Case(
        "tickets",
        gzip.compress(tickets({"ticket_id": "t1"}))[:-12],
        "refused",
        expected=["is not a complete gzip file"],
        file_name="tickets__2026-10-31.csv.gz",
    ),
    "nullable_foreign_key_empty_is_fine": Case(
        "tickets",
        tickets({"ticket_id": "t1", "requester_contact_id": ""}),
        "loaded",
        read=1,
        loaded=1,
    ),
}


def run(landing: Path, published: Path, work: Path) -> RunResult:
    """`cswh run`'s pipeline with the quality step on and a stand-in for dbt's build."""
    return run_pipeline(
        landing,
        published,
        build=stand_in_build(),
        run_results=work / "run_results.json",
        quality_dir=work / "quality",
    )


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, published: Path, tmp_path: Path) -> None:
    case = CASES[name]
    landing = tmp_path / "landing"
    file_name = case.file_name or f"{case.entity}__2026-10-31.csv"
    path = write(landing, case.entity, file_name, case.content)
    before = sha256(published)

    result = run(landing, published, tmp_path)
    assert result.published == (case.status == "loaded"), result.failed_checks
    (file,) = result.load.files
    # Where the load's rows are now: the published warehouse, or the failed candidate beside it.
    warehouse = published if result.published else failed_path(published)

    # The outcome, and the message or reasons naming the column and value.
    assert file.status == case.status, file.message
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (
        case.read,
        case.loaded,
        case.quarantined,
    )
    quarantined = query(
        warehouse,
        "select source_row_number, reason from loader.quarantined_rows where load_id = ? "
        "order by source_row_number",
        [result.load.load_id],
    )
    assert len(quarantined) == case.quarantined
    reasons = sorted(reason for _, reason in quarantined)
    text = file.message if case.status == "refused" else " | ".join(reasons)
    for expected in case.expected:
        assert expected in text, text
    if case.quarantined_at is not None:
        assert [line for line, _ in quarantined] == case.quarantined_at

    # Nothing lost: the audit accounts for every data line of the file.
    audit = query(
        warehouse,
        "select rows_read, rows_loaded, rows_quarantined, status, message from loader.load_audit "
        "where source_file = ?",
        [path.relative_to(landing).as_posix()],
    )
    assert len(audit) == 1
    rows_read, rows_loaded, rows_quarantined, status, message = audit[0]
    assert rows_read == rows_loaded + rows_quarantined
    assert (status, message) == (file.status, file.message)
    contract = entity(case.entity)
    raw_rows = query(
        warehouse,
        f"select count(*) from {raw_table(contract)} where _load_id = ?",
        [result.load.load_id],
    )[0][0]
    assert raw_rows == rows_loaded
    if case.status == "loaded" and file_name.endswith(".csv") and b'"' not in case.content:
        data_lines = len([line for line in case.content.split(b"\n")[1:] if line.strip()])
        assert rows_read == data_lines

    if case.status == "refused":
        # Never published, and not marked as loaded: it is tried again once fixed.
        assert sha256(published) == before
        assert any(file_name in check for check in result.failed_checks)
        again = load_landing(landing, warehouse, now=NOW)
        assert [f.status for f in again.files] == ["refused"]


def test_refused_file_blocks_publishing_in_the_pipeline(published: Path, tmp_path: Path) -> None:
    """`cswh run` semantics: a refused file keeps the published warehouse as it was."""
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets__2026-10-31.csv", CASES["empty_file"].content)
    before = sha256(published)
    run = run_pipeline(landing, published, build=lambda _: 0, run_results=tmp_path / "rr.json")
    assert not run.published
    assert "the published warehouse is unchanged" in run.message
    assert sha256(published) == before


LATEST_VERSION = """
    select ticket_id, priority, status from (
        select *, row_number() over (
            partition by ticket_id
            order by updated_at desc, _loaded_at desc, _source_row_number desc, _source_file desc
        ) as version_rank
        from raw.support_desk__tickets
    ) where version_rank = 1 order by ticket_id
"""  # the ranking of the staging models (macros/latest_version.sql)


def test_duplicate_key_across_files_is_a_new_version(published: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets__2026-10-30.csv", tickets({"ticket_id": "t1"}))
    later = {"ticket_id": "t1", "status": "solved", "updated_at": "2026-10-31T10:00:00Z"}
    write(landing, "tickets", "tickets__2026-10-31.csv", tickets(later))
    candidate = prepare_candidate(published)
    result = load_landing(landing, candidate, now=NOW)
    assert [(f.status, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("loaded", 1, 0),
        ("loaded", 1, 0),
    ]
    assert query(candidate, "select count(*) from raw.support_desk__tickets") == [(2,)]
    assert query(candidate, LATEST_VERSION) == [("t1", "low", "solved")]


def test_redelivered_file_with_corrections_wins_in_staging(published: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write(landing, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t1"}))
    candidate = prepare_candidate(published)
    load_landing(landing, candidate, now=NOW)
    # Same file name, same updated_at, a corrected priority: only the load time tells them apart.
    path.write_bytes(tickets({"ticket_id": "t1", "priority": "urgent"}))
    second = load_landing(landing, candidate, now=NOW)
    (file,) = second.files
    assert (file.status, file.rows_read, file.rows_loaded) == ("loaded", 1, 1)
    versions = query(
        candidate, "select priority, _loaded_at from raw.support_desk__tickets order by _loaded_at"
    )
    assert [v[0] for v in versions] == ["low", "urgent"]
    assert versions[1][1] > versions[0][1]
    assert query(candidate, LATEST_VERSION) == [("t1", "urgent", "new")]
    # Re-delivering the same corrected bytes again adds nothing.
    assert [f.status for f in load_landing(landing, candidate, now=NOW).files] == ["skipped"]


def test_parents_in_the_same_delivery_are_loaded_first(tmp_path: Path) -> None:
    """A child file and its parent file arriving together load cleanly whatever their names."""
    landing = tmp_path / "landing"
    for name in ("csms", "accounts"):
        write(
            landing,
            name,
            f"{name}__2026-10-01.csv",
            csv_bytes(entity(name), [good_row(entity(name), **BASE_ROWS[name][0])]),
        )
    write(landing, "tickets", "tickets__2026-10-01.csv", tickets({"ticket_id": "t1"}))
    result = load_landing(landing, tmp_path / "w.duckdb", now=NOW)
    assert [f.entity for f in result.files] == ["csms", "accounts", "tickets"]
    assert result.total("rows_quarantined") == 0


def test_future_tolerance_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extracts dated after the loader's clock (a simulated landing) need a larger tolerance."""
    assert future_limit(NOW) == datetime(2026, 11, 2, 12, 0, 0)
    monkeypatch.setenv(FUTURE_TOLERANCE_ENV, "30")
    assert future_limit(NOW) == datetime(2026, 12, 1, 12, 0, 0)
    monkeypatch.setenv(FUTURE_TOLERANCE_ENV, "soon")
    with pytest.raises(ValueError, match=FUTURE_TOLERANCE_ENV):
        future_limit(NOW)


def test_planned_dates_may_lie_ahead(published: Path, tmp_path: Path) -> None:
    """A goal's target date is a plan, not an event: it is not checked against the load time."""
    landing = tmp_path / "landing"
    goals = entity("success_plan_goals")
    write(
        landing,
        "success_plan_goals",
        "success_plan_goals__2026-10-31.csv",
        csv_bytes(goals, [good_row(goals, goal_id="g1", target_date="2027-06-30")]),
    )
    result = load_landing(landing, prepare_candidate(published), now=NOW)
    assert (result.files[0].rows_loaded, result.files[0].rows_quarantined) == (1, 0)


def test_a_scheduled_resume_may_lie_ahead(published: Path, tmp_path: Path) -> None:
    """A pause's resume date is a schedule: a subscription paused until next month loads."""
    landing = tmp_path / "landing"
    subscriptions = entity("subscriptions")
    row = good_row(
        subscriptions,
        subscription_id="sub_2",
        status="paused",
        paused_at="2026-10-20T00:00:00Z",
        resumes_at="2027-01-20T00:00:00Z",
    )
    write(
        landing,
        "subscriptions",
        "subscriptions__2026-10-31.csv",
        csv_bytes(subscriptions, [row]),
    )
    result = load_landing(landing, prepare_candidate(published), now=NOW)
    assert (result.files[0].rows_loaded, result.files[0].rows_quarantined) == (1, 0)


@pytest.mark.parametrize(
    "column",
    ["subtotal", "discount_amount", "tax_amount", "total", "amount_paid"],
)
def test_invoice_money_columns_cannot_be_negative(column: str) -> None:
    """Invoice amounts are never negative (credits are negative *lines*, netted into subtotal)."""
    assert entity("invoices").column(column).min_value == 0


def test_children_of_a_refused_parent_file_are_quarantined(tmp_path: Path) -> None:
    """A parent delivered but refused is not 'not connected yet': its children are checked."""
    landing = tmp_path / "landing"
    write(landing, "accounts", "accounts__2026-10-01.csv", b"")
    write(landing, "tickets", "tickets__2026-10-01.csv", tickets({"ticket_id": "t1"}))
    result = load_landing(landing, tmp_path / "w.duckdb", now=NOW)
    accounts, ticket_file = result.files
    assert accounts.status == "refused"
    assert (ticket_file.rows_loaded, ticket_file.rows_quarantined) == (0, 1)
    assert "requester_contact_id not checked: no contacts loaded yet" in ticket_file.message
    reasons = query(tmp_path / "w.duckdb", "select reason from loader.quarantined_rows")
    assert reasons == [
        (
            'account_id: no accounts row with account_id "acc_1" '
            "(load the parent first or fix the key)",
        )
    ]


def test_optional_columns_left_out_load_empty_and_are_named(
    published: Path, tmp_path: Path
) -> None:
    """An extract from before csat_good_bad, is_deleted and deleted_at existed (CSV or Parquet)
    loads with those columns empty, and the audit row says which were left out."""
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets__2026-10-30.csv", old_tickets({"ticket_id": "t1"}))
    contract = entity("tickets")
    old_contract_rows = [
        {n: v for n, v in good_row(contract, ticket_id="t2").items() if n in OLD_TICKET_HEADER}
    ]
    parquet = parquet_bytes(contract, old_contract_rows)
    write(landing, "tickets", "tickets__2026-10-31.parquet", _without(parquet))
    candidate = prepare_candidate(published)
    result = load_landing(landing, candidate, now=NOW)
    expected_note = "optional column(s) not in the file, loaded as empty: " + ", ".join(
        NEW_TICKET_COLUMNS
    )
    assert [(f.status, f.rows_loaded) for f in result.files] == [("loaded", 1), ("loaded", 1)]
    assert all(f.message == expected_note for f in result.files)
    assert query(
        candidate,
        "select ticket_id, csat_good_bad, is_deleted, deleted_at from raw.support_desk__tickets "
        "order by ticket_id",
    ) == [("t1", None, None, None), ("t2", None, None, None)]


def _without(parquet: bytes) -> bytes:
    """The Parquet file with the issue-15 ticket columns dropped."""
    table = pq.read_table(io.BytesIO(parquet)).drop_columns(list(NEW_TICKET_COLUMNS))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_raw_table_from_before_new_columns_gains_them(published: Path, tmp_path: Path) -> None:
    """A warehouse whose raw tickets table predates the new optional columns gets them added
    (empty for the rows already loaded) on the next load, instead of failing its inserts."""
    candidate = prepare_candidate(published)
    connection = duckdb.connect(str(candidate))
    for name in NEW_TICKET_COLUMNS:
        connection.execute(f"alter table raw.support_desk__tickets drop column {name}")
    connection.close()
    landing = tmp_path / "landing"
    write(landing, "tickets", "tickets__2026-10-31.csv", tickets({"ticket_id": "t9"}))
    result = load_landing(landing, candidate, now=NOW)
    assert [(f.status, f.rows_loaded) for f in result.files] == [("loaded", 1)]
    assert query(
        candidate, "select csat_good_bad from raw.support_desk__tickets where ticket_id = 't9'"
    ) == [("good",)]
