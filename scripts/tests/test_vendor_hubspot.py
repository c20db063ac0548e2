"""The HubSpot adapter: the synthetic world's round trip, each HubSpot quirk on hand-written
fixture files (scripts/tests/fixtures/vendors/hubspot/portal/), and bad vendor files.

The fixture portal is one small HubSpot account: three companies (one in two versions, one
deleted, one with an unmapped industry), contacts, four owners in HubSpot teams, engagements of
every type, deals in a sales and a renewal pipeline, and survey responses.
"""

from __future__ import annotations

import io

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

from cswh.vendors.hubspot import HubspotAdapter, hubspot_instant, utc_date

PORTAL = FIXTURES / "hubspot" / "portal"


@pytest.fixture(scope="module")
def portal():
    return map_vendor_folder("hubspot", PORTAL)


def skip_reasons(batch, table: str) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for account in batch.accounts():
        if account.table == table:
            for reason, count in account.skip_reasons.items():
                reasons[reason] = reasons.get(reason, 0) + count
    return reasons


def quarantined(batch, table: str) -> list[str]:
    return [reason for name, _file, _line, reason, _ in batch.quarantined_rows() if name == table]


def test_the_synthetic_world_round_trips(tmp_path):
    # HubSpot owners have no manager and no quota: the dialect writer puts the world's into the
    # settings (csm_managers, csm_quotas), as a team would.
    differences = round_trip(tmp_path, ["hubspot"])
    assert set(differences) == set(HubspotAdapter.produces)
    for entity, (native_only, dialect_only) in differences.items():
        assert native_only == [], entity
        assert dialect_only == [], entity


def test_every_fixture_row_is_settled(portal):
    for account in portal.accounts():
        assert account.rows_read == account.mapped + account.skipped + account.quarantined
        assert account.rows_read > 0, account.file
    assert not any("adapter fault" in reason for *_, reason, _ in portal.quarantined_rows())


# ------------------------------------------------------------------------------------ quirks


def test_companies_become_accounts(portal):
    assert contract_rows(portal, "accounts") == [
        {
            "account_id": "1001",
            "account_name": "Acme GmbH",  # the later of its two versions
            "industry": "software",  # COMPUTER_SOFTWARE
            "employee_count": "250",  # HubSpot's 250.0
            "region": "emea",  # from the country
            "country": "DE",  # Germany
            "owner_csm_id": "501",
            "touch_tier_override": "high_touch",  # the dropdown label 'High touch'
            "created_at": "2023-11-14T22:13:20+00:00",  # epoch milliseconds
            "updated_at": "2024-01-05T10:00:00Z",
        },
        {
            "account_id": "1002",
            "account_name": "Globex",
            "industry": "financial_services",  # Banking
            "employee_count": "40",
            "region": "north_america",
            "country": "US",
            # owner 502 is a sales rep, no CSM: no owner_csm_id
            "created_at": "2023-06-01T08:00:00Z",
            "updated_at": "2024-06-01T00:00:00+00:00",
        },
        {
            "account_id": "1003",
            "account_name": "Initech Brasil",
            "industry": "professional_services",
            "employee_count": "12",
            "region": "north_america",  # cs_region overrides the country's latam
            "country": "BR",
            "created_at": "2023-07-01T09:00:00Z",  # naive is UTC
            "updated_at": "2023-07-01T09:00:00Z",
        },
    ]
    assert skip_reasons(portal, "company") == {
        "superseded by a later version of the same record": 1,
        "deleted in the source (_fivetran_deleted)": 1,
    }
    (reason,) = quarantined(portal, "company")
    assert "'AIRLINES_AVIATION' is not mapped" in reason and "industries setting" in reason


def test_settings_name_the_account_id_property_and_more_industries():
    batch = map_vendor_folder(
        "hubspot",
        PORTAL,
        {"account_id_property": "cs_account_id", "industries": {"Airlines/Aviation": "media"}},
    )
    accounts = contract_rows(batch, "accounts")
    assert [r["account_id"] for r in accounts] == [
        "acc_acme",
        "acc_globex",
        "acc_initech",
        "acc_sky",
    ]
    assert accounts[3]["industry"] == "media"  # AIRLINES_AVIATION, added by the setting
    # Every reference to a company follows: contacts, activities, deals, survey responses.
    assert {r["account_id"] for r in contract_rows(batch, "contacts")} == {"acc_acme"}
    assert {r["account_id"] for r in contract_rows(batch, "opportunities")} == {
        "acc_acme",
        "acc_globex",
    }
    assert contract_rows(batch, "activities")[0]["account_id"] == "acc_acme"
    assert [r["account_id"] for r in contract_rows(batch, "survey_responses")] == [
        "acc_acme",
        "acc_acme",
        "acc_globex",
    ]


