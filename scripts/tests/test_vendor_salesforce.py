"""The Salesforce adapter: Fivetran's (and Airbyte's / Data Loader's) Salesforce tables -> crm.

Quirk tests map a small hand-written org (``fixtures/vendors/salesforce/org/``): five users (three
in Customer Success), accounts with a deleted, a Fivetran-deleted and a superseded version,
contacts (a private one, one of a deleted account), tasks and events (Airbyte JSON lines with API
names), opportunities (renewal, expansion, new business) and the lookups user_role and
record_type. Ids are mixed 15- and 18-character, one lower-cased by a tool.
"""

from __future__ import annotations

import shutil

import pytest
from vendor_fixtures import (
    FIXTURES,
    assert_accounted,
    contract_rows,
    load_vendor_landing,
    map_vendor_folder,
    query,
    round_trip,
)

from cswh.vendors import make_adapter
from cswh.vendors.config import SourceSystemsError, parse_source_systems
from cswh.vendors.salesforce import salesforce_date, salesforce_id, salesforce_instant

ORG = FIXTURES / "salesforce" / "org"

# The org's records in their 18-character form.
MONA, CARL, SAM, SUE = (
    "0055e000003MgrAAAS",
    "0055e000003CsmBAAS",
    "0055e000003SalCAAS",
    "0055e000003SpeEAAS",
)
ACME, GLOBEX, HOOLI = "0015e00000AcmeQAAR", "0015e00000GlobXAAR", "0015e00000HooLiAAJ"
JANE, JOHN, MARY = "0035e00000JaneAAAR", "0035e00000JohnBAAR", "0035e00000MaryFAAR"


def org(settings=None):
    return map_vendor_folder("salesforce", ORG, settings)


def by_id(rows, key):
    return {row[key]: row for row in rows}


def skips(batch, table):
    """Skip reasons counted over the files of one vendor table."""
    counted = {}
    for account in batch.accounts():
        if account.table == table:
            for reason, n in account.skip_reasons.items():
                counted[reason] = counted.get(reason, 0) + n
    return counted


# ------------------------------------------------------------------------------------ round trip


def test_a_native_world_round_trips_through_salesforce_tables(tmp_path):
    differences = round_trip(tmp_path, ["salesforce"], ignore={})
    assert set(differences) == {"accounts", "contacts", "activities", "csms", "opportunities"}
    for entity, (native_only, dialect_only) in differences.items():
        assert (native_only, dialect_only) == ([], []), entity
    # One table each as gzip CSV, Parquet and Airbyte JSON lines exercises every reader.
    landing = tmp_path / "dialect" / "salesforce"
    assert (landing / "contact" / "contact.csv.gz").is_file()
    assert (landing / "task" / "task.parquet").is_file()
    assert '"_airbyte_data"' in (landing / "event" / "event.jsonl").read_text().splitlines()[0]


# ------------------------------------------------------------------------------------ ids, times


def test_15_character_ids_become_18_and_re_cased_18s_are_restored():
    # Published conversions of 15-character ids.
    assert salesforce_id("a01M00000062mPg") == "a01M00000062mPgIAI"
    assert salesforce_id("001M000000qfPyS") == "001M000000qfPySIAU"
    assert salesforce_id("aBcDEfgHIJKLMNO") == "aBcDEfgHIJKLMNO025"
    # A tool lower-cased an 18-character id: the suffix tells which letters are capitals.
    assert salesforce_id("001m000000qfpysiau") == "001M000000qfPySIAU"
    assert salesforce_id("001M000000qfPySIAU") == "001M000000qfPySIAU"
    # Two 15-character ids differing only in case stay two records.
    assert salesforce_id("001M000000qfPyS") != salesforce_id("001M000000qfPYS")
    # Anything else is not a Salesforce id and is kept.
    assert salesforce_id("acc_000001") == "acc_000001"
    assert salesforce_id(None) is None


