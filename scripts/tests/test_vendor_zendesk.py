"""The Zendesk adapter: Fivetran's Zendesk tables (and Airbyte's streams, the dashboard export)
mapped to support_desk tickets and escalations.

Most tests map one small hand-written delivery (fixtures/vendors/zendesk/<table>/), each checking
the tickets of its quirk against contract rows written out by hand; settings and other shapes are
inline deliveries.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from vendor_fixtures import (
    FIXTURES,
    assert_accounted,
    contract_rows,
    load_vendor_landing,
    map_vendor_folder,
    query,
    round_trip,
    write_files,
)

from cswh.vendors import make_adapter
from cswh.vendors.base import UNSETTLED_REASON, MappedBatch
from cswh.vendors.config import SourceSystemsError, parse_source_systems

DELIVERY = FIXTURES / "zendesk"


@pytest.fixture(scope="module")
def delivery() -> MappedBatch:
    return map_vendor_folder("zendesk", DELIVERY)


def tickets(batch: MappedBatch) -> dict[str, dict]:
    return {row["ticket_id"]: row for row in contract_rows(batch, "tickets")}


def escalations(batch: MappedBatch) -> dict[str, dict]:
    return {row["ticket_id"]: row for row in contract_rows(batch, "escalations")}


def quarantined(batch: MappedBatch, table: str) -> dict[str, str]:
    """Quarantine reason per record of a table, by the record's id (or ticket_id)."""
    found = {}
    for vendor_table, _file, _line, reason, record in batch.quarantined_rows():
        if vendor_table == table:
            values = json.loads(record) if record.startswith("{") else {}
            found[values.get("id") or values.get("ticket_id")] = reason
    return found


def skip_reasons(batch: MappedBatch, table: str) -> dict[str, int]:
    return next(dict(a.skip_reasons) for a in batch.accounts() if a.table == table)


def ticket(ticket_id: str, **values: str) -> dict[str, str]:
    """A contract ticket of the fixture's defaults (Acme's Alice, open, email, how_to)."""
    return {
        "ticket_id": ticket_id,
        "account_id": "acc_1",
        "requester_contact_id": "con_1",
        "status": "open",
        "priority": "normal",
        "channel": "email",
        "category": "how_to",
        "product_id": "prod_platform",
        "is_deleted": "false",
    } | values


# ------------------------------------------------------------------------------------ round trip


def test_the_synthetic_world_round_trips_through_zendesk_tables(tmp_path):
    differences = round_trip(tmp_path, ["zendesk"], ignore={})
    assert set(differences) == {"tickets", "escalations"}
    for entity, (native_only, dialect_only) in differences.items():
        assert (native_only, dialect_only) == ([], []), entity


def test_the_dialect_exercises_every_path_the_adapter_reads(tmp_path):
    from cswh.generate import generate_landing
    from cswh.vendors.base import NativeWorld

    generate_landing(tmp_path / "native", scale=0.01, seed=3)
    out = tmp_path / "native" / "zendesk"
    make_adapter("zendesk").write_dialect(NativeWorld(tmp_path / "native"), out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.*")) == [
        "organization/organization.csv",
        "satisfaction_rating/satisfaction_rating.csv",
        "ticket/ticket.parquet",
        "ticket_comment/ticket_comment.jsonl",
        "ticket_custom_field/ticket_custom_field.csv",
        "ticket_field_history/ticket_field_history.csv.gz",
        "ticket_metrics/ticket_metrics.csv",
        "ticket_tag/ticket_tag.csv",
        "user/user.csv",
    ]
    ticket_rows = pq.read_table(out / "ticket" / "ticket.parquet").to_pylist()
    assert {"deleted"} <= {row["status"] for row in ticket_rows}
    assert {"true"} <= {row["_fivetran_deleted"] for row in ticket_rows}
    tags = (out / "ticket_tag" / "ticket_tag.csv").read_text()
    assert "category_" in tags and "cs_escalation_" in tags
    assert any(row["custom_cs_escalation_type"] for row in ticket_rows)


# ------------------------------------------------------------------------------------ quirks