def test_contacts_take_their_company_flags_and_manager(portal):
    assert contract_rows(portal, "contacts") == [
        {
            "contact_id": "2001",
            "account_id": "1001",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@acme.example",
            "title": "Chief Executive Officer",
            "is_executive": "true",  # buying role EXECUTIVE_SPONSOR
            "is_decision_maker": "true",  # DECISION_MAKER
            "is_champion": "false",
            "created_at": "2023-11-14T22:13:20+00:00",
            "updated_at": "2023-11-14T22:13:20+00:00",
        },
        {
            "contact_id": "2002",
            "account_id": "1001",
            "first_name": "Alan",
            "last_name": "Turing",
            "email": "alan@acme.example",
            "title": "Director of Engineering",
            "is_executive": "false",
            "is_decision_maker": "false",
            "is_champion": "true",  # the label 'Champion' among its buying roles
            "reports_to_contact_id": "2001",
            "created_at": "2023-11-15T10:00:00Z",
            "updated_at": "2023-11-16T10:00:00Z",
        },
    ]
    (reason,) = quarantined(portal, "contact")
    assert reason.startswith("property_associatedcompanyid: empty")


def test_a_boolean_contact_property_can_set_a_flag():
    batch = map_vendor_folder("hubspot", PORTAL, {"champion_property": "cs_is_champion"})
    flags = {r["contact_id"]: r["is_champion"] for r in contract_rows(batch, "contacts")}
    # 2002's property says false despite its buying role; 2001's is empty: buying roles decide.
    assert flags == {"2001": "false", "2002": "false"}


def test_engagements_become_activities(portal):
    assert contract_rows(portal, "activities") == [
        {
            "activity_id": "3001",
            "account_id": "1001",
            "contact_id": "2001",
            "csm_id": "501",
            "activity_type": "call",
            "direction": "reactive",  # an INBOUND call
            "is_high_value": "false",
            "occurred_at": "2024-01-01T09:00:00+00:00",
            "updated_at": "2024-01-01T10:30:00Z",
        },
        {
            "activity_id": "3002",
            "account_id": "1001",
            "activity_type": "email",
            "direction": "reactive",  # INCOMING_EMAIL
            "is_high_value": "false",
            "occurred_at": "2024-01-02T09:00:00Z",
            "updated_at": "2024-01-02T09:05:00Z",
        },
        {
            "activity_id": "3003",
            "account_id": "1001",  # of two companies, the contact's
            "contact_id": "2001",
            "csm_id": "501",
            "activity_type": "executive_business_review",  # the meeting type
            "direction": "proactive",
            "is_high_value": "true",  # an EBR without cs_high_value
            "occurred_at": "2024-01-04T15:00:00Z",
            "updated_at": "2024-01-04T16:00:00Z",
        },
        {
            "activity_id": "3004",
            "account_id": "1002",
            "csm_id": "501",
            "activity_type": "meeting",
            "direction": "reactive",  # booked by the customer through a meetings link
            "is_high_value": "false",
            "occurred_at": "2024-01-05T15:00:00Z",
            "updated_at": "2024-01-05T15:30:00Z",
        },
        {
            "activity_id": "3005",
            "account_id": "1001",
            "contact_id": "2001",
            "activity_type": "content_engagement",  # a NOTE
            "content_category": "educational",
            "direction": "proactive",
            "is_high_value": "false",
            "occurred_at": "2024-01-06T12:00:00Z",
            "updated_at": "2024-01-06T12:00:00Z",
        },
        {
            # Fivetran's pre-v3 schema: owner and times on the engagement row itself.
            "activity_id": "3007",
            "account_id": "1001",
            "csm_id": "501",
            "activity_type": "call",
            "direction": "proactive",
            "is_high_value": "false",
            "occurred_at": "2024-01-01T10:00:00+00:00",
            "updated_at": "2024-01-01T11:00:00+00:00",
        },
        {
            "activity_id": "3008",
            "account_id": "1001",
            # owner 502 is a sales rep: no CSM
            "activity_type": "email",
            "direction": "proactive",
            "is_high_value": "false",
            "occurred_at": "2024-01-03T09:00:00Z",
            "updated_at": "2024-01-03T09:01:00Z",
        },
    ]
    task = "engagement type TASK is no customer-facing activity (CALL, EMAIL, MEETING and NOTE are)"
    assert skip_reasons(portal, "engagement") == {task: 1}
    assert skip_reasons(portal, "engagement_company") == {
        task: 1,
        "the same association delivered again": 1,
        "another association of the activity (it takes one company and one contact)": 1,
    }
    assert skip_reasons(portal, "engagement_contact") == {
        "association of an engagement not in this delivery": 1
    }