def test_the_same_record_under_a_15_and_an_18_character_id_is_one_record():
    batch = org()
    # account.csv holds Globex as 0015e00000GlobX (15) and Acme as 18; the older file the
    # reverse; contacts reference Acme both ways and Jane lower-cased.
    assert sorted(by_id(contract_rows(batch, "accounts"), "account_id")) == [ACME, GLOBEX, HOOLI]
    contacts = by_id(contract_rows(batch, "contacts"), "contact_id")
    assert contacts[JANE]["account_id"] == contacts[JOHN]["account_id"] == ACME
    assert contacts[JOHN]["reports_to_contact_id"] == JANE


def test_salesforce_instants_and_dates():
    assert salesforce_instant("2024-01-05T10:00:00.000+0000") == "2024-01-05T10:00:00.000+00:00"
    assert salesforce_instant("2024-01-05T10:00:00.000-0530") == "2024-01-05T10:00:00.000-05:30"
    assert salesforce_instant("2024-01-05T10:00:00Z") == "2024-01-05T10:00:00Z"
    assert salesforce_instant("2024-01-05") == "2024-01-05T00:00:00Z"  # Task ActivityDate
    assert salesforce_instant("2024-01-05 10:00:00") == "2024-01-05T10:00:00Z"  # naive is UTC
    assert salesforce_date("2024-06-30T00:00:00Z") == "2024-06-30"  # CloseDate as a timestamp
    assert salesforce_date("2024-06-30") == "2024-06-30"
    assert salesforce_date("2024-06-30T13:00:00Z") == "2024-06-30T13:00:00Z"  # left to the check


# ------------------------------------------------------------------------------------ accounts


def test_accounts_map_industry_country_region_owner_and_tier():
    accounts = by_id(contract_rows(org(), "accounts"), "account_id")
    assert accounts[ACME] == {
        "account_id": ACME,
        "account_name": "Acme Corp",  # the later version, not "Acme Inc"
        "industry": "financial_services",  # Banking
        "employee_count": "250",
        "region": "emea",  # Region__c blank: from the country
        "country": "DE",  # BillingCountry "Germany", no code
        "owner_csm_id": CARL,  # OwnerId given with 15 characters
        "touch_tier_override": "high_touch",  # "High Touch"
        "created_at": "2024-01-05T10:00:00.000+00:00",
        "updated_at": "2024-02-01T08:00:00.000+00:00",
    }
    assert accounts[GLOBEX] == {  # owned by a sales rep: no CSM owner
        "account_id": GLOBEX,
        "account_name": "Globex",
        "industry": "software",
        "region": "north_america",
        "country": "US",
        "created_at": "2023-06-01T12:00:00.000+00:00",
        "updated_at": "2023-07-01T12:00:00.000+00:00",
    }
    assert accounts[HOOLI]["region"] == "apac"
    assert accounts[HOOLI]["touch_tier_override"] == "tech_touch"


def test_account_custom_fields_are_settings():
    batch = org({"region_field": "Sales_Region__c", "touch_tier_field": "Service_Tier__c"})
    accounts = by_id(contract_rows(batch, "accounts"), "account_id")
    assert accounts[ACME]["region"] == "latam"  # Sales_Region__c, not Region__c
    assert accounts[GLOBEX]["region"] == "north_america"  # blank there: from the country
    assert not any("touch_tier_override" in row for row in accounts.values())


# ------------------------------------------------------------------------------------ contacts