def test_organization_is_the_account_and_the_requester_the_contact(delivery):
    mapped = tickets(delivery)
    assert mapped["101"]["account_id"] == "acc_1"
    assert mapped["101"]["requester_contact_id"] == "con_1"  # the user's latest version
    assert mapped["108"]["account_id"] == "acc_3"  # the ticket's organization, not the user's
    # No organization on the ticket: the requester's; a requester without external_id: no contact.
    assert mapped["118"]["account_id"] == "acc_1"
    assert "requester_contact_id" not in mapped["118"]
    reasons = quarantined(delivery, "ticket")
    assert reasons["106"] == (
        "organization 2 ('Globex') has no CRM account id: set its external_id in Zendesk to the "
        "account's id in the CRM (or name the organization field holding it with the "
        "account_id_field setting)"
    )
    assert reasons["116"].startswith("organization 4 is deleted in Zendesk")
    assert skip_reasons(delivery, "organization") == {
        "organization without a CRM account id (tickets quarantined)": 1,
        "deleted in the source (_fivetran_deleted)": 1,
        "no mapped ticket belongs to this organization": 1,
    }


def test_an_organization_field_can_hold_the_account_id():
    batch = map_vendor_folder("zendesk", DELIVERY, {"account_id_field": "crm_account_id"})
    mapped = tickets(batch)
    assert (mapped["101"]["account_id"], mapped["108"]["account_id"]) == ("crm_1", "crm_3")
    assert "set its crm_account_id in Zendesk" in quarantined(batch, "ticket")["106"]


def test_solve_and_first_response_times_come_by_preference(delivery):
    mapped = tickets(delivery)
    # Field history and comments win over ticket metrics (which say 2025-01-04 and 99999 s).
    # The first reply skips the requester, a private note and a comment deleted in the source.
    assert mapped["101"] == ticket(
        "101",
        created_at="2025-01-01T09:00:00Z",
        first_response_at="2025-01-01T12:00:00Z",
        solved_at="2025-01-03T10:00:00Z",
        status="solved",
        priority="high",
        channel="web",
        category="bug",
        csat_good_bad="good",
        updated_at="2025-01-05T10:00:00Z",
    )
    # No history, no agent comment: ticket metrics (solved_at; created + 5400 calendar seconds).
    assert mapped["102"]["solved_at"] == "2025-02-05T09:00:00Z"
    assert mapped["102"]["first_response_at"] == "2025-02-01T09:30:00+00:00"
    # Reopened: no solve time. The phone agent's comment at creation is no response; the
    # admin's public reply is.
    assert "solved_at" not in mapped["103"]
    assert mapped["103"]["first_response_at"] == "2025-02-10T10:15:00Z"
    # An author missing from the users table who is not the requester counts as an agent.
    assert mapped["118"]["first_response_at"] == "2025-05-10T11:00:00Z"
    assert skip_reasons(delivery, "ticket_metrics") == {
        "not needed: field history and comments gave the times": 1
    }


def test_satisfaction_good_bad_and_numeric_scores(delivery):
    mapped = tickets(delivery)
    assert mapped["101"]["csat_good_bad"] == "good"  # the later of two ratings
    assert mapped["102"]["csat_good_bad"] == "bad"  # bad_with_comment
    assert mapped["114"]["csat_rating"] == "4"
    for offered_or_bad in ("103", "110"):
        assert not {"csat_rating", "csat_good_bad"} & set(mapped[offered_or_bad])
    assert "csat_rating" not in mapped["101"]
    assert quarantined(delivery, "satisfaction_rating") == {
        "r5": "score: 'excellent' is neither good, bad, offered, unoffered nor a whole number"
    }
    assert skip_reasons(delivery, "satisfaction_rating") == {
        "superseded by a later satisfaction rating of the ticket": 1,
        "satisfaction survey offered, not answered": 1,
        "deleted in the source (_fivetran_deleted)": 1,
    }


def test_deleted_tickets_are_kept_and_flagged(delivery):
    mapped = tickets(delivery)
    # Status deleted: the deletion and the status before it come from the field history.
    assert mapped["104"] == ticket(
        "104",
        created_at="2025-03-01T10:00:00Z",
        first_response_at="2025-03-01T11:00:00Z",
        channel="chat",
        priority="low",
        is_deleted="true",
        deleted_at="2025-03-02T08:00:00Z",
        updated_at="2025-03-02T08:00:00Z",
    )
    # _fivetran_deleted: the status stays; Fivetran's sync time is the deletion time.
    expected = ticket(
        "105",
        created_at="2025-03-04T10:00:00Z",
        solved_at="2025-03-05T10:00:00Z",
        status="solved",
        channel="web",
        category="billing",
        is_deleted="true",
        deleted_at="2025-03-10T00:00:00Z",
        updated_at="2025-03-06T10:00:00Z",
    )
    del expected["priority"]
    assert mapped["105"] == expected
    assert mapped["101"]["is_deleted"] == "false"


