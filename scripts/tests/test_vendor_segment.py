"""The Segment adapter: track events aggregated to product_usage daily_feature_usage.

Fixture files in fixtures/vendors/segment/ hold one small delivery: the warehouse ``tracks``
table as CSV, a raw S3-style JSON lines redelivery, ``groups`` and ``identifies``. Each quirk test
maps them and compares the contract rows with rows written out by hand.
"""

from __future__ import annotations

import json

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

from cswh.settings import REPO_ROOT
from cswh.vendors import make_adapter
from cswh.vendors.base import parse_vendor_file, vendor_format
from cswh.vendors.config import SourceSystemsError, parse_source_systems
from cswh.vendors.segment import NOT_A_TRACK_CALL, NOT_MAPPED, utc_day

FOLDER = FIXTURES / "segment"
ENTITY = "daily_feature_usage"


def usage(day: str, account: str, feature: str, users: int, events: int) -> dict[str, str]:
    return {
        "usage_date": day,
        "account_id": account,
        "feature_id": feature,
        "active_users": str(users),
        "event_count": str(events),
        "updated_at": f"{day}T23:59:59Z",
    }


def by_key(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], dict[str, str]]:
    return {(r["usage_date"], r["account_id"], r["feature_id"]): r for r in rows}


def outcomes(batch, table: str) -> dict[str, tuple[str, str] | None]:
    """Message id -> (outcome, reason) of its first row in the fixture files of one table."""
    vendor_table = make_adapter("segment").table(table)
    found: dict[str, tuple[str, str] | None] = {}
    for path in sorted((FOLDER / table).iterdir()):
        name = f"segment/{table}/{path.name}"
        parsed = parse_vendor_file(vendor_table, name, path.read_bytes(), vendor_format(path))
        for row in parsed.rows:
            found.setdefault(row["message_id"], batch.outcome(row))
    return found


@pytest.fixture(scope="module")
def fixture_batch():
    return map_vendor_folder("segment", FOLDER)


def test_round_trip_of_daily_feature_usage_is_exact(tmp_path):
    differences = round_trip(tmp_path, ["segment"], scale=0.03)
    for entity, (native_only, dialect_only) in differences.items():
        assert not native_only, (entity, native_only)
        assert not dialect_only, (entity, dialect_only)


def test_the_fixture_delivery_gives_these_rows(fixture_batch):
    assert sorted(contract_rows(fixture_batch, ENTITY), key=lambda r: sorted(r.items())) == sorted(
        [
            usage("2025-03-01", "acc_a", "feat_dashboards", 3, 4),
            usage("2025-03-01", "acc_a", "feat_workflows", 1, 1),
            usage("2025-02-28", "acc_a", "feat_workflows", 1, 1),
            usage("2025-03-01", "acc_a", "feat_collaboration", 1, 1),
            usage("2025-03-01", "acc_b", "feat_reports", 2, 2),
            usage("2025-03-01", "acc_c", "feat_reports", 1, 1),
            usage("2025-03-01", "acc_c", "feat_collaboration", 1, 1),
            usage("2025-03-01", "acc_d", "feat_reports", 1, 1),
        ],
        key=lambda r: sorted(r.items()),
    )


def test_the_account_comes_from_the_event_else_the_users_latest_call(fixture_batch):
    rows = by_key(contract_rows(fixture_batch, ENTITY))
    # m07: flattened property column account_id; m08: properties JSON {"account_id": ...}.
    assert rows[("2025-03-01", "acc_b", "feat_reports")]["event_count"] == "2"
    # m09: no account on the event; u5's latest groups call (acc_c) beats the older trial-x.
    assert ("2025-03-01", "acc_c", "feat_reports") in rows
    assert not any(account == "trial-x" for _, account, _ in rows)
    # m21: an anonymous visitor's group call; m10: u6's identify trait account_id.
    assert ("2025-03-01", "acc_c", "feat_collaboration") in rows
    assert ("2025-03-01", "acc_d", "feat_reports") in rows
    groups = outcomes(fixture_batch, "groups")
    assert groups["g1"] == ("skipped", "superseded by a later call of the same user")
    assert groups["g2"][0] == groups["g3"][0] == "mapped"
    assert groups["g4"][0] == "skipped" and "not needed" in groups["g4"][1]
    identifies = outcomes(fixture_batch, "identifies")
    assert identifies["i1"][0] == "mapped"
    assert identifies["i3"] == ("skipped", "no account_id trait")