def test_contacts_map_hierarchy_and_the_flags_settings_name():
    batch = org(
        {
            "decision_maker_field": "Contact_Role__c=Decision Maker",
            "champion_field": "Contact_Role__c=Champion",
        }
    )
    contacts = by_id(contract_rows(batch, "contacts"), "contact_id")
    assert contacts[JANE] == {
        "contact_id": JANE,
        "account_id": ACME,
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@acme.example",
        "title": "CEO",
        "is_executive": "true",  # Is_Executive__c
        "is_decision_maker": "true",  # multi-select picklist "Decision Maker;Champion"
        "is_champion": "true",
        "created_at": "2024-01-06T09:00:00.000+00:00",
        "updated_at": "2024-01-06T09:00:00.000+00:00",
    }
    assert (contacts[JOHN]["is_decision_maker"], contacts[JOHN]["is_champion"]) == ("false",) * 2
    # Mary reports to a private contact (no account, not delivered): no manager.
    assert contacts[MARY]["is_champion"] == "true"
    assert "reports_to_contact_id" not in contacts[MARY]
    assert skips(batch, "contact") == {
        "a private contact (no AccountId)": 1,
        "deleted in Salesforce (IsDeleted)": 1,
        "its account is deleted in Salesforce": 1,
    }
    # With the default checkbox names, absent from this org, the flags are false.
    defaults = by_id(contract_rows(org(), "contacts"), "contact_id")
    assert defaults[JANE]["is_decision_maker"] == "false"


# ------------------------------------------------------------------------------------ activities


def test_tasks_and_events_become_activities():
    batch = org()
    activities = by_id(contract_rows(batch, "activities"), "activity_id")
    assert activities == {
        "00T5e00000Call1EAB": {  # a logged inbound call
            "activity_id": "00T5e00000Call1EAB",
            "account_id": ACME,
            "contact_id": JANE,
            "csm_id": CARL,
            "activity_type": "call",
            "direction": "reactive",  # CallType Inbound
            "is_high_value": "false",
            "occurred_at": "2024-02-01T09:30:00.000+00:00",
            "updated_at": "2024-02-01T09:35:00.000+00:00",
        },
        "00T5e00000Mail2EAB": {  # WhatId an opportunity: its account; owned by a sales rep
            "activity_id": "00T5e00000Mail2EAB",
            "account_id": ACME,
            "contact_id": JOHN,
            "activity_type": "email",  # Type blank: TaskSubtype Email
            "direction": "proactive",
            "is_high_value": "false",
            "occurred_at": "2024-02-02T00:00:00Z",  # only ActivityDate
            "updated_at": "2024-02-02T11:00:00.000+00:00",
        },
        "00T5e00000Lead5EAB": {  # WhoId a lead: no contact
            "activity_id": "00T5e00000Lead5EAB",
            "account_id": GLOBEX,
            "csm_id": CARL,
            "activity_type": "content_engagement",
            "content_category": "educational",
            "direction": "proactive",  # default_direction
            "is_high_value": "false",
            "occurred_at": "2024-03-10T13:00:00.000+00:00",
            "updated_at": "2024-03-10T13:01:00.000+00:00",
        },
        "00T5e00000Cont7EAB": {  # no AccountId or WhatId: the contact's account
            "activity_id": "00T5e00000Cont7EAB",
            "account_id": GLOBEX,
            "contact_id": MARY,
            "csm_id": MONA,
            "activity_type": "email",
            "direction": "reactive",  # Direction__c Inbound
            "is_high_value": "true",
            "occurred_at": "2024-03-12T08:15:00.000+00:00",
            "updated_at": "2024-03-12T08:20:00.000+00:00",
        },
        "00U5e00000Meet1EAB": {  # an Event without Type is a meeting (EventSubtype Event)
            "activity_id": "00U5e00000Meet1EAB",
            "account_id": ACME,  # WhatId, 15 characters
            "contact_id": JANE,
            "csm_id": MONA,
            "activity_type": "meeting",
            "direction": "proactive",
            "is_high_value": "true",
            "occurred_at": "2024-03-01T15:00:00.000+00:00",
            "updated_at": "2024-03-01T16:05:00.000+00:00",
        },
        "00U5e00000Ebr02EAB": {
            "activity_id": "00U5e00000Ebr02EAB",
            "account_id": GLOBEX,
            "contact_id": MARY,
            "csm_id": CARL,
            "activity_type": "executive_business_review",
            "direction": "proactive",
            "is_high_value": "true",
            "occurred_at": "2024-03-05T16:00:00.000+00:00",
            "updated_at": "2024-03-05T18:00:00.000+00:00",
        },
    }
    assert skips(batch, "task") == {
        "task Type not in activity_types": 1,  # Type Other (a to-do)
        "an open task (not done yet)": 1,
        "deleted in Salesforce (IsDeleted)": 1,
    }
    assert skips(batch, "event") == {
        "event Type not in activity_types": 1,
        "an event that has not started yet": 1,
        "its account is deleted in Salesforce": 1,
    }