def test_escalations_from_tags_or_the_type_field_dated_by_field_history(delivery):
    found = escalations(delivery)
    assert found == {
        "107": {
            "escalation_id": "esc_1",
            "ticket_id": "107",
            "account_id": "acc_1",
            "escalated_at": "2025-04-01T10:00:00Z",
            "escalation_type": "trouble",
            "reason": "product_defect",
            "product_id": "prod_platform",
            "severity": "high",
            "accepted_at": "2025-04-02T09:00:00Z",
            "resolved_at": "2025-04-20T17:00:00Z",
            "outcome": "saved",
            "updated_at": "2025-04-20T17:00:00+00:00",
        },
        "108": {
            "escalation_id": "108",  # no escalation id field: the ticket's id
            "ticket_id": "108",
            "account_id": "acc_3",
            "escalated_at": "2025-04-05T10:00:00Z",
            "escalation_type": "opportunity",
            "reason": "seat_expansion",  # the drop-down's label, as a code
            "product_id": "prod_analytics",
            "severity": "low",
            "accepted_at": "2025-04-06T08:00:00Z",
            "updated_at": "2025-04-06T08:00:00+00:00",
        },
    }
    # An escalation nothing dates is quarantined by its tag; the ticket itself maps.
    assert "109" in tickets(delivery)
    assert quarantined(delivery, "ticket_tag") == {
        "109": "escalation of ticket 109: no field history dates it; deliver "
        "ticket_field_history with the CS escalation status field (its first change is the "
        "escalation time)"
    }


def test_priority_channel_and_category_map_to_the_contract(delivery):
    mapped = tickets(delivery)
    assert mapped["103"]["priority"] == "urgent"  # 'Urgent'
    assert "priority" not in mapped["105"]
    assert mapped["114"]["status"] == "pending"  # on hold
    channels = {t: mapped[t]["channel"] for t in ("101", "103", "104", "105", "108", "114")}
    assert channels == {
        "101": "web",
        "103": "phone",  # voice
        "104": "chat",
        "105": "web",  # web_form
        "108": "chat",  # native_messaging
        "114": "web",  # web_widget
    }
    assert mapped["110"]["category"] == "how_to"  # tag category_how_to, the field empty
    reasons = quarantined(delivery, "ticket")
    allowed_categories = "how_to, bug, outage, billing, feature_request, account_admin"
    assert reasons["111"] == (
        "channel: Zendesk channel 'api' has no contract channel; map it with the channel_map "
        "setting, e.g. {api: web} (allowed: email, web, chat, phone)"
    )
    assert reasons["112"] == (
        "category: 'billing_question' is no contract category; map it with the category_map "
        f"setting, e.g. {{billing_question: how_to}} (allowed: {allowed_categories})"
    )
    assert reasons["113"] == (
        "priority: 'critical' is no Zendesk priority (allowed: low, normal, high, urgent, or empty)"
    )
    assert reasons["115"] == (
        "category: missing; set the ticket's Category field or tag it category_<category> "
        f"(allowed: {allowed_categories})"
    )


def test_maps_in_the_settings_extend_the_defaults():
    batch = map_vendor_folder(
        "zendesk",
        DELIVERY,
        {"channel_map": {"API": "web"}, "category_map": {"billing_question": "billing"}},
    )
    mapped = tickets(batch)
    assert (mapped["111"]["channel"], mapped["112"]["category"]) == ("web", "billing")
    with pytest.raises(SourceSystemsError, match="contract channels are email, web, chat, phone"):
        parse_source_systems(
            {"support_desk": {"vendor": "zendesk", "channel_map": {"api": "x"}}}, None
        )


def test_the_latest_version_of_a_record_wins(delivery):
    assert tickets(delivery)["117"]["status"] == "open"  # updated later than the 'new' version
    assert skip_reasons(delivery, "ticket") == {
        "superseded by a later version of the same record": 1
    }
    assert (
        skip_reasons(delivery, "ticket_field_history")["repeats an earlier field history row"] == 1
    )


def test_every_fixture_row_is_settled_by_a_rule(delivery):
    for account in delivery.accounts():
        assert account.rows_read == account.mapped + account.skipped + account.quarantined
    assert all(reason != UNSETTLED_REASON for *_, reason, _ in delivery.quarantined_rows())
    assert skip_reasons(delivery, "ticket_comment") == {
        "deleted in the source (_fivetran_deleted)": 1,
        "its ticket was quarantined": 1,
        "its ticket is not in the delivered ticket table": 1,
        "not a ticket's first public agent reply (the only comment read)": 9,
    }


# ------------------------------------------------------------------------------------ other shapes

ORGANIZATIONS = "id,name,external_id\n1,Acme,acc_1\n"
USERS = "id,name,email,external_id,role\n11,Alice,alice@acme.test,con_1,end-user\n"