def test_owners_in_customer_success_teams_become_csms(portal):
    assert contract_rows(portal, "csms") == [
        {
            "csm_id": "501",
            "full_name": "Ada Lovelace",
            "email": "ada@vendor.example",
            "team": "enterprise",  # the primary of its two teams
            "role": "csm",  # role 'Customer Success Manager'
            "hired_date": "2022-01-10",
            "is_active": "true",
            "updated_at": "2022-01-10T00:00:00+00:00",
        },
        {
            "csm_id": "503",
            "full_name": "Lin Left",
            "email": "lin@vendor.example",
            "team": "scale",
            "role": "specialist",  # its user found by e-mail: archived owners have none
            "hired_date": "2022-02-01",
            "is_active": "false",  # archived
            "updated_at": "2024-05-01T17:00:00Z",
        },
        {
            "csm_id": "504",
            "full_name": "Max Manager",
            "email": "max@vendor.example",
            "team": "enterprise",
            "role": "manager",
            "hired_date": "2021-06-01",
            "is_active": "true",
            "updated_at": "2021-06-01T00:00:00Z",
        },
    ]
    assert skip_reasons(portal, "owner") == {
        "not in a customer-success team (see the team_names setting)": 1
    }
    assert skip_reasons(portal, "team") == {
        "no customer-success owner in this delivery is in this team": 1
    }


def test_settings_give_teams_managers_and_quotas():
    batch = map_vendor_folder(
        "hubspot",
        PORTAL,
        {"default_team": "commercial", "csm_managers": {501: 504}, "csm_quotas": {501: 120000}},
    )
    csms = {r["csm_id"]: r for r in contract_rows(batch, "csms")}
    assert (csms["502"]["team"], csms["502"]["role"]) == ("commercial", "csm")
    assert (csms["501"]["manager_csm_id"], csms["501"]["annual_renewal_quota"]) == ("504", "120000")
    # Now a CSM, the sales rep keeps the accounts and activities it owns.
    accounts = {r["account_id"]: r for r in contract_rows(batch, "accounts")}
    assert accounts["1002"]["owner_csm_id"] == "502"


def test_deals_become_renewal_and_expansion_opportunities(portal):
    assert contract_rows(portal, "opportunities") == [
        {
            "opportunity_id": "4001",
            "account_id": "1001",  # the primary company (association type 5)
            "owner_csm_id": "501",
            "opportunity_type": "renewal",  # the Renewals pipeline
            "stage": "closed_won",  # closed, probability 1
            "amount": "12000.50",
            "close_date": "2024-06-01",
            "created_at": "2024-04-01T00:00:00Z",
            "closed_at": "2024-06-01T12:00:00+00:00",
            "updated_at": "2024-06-01T12:00:00Z",
        },
        {
            "opportunity_id": "4002",
            "account_id": "1002",
            "opportunity_type": "expansion",  # existingbusiness outside the renewal pipeline
            "stage": "open",
            "amount": "5000",
            "close_date": "2024-09-30",
            "created_at": "2024-05-01T00:00:00Z",
            "updated_at": "2024-05-02T00:00:00Z",
        },
        {
            "opportunity_id": "4004",
            "account_id": "1001",
            "owner_csm_id": "501",
            "opportunity_type": "renewal",
            "stage": "closed_lost",  # closed, probability 0
            "amount": "800",
            "close_date": "2024-07-01",
            "created_at": "2024-05-01T00:00:00Z",
            "closed_at": "2024-07-01T08:00:00Z",
            "updated_at": "2024-07-01T08:00:00Z",
        },
        {
            "opportunity_id": "4006",
            "account_id": "1002",
            "owner_csm_id": "501",
            "opportunity_type": "renewal",  # deal type renewal in the sales pipeline
            "stage": "closed_won",
            "amount": "300",
            "close_date": "2024-02-01",
            "created_at": "2024-01-01T00:00:00Z",
            "closed_at": "2024-02-01T10:00:00Z",
            "updated_at": "2024-02-01T10:00:00Z",
        },
    ]
    assert skip_reasons(portal, "deal") == {
        "deal type newbusiness outside the renewal pipeline: new business, not a "
        "customer-success opportunity": 1,
        "deleted or archived in HubSpot (is_deleted / archived)": 1,
    }
    (reason,) = quarantined(portal, "deal")
    assert "'On hold' is closed with probability 0.3" in reason


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"team_names": {"Gold": "gold"}}, "team_names: gold is no CS team"),
        ({"default_role": "boss"}, "default_role: 'boss' is not one of"),
        ({"renewal_pipelines": {"a": 1}}, "renewal_pipelines must be a list"),
    ],
)
def test_unusable_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        HubspotAdapter(settings)