def test_activity_types_high_value_and_direction_are_settings():
    batch = org(
        {
            "activity_types": {"Call": "call", "Other": "email"},  # no meetings, to-dos as email
            "high_value_field": "Type=Executive Business Review",
            "default_direction": "reactive",
        }
    )
    activities = by_id(contract_rows(batch, "activities"), "activity_id")
    # Type decides when filled: "Other" tasks and events are email now, "Email" ones are not.
    assert sorted(activities) == ["00T5e00000Call1EAB", "00T5e00000Todo3EAB", "00U5e00000Othr4EAB"]
    assert activities["00T5e00000Todo3EAB"]["activity_type"] == "email"
    assert activities["00T5e00000Todo3EAB"]["direction"] == "reactive"  # default_direction
    assert activities["00T5e00000Call1EAB"]["direction"] == "reactive"  # CallType Inbound
    assert skips(batch, "task") == {
        "task without Type, TaskSubtype not in activity_types": 1,  # TaskSubtype Email
        "task Type not in activity_types": 2,  # Content Engagement, Email
        "an open task (not done yet)": 1,
        "deleted in Salesforce (IsDeleted)": 1,
    }
    assert skips(batch, "event") == {
        "event without Type, EventSubtype not in activity_types": 1,
        "event Type not in activity_types": 3,
    }
    ebr = by_id(
        contract_rows(org({"high_value_field": "Type=Executive Business Review"}), "activities"),
        "activity_id",
    )
    assert [k for k, row in ebr.items() if row["is_high_value"] == "true"] == ["00U5e00000Ebr02EAB"]


def test_settings_may_name_standard_fields_in_either_spelling():
    adapter = make_adapter("salesforce", {"high_value_field": "IsHighPriority"})
    task = adapter.table("task")
    assert task.header_map(["IsHighPriority"]) == {"IsHighPriority": "is_high_priority"}
    assert task.header_map(["is_high_priority"]) == {"is_high_priority": "is_high_priority"}
    assert adapter.flags["high_value"].column == "is_high_priority"
    # A custom field keeps its words (Fivetran: sales_region_c); the default tables are intact.
    custom = make_adapter("salesforce", {"region_field": "Sales_Region__c"})
    assert custom.table("account").header_map(["SALES_REGION__C"]) == {
        "SALES_REGION__C": "sales_region_c"
    }
    assert "sales_region_c" not in make_adapter("salesforce").table("account").columns


# ------------------------------------------------------------------------------------ csms


def test_users_of_the_cs_team_become_csms():
    batch = org()
    assert by_id(contract_rows(batch, "csms"), "csm_id") == {
        MONA: {
            "csm_id": MONA,
            "full_name": "Mona Manager",
            "email": "mona@example.com",
            "team": "enterprise",
            "role": "manager",  # CS_Role__c blank, and CS users report to her
            "annual_renewal_quota": "1000000.00",
            "hired_date": "2022-01-10",
            # her manager, a VP outside the CS team, is no CSM
            "is_active": "true",
            "updated_at": "2024-01-01T00:00:00.000+00:00",
        },
        CARL: {
            "csm_id": CARL,
            "full_name": "Carl Csm",  # Name blank: FirstName LastName
            "email": "carl@example.com",
            "team": "commercial",  # Division Mid-Market
            "role": "csm",
            "manager_csm_id": MONA,
            "hired_date": "2023-03-15",  # no Hire_Date__c: CreatedDate
            "is_active": "false",
            "updated_at": "2024-05-01T10:00:00.000+00:00",
        },
        SUE: {  # Department "customer success" matches regardless of case
            "csm_id": SUE,
            "full_name": "Sue Spec",
            "email": "sue@example.com",
            "team": "scale",  # SMB
            "role": "specialist",  # Onboarding Specialist
            "manager_csm_id": MONA,
            "hired_date": "2024-02-01",
            "is_active": "true",
            "updated_at": "2024-02-01T09:00:00.000+00:00",
        },
    }
    assert skips(batch, "user") == {"not in the CS team (Department not Customer Success)": 2}