def test_the_dashboard_export_of_tickets(tmp_path):
    export = (
        "Ticket ID,Requester,Requester email,Organization,Created at,Updated at,Solved at,"
        "Status,Priority,Via,Category,Product,Satisfaction Score\n"
        "201,Alice,alice@acme.test,Acme,2025-06-01 09:00:00,2025-06-03 10:00:00,"
        "2025-06-02 16:30:00,Solved,High,Web Form,Bug,prod_platform,Good\n"
        "202,Someone,,Acme,2025-06-04 09:00:00,2025-06-04 10:00:00,,Open,-,"
        "Phone call (incoming),How to,,Not Offered\n"
        "203,Alice,,Unknown Corp,2025-06-05 09:00:00,2025-06-05 10:00:00,,New,Low,Email,Bug,,\n"
    )
    write_files(
        tmp_path,
        {
            "ticket/export.csv": export,
            "organization/organization.csv": ORGANIZATIONS,
            "user/user.csv": USERS,
        },
    )
    batch = map_vendor_folder("zendesk", tmp_path)
    assert contract_rows(batch, "tickets") == [
        {
            "ticket_id": "201",
            "account_id": "acc_1",
            "requester_contact_id": "con_1",
            "created_at": "2025-06-01T09:00:00Z",
            "solved_at": "2025-06-02T16:30:00Z",
            "status": "solved",
            "priority": "high",
            "channel": "web",
            "category": "bug",
            "product_id": "prod_platform",
            "csat_good_bad": "good",
            "is_deleted": "false",
            "updated_at": "2025-06-03T10:00:00Z",
        },
        {
            "ticket_id": "202",
            "account_id": "acc_1",
            "created_at": "2025-06-04T09:00:00Z",
            "status": "open",
            "channel": "phone",
            "category": "how_to",
            "is_deleted": "false",
            "updated_at": "2025-06-04T10:00:00Z",
        },
    ]
    assert quarantined(batch, "ticket")["203"].startswith(
        "organization 'Unknown Corp' is not in the delivered organization table"
    )


def airbyte(record: dict) -> str:
    """One Airbyte JSON-lines record, wrapped as its file destinations write it."""
    return json.dumps({"_airbyte_ab_id": "x", "_airbyte_data": record}) + "\n"


def test_airbyte_streams_with_custom_field_ids_and_json_fields(tmp_path):
    record = {
        "id": 301,
        "created_at": "2025-07-01T09:00:00Z",
        "updated_at": "2025-07-03T09:00:00Z",
        "status": "open",
        "priority": "normal",
        "via": {"channel": "api", "source": {"rel": None}},
        "organization_id": 7,
        "requester_id": 71,
        "tags": ["handover_cs_risk", "other"],
        "custom_fields": [
            {"id": 900001, "value": "question"},
            {"id": 900002, "value": "analytics"},
            {"id": 900005, "value": "performance"},
            {"id": 900006, "value": "medium"},
            {"id": 900007, "value": "accepted"},
        ],
        "satisfaction_rating": {"score": "unoffered"},
    }
    write_files(
        tmp_path,
        {
            "tickets/1.jsonl": airbyte(record),
            "organizations/1.jsonl": airbyte(
                {"id": 7, "name": "Wayne", "organization_fields": {"crm_account_id": "acc_7"}}
            ),
            "users/1.jsonl": airbyte(
                {"id": 71, "role": "end-user", "user_fields": {"crm_contact_id": "con_71"}}
            ),
            "ticket_field_history/h.csv": (
                "ticket_id,field_name,value,updated\n"
                "301,900007,escalated,2025-07-01T10:00:00Z\n"
                "301,900007,accepted,2025-07-02T10:00:00Z\n"
            ),
        },
    )
    settings = {
        "account_id_field": "crm_account_id",
        "contact_id_field": "crm_contact_id",
        "category_field": "900001",
        "category_map": {"question": "how_to"},
        "product_field": "900002",
        "product_map": {"analytics": "prod_analytics"},
        "channel_map": {"api": "web"},
        "escalation_tags": {"handover_cs_risk": "trouble"},
        "escalation_type_field": None,
        "escalation_reason_field": "900005",
        "escalation_severity_field": "900006",
        "escalation_status_field": "900007",
    }
    batch = map_vendor_folder("zendesk", tmp_path, settings)
    assert contract_rows(batch, "tickets") == [
        {
            "ticket_id": "301",
            "account_id": "acc_7",
            "requester_contact_id": "con_71",
            "created_at": "2025-07-01T09:00:00Z",
            "status": "open",
            "priority": "normal",
            "channel": "web",
            "category": "how_to",
            "product_id": "prod_analytics",
            "is_deleted": "false",
            "updated_at": "2025-07-03T09:00:00Z",
        }
    ]
    assert contract_rows(batch, "escalations") == [
        {
            "escalation_id": "301",
            "ticket_id": "301",
            "account_id": "acc_7",
            "escalated_at": "2025-07-01T10:00:00Z",
            "escalation_type": "trouble",
            "reason": "performance",
            "product_id": "prod_analytics",
            "severity": "medium",
            "accepted_at": "2025-07-02T10:00:00Z",
            "updated_at": "2025-07-02T10:00:00+00:00",
        }
    ]


