"""The vendor framework: reading vendor files, settling every row, loading with the native checks.

A stand-in adapter (companies -> crm accounts) exercises what every real adapter relies on, so a
fault here is told apart from a fault in one vendor's mapping.
"""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from vendor_fixtures import assert_accounted, load_vendor_landing, query

from cswh import vendors
from cswh.vendors.base import (
    Adapter,
    MappedBatch,
    Option,
    VendorFileRefused,
    VendorTable,
    normalise_header,
    parse_instant,
    parse_vendor_file,
)
from cswh.vendors.config import SourceSystemsError, parse_source_systems

COMPANIES = VendorTable(
    "companies",
    {
        "id": ("company_id", "record_id"),
        "name": ("company_name",),
        "industry": (),
        "region": (),
        "country": (),
        "is_test": (),
        "created_at": ("create_date",),
        "updated_at": ("last_modified_date",),
    },
    required=frozenset({"id", "name"}),
)


class StandInAdapter(Adapter):
    vendor = "segment"  # a registered vendor folder name, re-pointed at this class by the fixture
    title = "Stand-in"
    source_system = "crm"
    tables = (COMPANIES,)
    produces = ("accounts",)
    options = (Option("skip_tests", True, "skip rows marked is_test"),)

    def map(self, rows, batch: MappedBatch) -> None:
        for row in rows["companies"]:
            if row["id"] == "forgotten":
                continue  # an adapter fault: the framework must quarantine it
            if self.settings["skip_tests"] and row["is_test"] == "true":
                batch.skip(row, "test company")
                continue
            if row["region"] is None:
                batch.quarantine(row, "region: missing; set the company's region")
                continue
            batch.emit(
                "accounts",
                {
                    "account_id": row["id"],
                    "account_name": row["name"],
                    "industry": row["industry"],
                    "region": row["region"],
                    "country": row["country"],
                    "created_at": parse_instant(row["created_at"]),
                    "updated_at": parse_instant(row["updated_at"]),
                },
                row,
            )


@pytest.fixture
def stand_in(monkeypatch):
    monkeypatch.setitem(vendors.ADAPTERS, "segment", (__name__, "StandInAdapter"))


CSV = (
    "Company ID,Company Name,Industry,Region,Country,Is Test,Create Date,Last Modified Date\n"
    "a1,Acme,software,emea,DE,false,2025-01-01 10:00:00,2025-02-01T00:00:00Z\n"
    "a2,Test Co,software,emea,DE,true,2025-01-01 10:00:00,2025-02-01T00:00:00Z\n"
    "a3,No Region,software,,DE,false,2025-01-01 10:00:00,2025-02-01T00:00:00Z\n"
    "a4,Bad Region,software,mars,DE,false,2025-01-01 10:00:00,2025-02-01T00:00:00Z\n"
    "a5,Short,row\n"
    "forgotten,Lost,software,emea,DE,false,2025-01-01 10:00:00,2025-02-01T00:00:00Z\n"
)


def test_headers_match_loosely():
    assert normalise_header(" Customer ID ") == "customer_id"
    assert normalise_header("customer-id") == "customer_id"
    assert normalise_header("_fivetran_deleted") == "_fivetran_deleted"
    assert COMPANIES.header_map(["Record ID", "Company Name"]) == {
        "Record ID": "id",
        "Company Name": "name",
    }


def test_csv_jsonl_and_parquet_give_the_same_rows():
    records = [
        {"id": "a1", "name": "Acme", "created_at": "2025-01-01T10:00:00+00:00", "is_test": False},
        {"id": "a2", "name": " Beta ", "created_at": None, "is_test": True},
    ]
    csv_text = (
        "id,name,created_at,is_test\na1,Acme,2025-01-01T10:00:00+00:00,false\na2, Beta ,,true\n"
    )
    jsonl = "\n".join(json.dumps(r) for r in records) + "\n"
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), sink)
    parsed = [
        parse_vendor_file(COMPANIES, "f", csv_text.encode(), "csv"),
        parse_vendor_file(COMPANIES, "f", jsonl.encode(), "jsonl"),
        parse_vendor_file(COMPANIES, "f", sink.getvalue(), "parquet"),
    ]
    values = [[row.values for row in p.rows] for p in parsed]
    assert values[0] == values[1] == values[2]
    assert values[0][1] == {"id": "a2", "name": "Beta", "created_at": None, "is_test": "true"}


def test_a_file_without_a_required_column_is_refused_naming_it():
    with pytest.raises(VendorFileRefused, match=r"name \(or company_name\)"):
        parse_vendor_file(COMPANIES, "f", b"id,industry\na1,x\n", "csv")


def test_lines_are_physical_and_short_records_are_unreadable():
    parsed = parse_vendor_file(COMPANIES, "f", b'id,name\na1,"two\nlines"\na2\na3,x\n', "csv")
    assert [(r.line, r["id"]) for r in parsed.rows] == [(2, "a1"), (5, "a3")]
    assert [(line, reason) for line, reason, _ in parsed.unreadable] == [
        (4, "has 1 fields where the header has 2")
    ]


def test_epoch_and_naive_instants_become_utc_text():
    assert parse_instant("1700000000") == "2023-11-14T22:13:20+00:00"
    assert parse_instant("2025-01-01 10:00:00") == "2025-01-01T10:00:00Z"
    assert parse_instant("2025-01-01T10:00:00+02:00") == "2025-01-01T10:00:00+02:00"