def test_stage_names_in_the_settings_decide_the_stage():
    batch = map_vendor_folder("hubspot", PORTAL, {"lost_stages": ["On hold"]})
    stages = {r["opportunity_id"]: r["stage"] for r in contract_rows(batch, "opportunities")}
    assert stages["4005"] == "closed_lost"


def test_feedback_submissions_become_survey_responses(portal):
    assert contract_rows(portal, "survey_responses") == [
        {
            "survey_response_id": "5001",
            "account_id": "1001",  # the respondent's company
            "contact_id": "2001",
            "survey_type": "nps",
            "score": "9",
            "responded_at": "2024-01-02T12:53:20+00:00",
            "updated_at": "2024-01-02T12:58:20+00:00",
        },
        {
            "survey_response_id": "5003",
            "account_id": "1001",
            "contact_id": "2002",
            "survey_type": "csat",
            "score": "4",  # HubSpot's 4.0
            "responded_at": "2024-01-03T16:40:00Z",
            "updated_at": "2024-01-03T16:45:00Z",
        },
        {
            "survey_response_id": "5004",
            "account_id": "1002",  # anonymous: cs_company_id
            "survey_type": "onboarding",  # a custom survey, by name
            "score": "7",
            "responded_at": "2024-01-04T20:26:40Z",
            "updated_at": "2024-01-04T20:30:00Z",
        },
    ]
    assert skip_reasons(portal, "feedback_submission") == {
        "survey Effort is mapped to no contract survey type (survey_types setting)": 1,
        "deleted in the source (_fivetran_deleted)": 1,
    }
    reasons = quarantined(portal, "feedback_submission")
    assert len(reasons) == 3
    assert "NPS score 11 is outside 0-10" in reasons[0]
    assert "no contact with a company and no property_cs_company_id" in reasons[1]
    assert "contact 2099 is not in this delivery" in reasons[2]


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("1700000000000", "2023-11-14T22:13:20+00:00"),  # epoch milliseconds (HubSpot's API)
        ("1700000000123", "2023-11-14T22:13:20.123000+00:00"),
        ("1700000000", "2023-11-14T22:13:20+00:00"),  # epoch seconds
        ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"),
        ("2023-11-14 22:13:20", "2023-11-14T22:13:20Z"),  # naive is UTC
        ("2023-11-14", "2023-11-14T00:00:00Z"),  # a date picker
    ],
)
def test_timestamps_in_epoch_milliseconds_or_iso(text, instant):
    assert hubspot_instant(text) == instant