def test_a_delivery_of_tickets_alone_maps_without_the_other_tables(tmp_path):
    write_files(
        tmp_path,
        {
            "ticket/t.csv": "id,created_at,status,via_channel,organization_id,custom_category\n"
            "1,2025-01-01T00:00:00Z,new,email,1,bug\n",
        },
    )
    batch = map_vendor_folder("zendesk", tmp_path)
    assert contract_rows(batch, "tickets") == []
    assert quarantined(batch, "ticket")["1"].startswith(
        "organization 1 is not in the delivered organization table; deliver organization"
    )


# ------------------------------------------------------------------------------------ bad files


def _parquet(rows: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def test_bad_vendor_files_keep_every_row_accounted_for(tmp_path):
    header = "id,created_at,updated_at,status,via_channel,organization_id,custom_category"
    files = {
        "zendesk/organization/organization.csv": ORGANIZATIONS,
        "zendesk/ticket/no_status.csv": "id,created_at,via_channel\n9,2025-01-01T00:00:00Z,web\n",
        "zendesk/ticket/ticket.csv": (
            f"{header},_fivetran_deleted\n"
            "1,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,new,email,1,bug,false\n"
            "2,yesterday,2025-01-02T00:00:00Z,new,email,1,bug,false\n"
            "3,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,new,email\n"
            "4,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,new,email,1,bug,perhaps\n"
            "5,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,new,email,1,bug,false\n"
            "5,2025-01-01T00:00:00Z,2025-01-03T00:00:00Z,open,email,1,bug,false\n"
        ),
        "zendesk/ticket_field_history/h.csv": (
            "ticket_id,field_name,value,updated\n1,status,new,not a time\n1,status,new,"
            "2025-01-01T00:00:00Z\n"
        ),
        "zendesk/ticket_comment/c.jsonl": (
            '{"id": 1, "ticket_id": 1, "user_id": 5, "created": "2025-01-01T01:00:00Z", '
            '"public": "maybe"}\n{not json\n'
        ),
        "zendesk/satisfaction_rating/r.csv": "ticket_id,score\n1,great\n",
        "zendesk/ticket_metrics/m.parquet": _parquet(
            [{"ticket_id": "1", "reply_time_in_seconds": "fast", "solved_at": None}]
        ),
    }
    result, warehouse = load_vendor_landing(
        tmp_path, files, {"support_desk": {"vendor": "zendesk"}}
    )
    assert_accounted(result)
    refused = [f for f in result.refused if f.path.name == "no_status.csv"]
    assert "lacks the column(s) status (or ticket_status)" in refused[0].message
    reasons = dict(
        query(
            warehouse,
            "select entity || ':' || source_row_number, reason from loader.quarantined_rows",
        )
    )
    assert "created_at: expected a timestamp" in reasons["zendesk.ticket:3"]
    assert reasons["zendesk.ticket:4"].startswith("unreadable line: has 5 fields")
    assert reasons["zendesk.ticket:5"] == "_fivetran_deleted: 'perhaps' is not true or false"
    assert reasons["zendesk.ticket_field_history:2"].startswith("updated: 'not a time' is not a")
    assert reasons["zendesk.ticket_comment:1"] == "public: 'maybe' is not true or false"
    assert reasons["zendesk.ticket_comment:2"].startswith("unreadable line: is not JSON")
    assert reasons["zendesk.satisfaction_rating:2"].startswith("score: 'great' is neither")
    assert reasons["zendesk.ticket_metrics:1"] == "reply time: 'fast' is not a number"
    loaded = query(warehouse, "select ticket_id, status from raw.support_desk__tickets order by 1")
    assert loaded == [("1", "new"), ("5", "open")]
    (ticket_file,) = [f for f in result.files if f.path.name == "ticket.csv"]
    assert "superseded by a later version of the same record: 1" in ticket_file.message