def test_every_row_is_mapped_skipped_or_quarantined(stand_in, tmp_path):
    result, warehouse = load_vendor_landing(
        tmp_path,
        {"segment/companies/companies.csv.gz": gzip.compress(CSV.encode())},
        {"crm": {"vendor": "segment"}},
    )
    assert result.ok, result.files
    assert_accounted(result)
    (file,) = [f for f in result.files if f.entity == "segment.companies"]
    assert (file.rows_read, file.rows_loaded, file.rows_skipped, file.rows_quarantined) == (
        6,
        1,
        1,
        4,
    )
    assert "skipped 1 (test company: 1)" in file.message
    assert query(
        warehouse, "select account_id, _source_file, _source_row_number from raw.crm__accounts"
    ) == [("a1", "segment/companies/companies.csv.gz", 2)]
    reasons = dict(
        query(warehouse, "select source_row_number, reason from loader.quarantined_rows")
    )
    assert reasons[4] == "region: missing; set the company's region"
    assert "region" in reasons[5] and "mars" in reasons[5]  # the contract's own check
    assert reasons[6].startswith("unreadable line: has 3 fields")
    assert "adapter fault" in reasons[7]
    assert query(warehouse, "select entity, rows_loaded from loader.vendor_contract_rows") == [
        ("accounts", 1)
    ]


def test_a_second_load_of_the_same_files_adds_nothing(stand_in, tmp_path):
    files = {"segment/companies/companies.csv": CSV}
    load_vendor_landing(tmp_path, files, {"crm": {"vendor": "segment"}})
    again, warehouse = load_vendor_landing(tmp_path, files, {"crm": {"vendor": "segment"}})
    assert [f.status for f in again.files if f.entity == "segment.companies"] == ["skipped"]
    assert query(warehouse, "select count(*) from raw.crm__accounts") == [(1,)]


def test_changed_settings_map_the_files_again(stand_in, tmp_path):
    files = {"segment/companies/companies.csv": CSV}
    load_vendor_landing(tmp_path, files, {"crm": {"vendor": "segment"}})
    _, warehouse = load_vendor_landing(
        tmp_path, files, {"crm": {"vendor": "segment", "skip_tests": False}}
    )
    assert query(warehouse, "select count(distinct account_id) from raw.crm__accounts") == [(2,)]


def test_a_vendor_folder_without_configuration_is_refused(stand_in, tmp_path):
    result, _ = load_vendor_landing(tmp_path, {"segment/companies/c.csv": CSV}, {})
    (refused,) = result.refused
    assert "no source system is configured to come from segment" in refused.message


def test_a_native_file_for_an_entity_the_vendor_delivers_is_refused(stand_in, tmp_path):
    result, _ = load_vendor_landing(
        tmp_path,
        {"segment/companies/c.csv": CSV, "crm/accounts/accounts.csv": "account_id\n"},
        {"crm": {"vendor": "segment"}},
    )
    assert [f.path.name for f in result.refused] == ["accounts.csv"]
    assert "set 'crm: {vendor: native}'" in result.refused[0].message


def test_an_unknown_table_folder_is_refused(stand_in, tmp_path):
    result, _ = load_vendor_landing(
        tmp_path, {"segment/deals/d.csv": "id\n1\n"}, {"crm": {"vendor": "segment"}}
    )
    assert "no Stand-in table the adapter reads (known: companies)" in result.refused[0].message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"ledger": {"vendor": "stripe"}}, "unknown source system 'ledger'"),
        ({"billing": {"vendor": "quickbooks"}}, "unknown vendor 'quickbooks'"),
        ({"crm": {"vendor": "segment", "colour": 1}}, "unknown setting(s) colour"),
        ({"billing": {"vendor": "segment"}}, "segment delivers crm, not billing"),
        ("stripe", "expected a mapping"),
    ],
)
def test_a_bad_source_systems_file_names_the_fix(stand_in, document, message):
    with pytest.raises(SourceSystemsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_source_systems(document, None)


def test_airbyte_wrapped_records_are_read_from_their_data():
    line = json.dumps({"_airbyte_ab_id": "x", "_airbyte_data": {"id": "a1", "name": "Acme"}})
    (row,) = parse_vendor_file(COMPANIES, "f", line.encode(), "jsonl").rows
    assert (row["id"], row["name"]) == ("a1", "Acme")


def test_dlt_metadata_beside_the_tables_is_ignored(stand_in, tmp_path):
    result, _ = load_vendor_landing(
        tmp_path,
        {
            "segment/companies/1700000000.123.csv": CSV,
            "segment/init": "",
            "segment/_dlt_loads/1700000000.jsonl": "{}\n",
        },
        {"crm": {"vendor": "segment"}},
    )
    assert result.ok, result.refused
    assert len(result.ignored) >= 2


def test_the_run_summary_names_the_vendor_of_each_source():
    from cswh.contracts import ENTITIES
    from cswh.delivery import TableDelivery, source_lines

    deliveries = [
        TableDelivery(
            e.source,
            e.name,
            0,
            5,
            ("stripe",) if e.source == "billing" and e.name != "exchange_rates" else (),
        )
        for e in ENTITIES
    ]
    lines = source_lines(deliveries)
    assert "billing: all 7 tables delivered (from stripe; native: exchange_rates)" in lines
    assert "crm: all 9 tables delivered" in lines


def test_the_load_says_which_vendor_delivered_an_entity(stand_in, tmp_path):
    from cswh.delivery import warehouse_deliveries

    _, warehouse = load_vendor_landing(
        tmp_path, {"segment/companies/c.csv": CSV}, {"crm": {"vendor": "segment"}}
    )
    accounts = next(d for d in warehouse_deliveries(warehouse) if d.entity == "accounts")
    assert (accounts.rows, accounts.vendors) == (1, ("segment",))