def test_the_cs_team_can_be_told_by_user_role():
    batch = org({"cs_team_field": "UserRole", "cs_team_values": ["Customer Success"]})
    assert sorted(by_id(contract_rows(batch, "csms"), "csm_id")) == [CARL, MONA]  # Sue: no role
    assert skips(batch, "user") == {"not in the CS team (UserRole not Customer Success)": 3}
    (roles,) = [a for a in batch.accounts() if a.table == "user_role"]
    assert (roles.mapped, roles.skipped) == (2, 0)  # both looked up (Sam's role is Sales)


# ------------------------------------------------------------------------------------ opportunities


def test_opportunities_map_type_stage_amount_and_close():
    batch = org()
    assert by_id(contract_rows(batch, "opportunities"), "opportunity_id") == {
        "0065e00000RenwAAAR": {
            "opportunity_id": "0065e00000RenwAAAR",
            "account_id": ACME,
            "owner_csm_id": CARL,
            "opportunity_type": "renewal",
            "stage": "closed_won",  # IsClosed and IsWon
            "amount": "12000.5",
            "close_date": "2024-06-30",  # landed as a midnight timestamp
            "created_at": "2024-04-01T10:00:00.000+00:00",
            "closed_at": "2024-06-28T16:00:00.000+00:00",  # LastStageChangeDate
            "updated_at": "2024-06-29T08:00:00.000+00:00",
        },
        "0065e00000UpgrBAAR": {
            "opportunity_id": "0065e00000UpgrBAAR",
            "account_id": GLOBEX,
            "opportunity_type": "expansion",  # Existing Customer - Upgrade
            "stage": "open",
            "amount": "3000",
            "close_date": "2025-03-31",
            "created_at": "2024-11-01T10:00:00.000+00:00",
            "updated_at": "2024-11-02T10:00:00.000+00:00",
        },
    }
    assert skips(batch, "opportunity") == {
        "superseded by a later version of the same record": 1,
        "Type not a renewal or expansion type (new business or another pipeline)": 1,
        "no Type (not a renewal or expansion)": 1,
    }


def test_renewals_can_be_told_by_record_type():
    batch = org({"opportunity_type_field": "RecordType"})
    opportunities = by_id(contract_rows(batch, "opportunities"), "opportunity_id")
    assert sorted(opportunities) == [
        "0065e00000LostDAAR",
        "0065e00000RenwAAAR",
        "0065e00000UpgrBAAR",
    ]
    assert opportunities["0065e00000LostDAAR"] == {  # Type blank, record type Renewal
        "opportunity_id": "0065e00000LostDAAR",
        "account_id": ACME,
        "owner_csm_id": MONA,
        "opportunity_type": "renewal",
        "stage": "closed_lost",  # IsClosed/IsWon blank: StageName Closed Lost
        "amount": "1500",
        "close_date": "2024-09-30",
        "created_at": "2024-08-01T10:00:00.000+00:00",
        "closed_at": "2024-09-30T17:00:00.000+00:00",  # no LastStageChangeDate: LastModifiedDate
        "updated_at": "2024-09-30T17:00:00.000+00:00",
    }
    assert (
        skips(batch, "opportunity")[
            "RecordType not a renewal or expansion type (new business or another pipeline)"
        ]
        == 1
    )
    renewals_only = org({"renewal_types": ["Renewal"], "expansion_types": []})
    assert [r["opportunity_type"] for r in contract_rows(renewals_only, "opportunities")] == [
        "renewal"
    ]