def test_booleans_and_dates_as_hubspot_writes_them(tmp_path):
    assert utc_date("1717243200000") == utc_date("2024-06-01T14:00:00+02:00") == "2024-06-01"
    write_files(
        tmp_path,
        {
            "owner/owner.csv": (
                "owner_id,first_name,email,created_at,is_active,archived\n"
                "1,Active,a@x.example,1641772800000,TRUE,\n"
                "2,Gone,g@x.example,1641772800000,,yes\n"
                "3,Here,h@x.example,1641772800000,,False\n"
                "4,Unsure,u@x.example,1641772800000,perhaps,\n"
            ),
            "contact/contact.csv": (
                "id,property_associatedcompanyid,property_createdate,_fivetran_deleted\n"
                "7,1001,1700000000000,1\n"
                "8,1001,1700000000000,0\n"
            ),
        },
    )
    batch = map_vendor_folder("hubspot", tmp_path, {"default_team": "scale"})
    active = {r["csm_id"]: r["is_active"] for r in contract_rows(batch, "csms")}
    assert active == {"1": "true", "2": "false", "3": "true"}
    assert quarantined(batch, "owner") == ["is_active: 'perhaps' is not true or false"]
    assert [r["contact_id"] for r in contract_rows(batch, "contacts")] == ["8"]
    assert skip_reasons(batch, "contact") == {"deleted in the source (_fivetran_deleted)": 1}


# ------------------------------------------------------------------------------------ bad files


def _portal_files() -> dict[str, bytes]:
    return {
        f"hubspot/{path.relative_to(PORTAL).as_posix()}": path.read_bytes()
        for path in PORTAL.rglob("*")
        if path.is_file()
    }


def _parquet(records: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), sink)
    return sink.getvalue()


def test_bad_files_keep_every_row_accounted_for(tmp_path):
    files = _portal_files()
    files["hubspot/company/no_id.csv"] = "property_name,property_industry\nHooli,RETAIL\n"
    files["hubspot/contact/more.csv"] = (
        "id,property_firstname,property_associatedcompanyid,property_createdate,"
        "property_lastmodifieddate,_fivetran_deleted\n"
        "2010,Twice,1001,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n"
        "2010,Twice,1001,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n"
        "2011,Short,1001\n"
        "2012,Maybe,1001,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,maybe\n"
        "2013,Late,1001,2024-01-01T00:00:00Z,not a date,false\n"
    )
    files["hubspot/deal/more.csv"] = (
        "deal_id,deal_pipeline_id,deal_pipeline_stage_id,property_amount,property_closedate,"
        "property_createdate,property_hs_lastmodifieddate\n"
        "4100,77,r_open,abc,2024-12-01,2024-05-01T00:00:00Z,2024-05-01T00:00:00Z\n"
    )
    files["hubspot/deal_company/more.csv"] = "deal_id,company_id,type_id\n4100,1001,5\n"
    files["hubspot/engagement_email/more.jsonl"] = (
        '{not json\n{"engagement_id": 3100, "property_hs_timestamp": "2024-02-01T10:00:00Z"}\n'
    )
    files["hubspot/feedback_submission/more.parquet"] = _parquet(
        [
            {
                "id": 5100,
                "property_hs_survey_type": "NPS",
                "property_hs_value": 9.5,  # a float where a whole score belongs
                "property_hs_contact_id": 2001,
                "property_hs_submission_timestamp": 1704200000000,
            }
        ]
    )
    result, warehouse = load_vendor_landing(tmp_path, files, {"crm": {"vendor": "hubspot"}})
    assert_accounted(result)
    (refused,) = result.refused
    assert refused.path.name == "no_id.csv" and "lacks the column(s) id" in refused.message
    contact_more = next(
        f for f in result.files if f.entity == "hubspot.contact" and f.path.name == "more.csv"
    )
    assert (contact_more.rows_read, contact_more.rows_skipped) == (5, 1)  # 2010's earlier line
    reasons = query(
        warehouse,
        "select source_file, source_row_number, reason from loader.quarantined_rows order by all",
    )
    found = {(file.split("/", 1)[1], line): reason for file, line, reason in reasons}
    assert found[("contact/more.csv", 4)] == "unreadable line: has 3 fields where the header has 6"
    assert found[("contact/more.csv", 5)] == "_fivetran_deleted: 'maybe' is not true or false"
    assert "updated_at: expected a timestamp" in found[("contact/more.csv", 6)]
    assert "amount: expected a number" in found[("deal/more.csv", 2)]
    assert "amount: expected a number" in found[("deal_company/more.csv", 2)]
    assert found[("engagement_email/more.jsonl", 1)].startswith("unreadable line: is not JSON")
    assert "no associated company" in found[("engagement_email/more.jsonl", 2)]
    assert "not a whole-number score" in found[("feedback_submission/more.parquet", 1)]
    assert not any("adapter fault" in reason for *_, reason in reasons)
    # The good rows beside them loaded.
    assert query(warehouse, "select count(*) from raw.crm__contacts") == [(3,)]