def test_an_event_without_an_account_is_quarantined_saying_what_to_send(fixture_batch):
    outcome, reason = outcomes(fixture_batch, "tracks")["m11"]
    assert outcome == "quarantined"
    assert "context.groupId" in reason and "group(accountId)" in reason
    assert "account_id" in reason  # the property it looked for


def test_group_calls_can_be_turned_off():
    batch = map_vendor_folder("segment", FOLDER, {"use_group_calls": False})
    rows = by_key(contract_rows(batch, ENTITY))
    assert ("2025-03-01", "acc_c", "feat_reports") not in rows
    assert outcomes(batch, "tracks")["m09"][0] == "quarantined"
    assert ("2025-03-01", "acc_d", "feat_reports") in rows  # identifies still read


def test_event_names_map_to_features_through_the_seed(fixture_batch):
    tracks = outcomes(fixture_batch, "tracks")
    # "dashboard_viewed" (Segment's column slug) is "Dashboard Viewed" of the seed.
    assert tracks["m02"][0] == "mapped"
    assert tracks["m12"] == ("skipped", NOT_MAPPED)  # Signed In: no feature


def test_a_team_points_at_its_own_event_features_file():
    relative = (FOLDER / "team_event_features.csv").relative_to(REPO_ROOT)
    batch = map_vendor_folder("segment", FOLDER, {"event_features_file": str(relative)})
    rows = by_key(contract_rows(batch, ENTITY))
    assert rows[("2025-03-01", "acc_a", "feat_sso")] == usage(
        "2025-03-01", "acc_a", "feat_sso", 1, 1
    )
    assert {feature for _, _, feature in rows} == {"feat_sso", "feat_reports"}
    skipped = sum(a.skip_reasons[NOT_MAPPED] for a in batch.accounts())
    assert skipped == 9  # m01-m06 and the three JSON lines (dashboards, workflows, comments)


def test_a_missing_event_features_file_stops_the_configuration():
    with pytest.raises(SourceSystemsError, match=r"no/such/file\.csv cannot be read"):
        parse_source_systems(
            {"product_usage": {"vendor": "segment", "event_features_file": "no/such/file.csv"}},
            None,
        )


def test_a_seed_mapping_one_event_to_two_features_is_refused(tmp_path):
    seed = tmp_path / "map.csv"
    seed.write_text("event,feature_id\nReport Viewed,feat_reports\nreport_viewed,feat_x\n")
    with pytest.raises(ValueError, match="mapped to both feat_reports and feat_x"):
        make_adapter("segment", {"event_features_file": str(seed)})


def test_days_are_utc_days_of_the_event_time(fixture_batch):
    rows = by_key(contract_rows(fixture_batch, ENTITY))
    # m05 at 01:30 +02:00 on 2 March is 23:30 UTC on 1 March.
    assert ("2025-03-01", "acc_a", "feat_workflows") in rows
    assert not any(day == "2025-03-02" for day, _, _ in rows)
    assert utc_day("2025-03-01T20:00:00-05:00") == "2025-03-02"
    assert utc_day("1740873600") == "2025-03-02"  # epoch seconds
    assert utc_day("2025-02-30T10:00:00Z") is None


def test_the_event_time_counts_not_received_at(fixture_batch):
    # m06 happened at 23:59 on 28 February and arrived after midnight.
    rows = by_key(contract_rows(fixture_batch, ENTITY))
    assert rows[("2025-02-28", "acc_a", "feat_workflows")]["updated_at"] == "2025-02-28T23:59:59Z"


def test_active_users_are_distinct_users_else_anonymous_ids(fixture_batch):
    # u1 twice (m01, m04), u2 (m02) and the anonymous a9 (m03): three users, four events.
    rows = by_key(contract_rows(fixture_batch, ENTITY))
    row = rows[("2025-03-01", "acc_a", "feat_dashboards")]
    assert (row["active_users"], row["event_count"]) == ("3", "4")