# ------------------------------------------------------------------------------------ versions


def test_deleted_history_and_superseded_rows_are_skipped_and_counted():
    batch = org()
    accounts = {a.file.rsplit("/", 1)[-1]: a for a in batch.accounts() if a.table == "account"}
    assert dict(accounts["account.csv"].skip_reasons) == {
        "deleted in Salesforce (IsDeleted)": 1,
        "deleted in the source (_fivetran_deleted)": 1,
    }
    assert dict(accounts["account_2024-01-06.csv"].skip_reasons) == {
        "superseded by a later version of the same record": 1,  # Acme under its 15-char id
        "an earlier version kept by Fivetran history mode (_fivetran_active false)": 1,
    }
    for account in batch.accounts():
        assert account.rows_read == account.mapped + account.skipped + account.quarantined
        assert account.quarantined == 0


def test_a_partial_delivery_maps_what_it_can(tmp_path):
    shutil.copytree(ORG / "task", tmp_path / "task")
    batch = map_vendor_folder("salesforce", tmp_path)
    activities = by_id(contract_rows(batch, "activities"), "activity_id")
    # Without the user table nobody is known to be outside the CS team: owners pass through.
    assert sorted(activities) == ["00T5e00000Call1EAB", "00T5e00000Lead5EAB"]
    assert activities["00T5e00000Call1EAB"]["csm_id"] == CARL
    # Without contacts and opportunities, a task related only through them has no account.
    quarantined = {line: reason for _, _, line, reason, _ in batch.quarantined_rows()}
    assert sorted(quarantined) == [3, 8]
    assert all(
        r.startswith("no account: AccountId, WhatId and WhoId") for r in quarantined.values()
    )


# ------------------------------------------------------------------------------------ bad files


ACCOUNT_HEADER = (
    "id,name,industry,number_of_employees,billing_country_code,owner_id,is_deleted,"
    "created_date,last_modified_date\n"
)
GOOD_ACCOUNT = "0015e00000AcmeQAAR,Acme,Banking,10,DE,,false,2024-01-05T10:00:00.000+0000,"


def test_bad_vendor_files_keep_every_row_accounted(tmp_path):
    accounts = (
        ACCOUNT_HEADER
        + GOOD_ACCOUNT
        + "2024-01-05T10:00:00.000+0000\n"  # line 2: good
        + "0015e00000BadDeL,Bad Deleted,Banking,10,DE,,maybe,2024-01-05T10:00:00Z,\n"
        + "0015e00000ManyEm,Many,Banking,many,DE,,false,2024-01-05T10:00:00Z,\n"
        + "0015e00000AgriCu,Farm,Agriculture,10,DE,,false,2024-01-05T10:00:00Z,\n"
        + "0015e00000YestDa,Later,Banking,10,DE,,false,yesterday,\n"
        + "0015e00000Short,Short,row\n"
        + GOOD_ACCOUNT
        + "2024-01-05T10:00:00.000+0000\n"  # line 8: the same row again
        + ",No Id,Banking,10,DE,,false,2024-01-05T10:00:00Z,\n"
        + "0015e00000NarnI,Narnia Ltd,Banking,10,Narnia,,false,2024-01-05T10:00:00Z,\n"
    )
    opportunities = "\n".join(
        [
            '{"Id": "0065e00000GoodA", "AccountId": "0015e00000AcmeQ", "Type": "Renewal", '
            '"IsClosed": false, "IsWon": false, "Amount": 100, "CloseDate": "2024-09-30", '
            '"CreatedDate": "2024-08-01T10:00:00.000+0000", '
            '"LastModifiedDate": "2024-08-01T10:00:00.000+0000"}',
            "this is not JSON",
            '{"Id": "0065e00000LotsB", "AccountId": "0015e00000AcmeQ", "Type": "Renewal", '
            '"IsClosed": false, "Amount": "lots", "CloseDate": "2024-09-30", '
            '"CreatedDate": "2024-08-01T10:00:00.000+0000"}',
            '{"Id": "0065e00000WonmC", "AccountId": "0015e00000AcmeQ", "Type": "Renewal", '
            '"IsClosed": true, "IsWon": "maybe", "Amount": 5, "CloseDate": "2024-09-30", '
            '"CreatedDate": "2024-08-01T10:00:00.000+0000"}',
            '{"Id": "0065e00000OrphD", "AccountId": "0015e00000NoSuc", "Type": "Renewal", '
            '"IsClosed": false, "Amount": 5, "CloseDate": "2024-09-30", '
            '"CreatedDate": "2024-08-01T10:00:00.000+0000", '
            '"LastModifiedDate": "2024-08-01T10:00:00.000+0000"}',
        ]
    )
    result, warehouse = load_vendor_landing(
        tmp_path,
        {
            "salesforce/account/account.csv": accounts,
            "salesforce/opportunity/opportunity.jsonl": opportunities + "\n",
            "salesforce/contact/contact.csv": "Id,FirstName,CreatedDate\n0035e00000JaneA,J,x\n",
        },
        {"crm": {"vendor": "salesforce"}},
    )
    assert_accounted(result)
    (contact,) = result.refused
    assert "account_id (or accountid)" in contact.message  # the missing column, named
    files = {f.path.name: f for f in result.files if f.status == "loaded"}
    account, opportunity = files["account.csv"], files["opportunity.jsonl"]
    assert (account.rows_read, account.rows_loaded, account.rows_skipped) == (9, 1, 1)
    assert account.rows_quarantined == 7
    assert (opportunity.rows_read, opportunity.rows_loaded, opportunity.rows_quarantined) == (
        5,
        1,
        4,
    )
    reasons = {
        (file.rsplit("/", 1)[-1], line): reason
        for file, line, reason in query(
            warehouse,
            "select source_file, source_row_number, reason from loader.quarantined_rows",
        )
    }
    assert (
        "IsDeleted / _fivetran_deleted: 'maybe' is not true or false" in reasons[("account.csv", 3)]
    )
    assert "NumberOfEmployees: 'many' is not a number" in reasons[("account.csv", 4)]
    assert "Industry 'Agriculture' has no contract industry" in reasons[("account.csv", 5)]
    assert "created_at: expected a timestamp" in reasons[("account.csv", 6)]
    assert reasons[("account.csv", 7)].startswith("unreadable line: has 3 fields")
    assert "Id is empty" in reasons[("account.csv", 9)]
    assert "BillingCountry 'Narnia'" in reasons[("account.csv", 10)]
    assert reasons[("opportunity.jsonl", 2)].startswith("unreadable line: is not JSON")
    assert "Amount: 'lots' is not a number" in reasons[("opportunity.jsonl", 3)]
    assert "IsWon: 'maybe' is not true or false" in reasons[("opportunity.jsonl", 4)]
    assert "account_id" in reasons[("opportunity.jsonl", 5)]  # unknown account: the FK check
    assert query(warehouse, "select account_id from raw.crm__accounts") == [(ACME,)]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"team_values": {"Enterprise": "big"}}, "team_values maps to big"),
        ({"activity_types": {"Call": "phone"}}, "activity_types maps to phone"),
        ({"default_direction": "sideways"}, "default_direction must be one of"),
        ({"renewal_types": ["Renewal"], "expansion_types": ["renewal"]}, "in both renewal"),
        ({"colour": "blue"}, "unknown setting(s) colour"),
    ],
)
def test_bad_settings_are_refused_naming_the_fix(settings, message):
    with pytest.raises(SourceSystemsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_source_systems({"crm": {"vendor": "salesforce", **settings}}, None)
    assert make_adapter("salesforce").settings["cs_team_field"] == "Department"