def test_a_contract_row_carries_every_event_that_made_it(fixture_batch):
    (row,) = [
        r for r in fixture_batch.entity_rows(ENTITY) if r.values["feature_id"] == "feat_dashboards"
    ]
    assert [source["message_id"] for source in row.sources] == ["m01", "m02", "m03", "m04"]
    assert row.sources[0].file == "segment/tracks/tracks-2025-03-01.csv"


def test_a_redelivered_message_counts_once(fixture_batch):
    (account,) = [a for a in fixture_batch.accounts() if a.file.endswith(".jsonl")]
    assert account.skip_reasons == {"duplicate delivery of the same message id (counted once)": 1}
    assert outcomes(fixture_batch, "tracks")["m01"] == ("mapped", "")
    assert account.mapped == 2


def test_other_calls_and_deleted_rows_are_skipped(tmp_path):
    base = {"userId": "u1", "timestamp": "2025-03-01T09:00:00Z", "context": {"groupId": "acc_a"}}
    lines = [
        {**base, "type": "page", "messageId": "p1", "name": "Pricing"},
        {**base, "type": "identify", "messageId": "p2", "traits": {"email": "u1@a.example"}},
        {**base, "type": "track", "messageId": "t1", "event": "Report Viewed"},
        {**base, "messageId": "t2", "event": "Report Viewed", "_fivetran_deleted": True},
        # A flattened property called type is no call type: the event counts.
        {**base, "type": "pdf", "messageId": "t3", "event": "Report Exported"},
    ]
    folder = tmp_path / "segment"
    (folder / "tracks").mkdir(parents=True)
    (folder / "tracks" / "raw.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    batch = map_vendor_folder("segment", folder)
    assert contract_rows(batch, ENTITY) == [usage("2025-03-01", "acc_a", "feat_reports", 1, 2)]
    (account,) = batch.accounts()
    assert account.skip_reasons == {
        NOT_A_TRACK_CALL: 2,
        "deleted in the source (_fivetran_deleted)": 1,
    }


ACCOUNTS = (
    "account_id,account_name,industry,employee_count,region,country,owner_csm_id,"
    "touch_tier_override,created_at,updated_at\n"
    "acc_a,Alpha Inc,software,120,emea,DE,,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
)
FEATURES = (
    "feature_id,product_id,feature_name,included_from_tier,is_core_value_feature,released_date,"
    "updated_at\n"
    "feat_dashboards,prod_platform,Dashboards,starter,true,2022-01-01,2022-01-01T00:00:00Z\n"
)
BAD_TRACKS = (
    "id,user_id,anonymous_id,event,timestamp,context_group_id,properties\n"
    "b01,u1,,Dashboard Viewed,2025-03-01T09:00:00Z,acc_a,\n"  # 2 mapped
    "b02,u1,,Dashboard Viewed,yesterday,acc_a,\n"  # 3 bad timestamp
    ",u1,,Dashboard Viewed,2025-03-01T09:00:00Z,acc_a,\n"  # 4 no message id
    "b04,,,Dashboard Viewed,2025-03-01T09:00:00Z,acc_a,\n"  # 5 no user
    "b05,u1,,Dashboard Viewed,2025-03-01T09:00:00Z,,{not json\n"  # 6 bad properties
    "b06,u1,short row\n"  # 7 unreadable
    "b01,u1,,Dashboard Viewed,2025-03-01T09:00:00Z,acc_a,\n"  # 8 duplicate of b01
    "b08,u1,,Dashboard Viewed,2025-03-02T09:00:00Z,acc_zzz,\n"  # 9 unknown account
    "b09,u1,,,2025-03-01T09:00:00Z,acc_a,\n"  # 10 no event name
    "b10,u1,,Dashboard Viewed,2099-01-01T09:00:00Z,acc_a,\n"  # 11 in the future
    "b11,u1,,Page Viewed,2025-03-01T09:00:00Z,acc_a,\n"  # 12 not mapped
)
BAD_LINES = "\n".join(
    [
        "{oops",
        "[1, 2]",
        # Wrong types: numbers where Segment sends text, epoch seconds for the time.
        json.dumps(
            {
                "messageId": 123,
                "userId": 77,
                "event": "Dashboard Viewed",
                "timestamp": 1740823200,
                "context": {"groupId": "acc_a"},
            }
        ),
        json.dumps({"messageId": "j4", "userId": "u1", "event": ["x"], "timestamp": "x"}),
    ]
)
BAD_GROUPS = (
    "id,user_id,group_id,timestamp\n"
    "g1,u1,,2025-01-01T00:00:00Z\n"  # no group
    "g2,u1,acc_a,last tuesday\n"  # bad time
    "g3,,acc_a,2025-01-01T00:00:00Z\n"  # no user
)


def test_bad_vendor_files_keep_every_row_accounted(tmp_path):
    result, warehouse = load_vendor_landing(
        tmp_path,
        {
            "crm/accounts/accounts__2025-03-05.csv": ACCOUNTS,
            "product_usage/features/features__2025-03-05.csv": FEATURES,
            "segment/tracks/bad.csv": BAD_TRACKS,
            "segment/tracks/lines.jsonl": BAD_LINES,
            "segment/tracks/no_time.csv": "id,user_id,event\nx1,u1,Dashboard Viewed\n",
            "segment/groups/groups.csv": BAD_GROUPS,
        },
        {"product_usage": {"vendor": "segment"}},
    )
    assert_accounted(result)
    files = {f.path.name: f for f in result.files if f.entity and f.entity.startswith("segment.")}
    assert files["no_time.csv"].status == "refused"
    assert "lacks the column(s) timestamp" in files["no_time.csv"].message
    bad = files["bad.csv"]
    assert (bad.rows_read, bad.rows_loaded, bad.rows_skipped, bad.rows_quarantined) == (11, 1, 2, 8)
    reasons = dict(
        query(
            warehouse,
            "select source_row_number, reason from loader.quarantined_rows "
            "where source_file = 'segment/tracks/bad.csv'",
        )
    )
    assert reasons[3].startswith("timestamp: 'yesterday' is not an event time")
    assert reasons[4].startswith("message id: missing")
    assert reasons[5].startswith("user: neither user_id nor anonymous_id")
    assert reasons[6].startswith("properties: not a JSON object")
    assert reasons[7].startswith("unreadable line: has 3 fields")
    assert 'account_id: no accounts row with account_id "acc_zzz"' in reasons[9]
    assert reasons[10].startswith("event: missing")
    assert "in the future" in reasons[11]
    lines = files["lines.jsonl"]
    assert (lines.rows_read, lines.rows_loaded, lines.rows_skipped, lines.rows_quarantined) == (
        4,
        1,
        1,
        2,
    )
    groups = files["groups.csv"]
    assert (groups.rows_read, groups.rows_quarantined) == (3, 3)
    group_reasons = [
        reason
        for (reason,) in query(
            warehouse,
            "select reason from loader.quarantined_rows where source_file like '%groups.csv' "
            "order by source_row_number",
        )
    ]
    assert group_reasons[0].startswith("group_id: missing")
    assert group_reasons[1].startswith("timestamp: 'last tuesday' is not a time")
    assert group_reasons[2].startswith("user: neither")
    # The good events of 1 March: b01 and the JSON line with numbers (user 77, epoch time).
    assert query(
        warehouse,
        "select cast(usage_date as varchar), account_id, feature_id, active_users, event_count "
        "from raw.product_usage__daily_feature_usage",
    ) == [("2025-03-01", "acc_a", "feat_dashboards", 2, 2)]


def test_an_edited_mapping_file_maps_the_events_again(tmp_path):
    from cswh.vendors import make_adapter

    mapping = tmp_path / "features.csv"
    mapping.write_text("event,feature_id\nDashboard Viewed,feat_dashboards\n")
    before = make_adapter("segment", {"event_features_file": str(mapping)}).identity()
    mapping.write_text("event,feature_id\nDashboard Viewed,feat_reports\n")
    after = make_adapter("segment", {"event_features_file": str(mapping)}).identity()
    assert before != after
