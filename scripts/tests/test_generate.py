"""Tests of the synthetic extract generator: contract conformance, determinism, next-day appends
and the behaviour the warehouse relies on (leading indicators that really lead)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cswh.contracts import ENTITIES, ENTITIES_BY_NAME, Entity
from cswh.generate import append_next_day, generate_landing
from cswh.generate.extracts import MANIFEST_NAME, read_manifest
from cswh.generate.output import arrow_table, csv_bytes
from cswh.generate.timeline import DAY, date_ts
from cswh.generate.world import build_world

END = date(2026, 10, 31)
SMALL = 0.05
SEED = 7

FORMATS = {
    "integer": re.compile(r"^-?[0-9]+$"),
    "decimal": re.compile(r"^-?[0-9]+(\.[0-9]{1,4})?$"),
    "rate": re.compile(r"^[0-9]+(\.[0-9]{1,12})?$"),
    "boolean": re.compile(r"^(true|false)$"),
    "date": re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    "timestamp": re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"),
}
SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "rate": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
}


# ------------------------------------------------------------------------------------ helpers
def entity_files(landing: Path, entity: Entity) -> list[Path]:
    return sorted((landing / entity.source / entity.name).glob("*.csv"))


def read_text(path: Path) -> pd.DataFrame:
    """A CSV extract as text, empty fields as empty strings."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])


def read_entity(landing: Path, entity: Entity) -> pd.DataFrame:
    return pd.concat([read_text(p) for p in entity_files(landing, entity)], ignore_index=True)


def latest_rows(landing: Path, entity: Entity) -> dict[tuple, str]:
    """Key -> CSV line of the latest version over all files (later files win on ties)."""
    latest: dict[tuple, tuple[str, str]] = {}
    key_index = [entity.column_names.index(k) for k in entity.key]
    updated_index = entity.column_names.index("updated_at")
    for path in sorted(entity_files(landing, entity), key=lambda p: (p.stem.split("__")[1], p)):
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        for line, fields in zip(lines, csv.reader(lines), strict=True):
            key = tuple(fields[i] for i in key_index)
            previous = latest.get(key)
            if previous is None or fields[updated_index] >= previous[0]:
                latest[key] = (fields[updated_index], line)
    return {key: line for key, (_, line) in latest.items()}


def connect(landing: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the extracts: ``all_<entity>`` every version, ``<entity>`` the latest."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for entity in ENTITIES:
        files = ", ".join(f"'{p.as_posix()}'" for p in entity_files(landing, entity))
        columns = ", ".join(f"'{c.name}': '{SQL_TYPES[c.type]}'" for c in entity.columns)
        key = ", ".join(entity.key)
        con.execute(
            f"create view all_{entity.name} as select * from read_csv([{files}], header = true, "
            f"auto_detect = false, columns = {{{columns}}})"
        )
        con.execute(
            f"create view {entity.name} as select * from all_{entity.name} qualify "
            f"row_number() over (partition by {key} order by updated_at desc) = 1"
        )
    return con


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "landing"
    generate_landing(path, scale=SMALL, seed=SEED, end_date=END)
    return path


@pytest.fixture(scope="module")
def appended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("appended") / "landing"
    generate_landing(path, scale=SMALL, seed=SEED + 1, end_date=END)
    append_next_day(path, days=2)
    append_next_day(path, days=2)
    return path


@pytest.fixture(scope="module")
def behaviour(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp("behaviour") / "landing"
    generate_landing(path, scale=0.3, seed=SEED, end_date=END)
    con = connect(path)
    con.execute(
        """
        create table churn as
        with subs as (
            select s.*, c.account_id
            from subscriptions s join customers c using (billing_customer_id)
        )
        select s.account_id, s.started_at, s.ended_at
        from subs s
        where s.status = 'ended' and s.started_at < s.ended_at
          and not exists (
              select 1 from subs o
              where o.account_id = s.account_id and o.subscription_id <> s.subscription_id
                and o.started_at <= s.ended_at and o.started_at < coalesce(o.ended_at, 'infinity')
                and (o.ended_at is null or o.ended_at > s.ended_at)
          )
        """
    )
    return con


# ------------------------------------------------------------------------------------ layout
def test_every_entity_has_files_with_the_contract_header(landing: Path) -> None:
    for entity in ENTITIES:
        files = entity_files(landing, entity)
        assert files, f"no file for {entity.name}"
        for path in files:
            assert path.name.startswith(f"{entity.name}__{END.isoformat()}")
            with path.open("rb") as handle:
                header = handle.readline()
            assert header == (",".join(entity.column_names) + "\n").encode()
    usage = ENTITIES_BY_NAME["daily_feature_usage"]
    names = [p.name for p in entity_files(landing, usage)]
    assert f"daily_feature_usage__{END.isoformat()}__2024-03.csv" in names


def test_manifest_records_the_generation(landing: Path) -> None:
    manifest = read_manifest(landing)
    assert manifest is not None
    assert manifest["seed"] == SEED and manifest["scale"] == SMALL
    assert manifest["start_date"] == "2023-11-01"
    assert manifest["end_date"] == manifest["last_extract_date"] == END.isoformat()
    on_disk = sorted(
        p.relative_to(landing).as_posix() for p in landing.rglob("*.csv") if p.is_file()
    )
    assert manifest["files"] == on_disk


def test_same_parameters_give_byte_identical_files(landing: Path, tmp_path: Path) -> None:
    """A second run in a fresh process (other hash seed) writes exactly the same bytes."""
    other = tmp_path / "again"
    code = (
        "from datetime import date; from pathlib import Path; "
        "from cswh.generate import generate_landing; "
        f"generate_landing(Path({str(other)!r}), scale={SMALL}, seed={SEED}, "
        f"end_date=date({END.year}, {END.month}, {END.day}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    first = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    second = sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    assert first == second
    for relative in first:
        assert (landing / relative).read_bytes() == (other / relative).read_bytes(), relative


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a = generate_landing(tmp_path / "a", scale=0.02, seed=1, end_date=END)
    b = generate_landing(tmp_path / "b", scale=0.02, seed=2, end_date=END)
    tickets_a = (tmp_path / "a" / "support_desk" / "tickets").glob("*.csv")
    tickets_b = (tmp_path / "b" / "support_desk" / "tickets").glob("*.csv")
    assert next(tickets_a).read_bytes() != next(tickets_b).read_bytes()
    assert a.rows_by_entity.keys() == b.rows_by_entity.keys()


# ------------------------------------------------------------------------------------ contract
def test_values_respect_the_contract(landing: Path) -> None:
    for entity in ENTITIES:
        frame = read_entity(landing, entity)
        assert len(frame) > 0, entity.name
        for column in entity.columns:
            values = frame[column.name]
            present = values[values != ""]
            where = f"{entity.name}.{column.name}"
            if column.required:
                assert len(present) == len(values), f"{where}: empty but required"
            if column.type in FORMATS:
                bad = present[~present.str.match(FORMATS[column.type])]
                assert bad.empty, f"{where}: bad {column.type} {bad.iloc[0]!r}"
            if column.allowed_values is not None:
                bad = present[~present.isin(column.allowed_values)]
                assert bad.empty, f"{where}: not allowed {bad.iloc[0]!r}"
            if column.min_value is not None:
                assert (present.astype(float) >= column.min_value).all(), where
            if column.max_value is not None:
                assert (present.astype(float) <= column.max_value).all(), where


def test_keys_are_unique_within_each_file(landing: Path, appended: Path) -> None:
    for folder in (landing, appended):
        for entity in ENTITIES:
            for path in entity_files(folder, entity):
                frame = read_text(path)
                assert not frame.duplicated(list(entity.key)).any(), path.name


def _check_references(landing: Path) -> None:
    frames = {e.name: read_entity(landing, e) for e in ENTITIES}
    for entity in ENTITIES:
        for column, (target, target_column) in entity.references.items():
            values = set(frames[entity.name][column]) - {""}
            known = set(frames[target][target_column])
            missing = values - known
            assert not missing, f"{entity.name}.{column}: {sorted(missing)[:3]} not in {target}"
    contacts = frames["contacts"].set_index("contact_id")
    managed = contacts[contacts["reports_to_contact_id"] != ""]
    manager_account = contacts.loc[managed["reports_to_contact_id"], "account_id"].to_numpy()
    assert (managed["account_id"].to_numpy() == manager_account).all()
    share = len(managed) / len(contacts)
    assert 0.55 <= share <= 0.85, share


def test_foreign_keys_resolve(landing: Path) -> None:
    _check_references(landing)


def test_foreign_keys_resolve_after_appends(appended: Path) -> None:
    _check_references(appended)


def test_invoice_arithmetic_is_exact(landing: Path) -> None:
    con = connect(landing)
    wrong = con.execute(
        """
        select count(*) from invoices i
        left join (select invoice_id, sum(amount) as lines from invoice_lines group by 1) l
            using (invoice_id)
        where abs(i.total - (i.subtotal - i.discount_amount + i.tax_amount)) > 0.001
           or abs(coalesce(l.lines, 0) - (i.subtotal - i.discount_amount)) > 0.001
           or (i.status = 'paid' and abs(i.amount_paid - i.total) > 0.001)
        """
    ).fetchone()[0]
    assert wrong == 0


def test_lapsed_trials_have_no_paid_period(landing: Path) -> None:
    con = connect(landing)
    lapsed = con.execute(
        """
        select count(*), count(*) filter (
            where started_at = trial_ended_at and ended_at = trial_ended_at
              and current_term_started_at is null and canceled_at is null)
        from subscriptions
        where trial_started_at is not null and status = 'ended' and started_at = ended_at
        """
    ).fetchone()
    assert lapsed[0] > 0 and lapsed[0] == lapsed[1]
    invoiced = con.execute(
        "select count(*) from invoices i join subscriptions s using (subscription_id) "
        "where s.started_at = s.ended_at"
    ).fetchone()[0]
    assert invoiced == 0


# Columns recording events (not plans such as target dates or the end of the current term).
EVENT_COLUMNS = {
    "tickets": ("created_at", "first_response_at", "solved_at", "deleted_at"),
    "escalations": ("escalated_at", "accepted_at", "resolved_at"),
    "subscriptions": ("canceled_at", "ended_at"),
    "subscription_item_versions": ("valid_to",),
    "invoices": ("issued_at", "paid_at"),
    "opportunities": ("closed_at",),
    "onboarding_projects": ("go_live_date",),
    "activities": ("occurred_at",),
    "survey_responses": ("responded_at",),
    "csm_sentiment_pulses": ("recorded_at",),
    "daily_feature_usage": ("usage_date",),
}


def test_initial_extract_shows_the_state_at_end_date(landing: Path) -> None:
    """Nothing that happened after end_date 23:59:59 is visible, and open work is still open."""
    cutoff = pd.Timestamp(END.isoformat() + "T23:59:59Z")
    for entity in ENTITIES:
        frame = read_entity(landing, entity)
        names = ("created_at", "updated_at", *EVENT_COLUMNS.get(entity.name, ()))
        for name in (n for n in names if n in frame.columns):
            stamps = pd.to_datetime(frame[name][frame[name] != ""], utc=True)
            assert (stamps <= cutoff).all(), f"{entity.name}.{name} after end_date"
    tickets = read_entity(landing, ENTITIES_BY_NAME["tickets"])
    assert tickets["status"].isin(["new", "open", "pending"]).any()
    invoices = read_entity(landing, ENTITIES_BY_NAME["invoices"])
    assert (invoices["status"] == "open").any()


def test_parquet_has_real_types(tmp_path: Path) -> None:
    csv_result = generate_landing(tmp_path / "csv", scale=0.02, seed=3, end_date=END)
    result = generate_landing(
        tmp_path / "pq", scale=0.02, seed=3, end_date=END, file_format="parquet"
    )
    assert result.rows_by_entity == csv_result.rows_by_entity
    expected = {
        "string": pa.string(),
        "integer": pa.int64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    for entity in ENTITIES:
        path = next((tmp_path / "pq" / entity.source / entity.name).glob("*.parquet"))
        schema = pq.read_schema(path)
        assert schema.names == entity.column_names
        for column in entity.columns:
            actual = schema.field(column.name).type
            if column.type in ("decimal", "rate"):
                assert pa.types.is_decimal(actual) or actual == pa.float64()
            else:
                assert actual == expected[column.type], (entity.name, column.name, actual)


# ------------------------------------------------------------------------------------ landing
def test_refuses_foreign_or_different_landing_folders(tmp_path: Path) -> None:
    empty_folders = tmp_path / "empty"
    (empty_folders / "crm").mkdir(parents=True)
    generate_landing(empty_folders, scale=0.02, seed=1, end_date=END)
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="not empty"):
        generate_landing(stray, scale=0.02, seed=1, end_date=END)
    folder = tmp_path / "gen"
    first = generate_landing(folder, scale=0.02, seed=1, end_date=END)
    again = generate_landing(folder, scale=0.02, seed=1, end_date=END)
    assert sorted(first.files) == sorted(again.files)
    with pytest.raises(ValueError, match="different parameters"):
        generate_landing(folder, scale=0.02, seed=2, end_date=END)
    (folder / "crm" / "extra.csv").write_text("x\n")
    with pytest.raises(ValueError, match="did not write"):
        generate_landing(folder, scale=0.02, seed=1, end_date=END)
    (folder / "crm" / "extra.csv").unlink()
    append_next_day(folder)
    with pytest.raises(ValueError, match="appended"):
        generate_landing(folder, scale=0.02, seed=1, end_date=END)


def test_append_needs_a_generation_and_stays_in_the_horizon(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=MANIFEST_NAME):
        append_next_day(tmp_path / "nothing")
    folder = tmp_path / "gen"
    generate_landing(folder, scale=0.02, seed=1, end_date=END)
    with pytest.raises(ValueError, match="ends at"):
        append_next_day(folder, days=400)


# ------------------------------------------------------------------------------------ appends
def test_appended_days_hold_only_that_days_changes(appended: Path) -> None:
    manifest = read_manifest(appended)
    assert manifest["last_extract_date"] == (END + timedelta(days=4)).isoformat()
    days = [(END + timedelta(days=i)).isoformat() for i in range(1, 5)]
    seen_days = set()
    for entity in ENTITIES:
        for path in entity_files(appended, entity):
            stamp = path.stem.split("__")[1]
            if stamp == END.isoformat():
                continue
            assert stamp in days
            seen_days.add(stamp)
            frame = read_text(path)
            assert len(frame) > 0, "empty days must not produce files"
            assert (frame["updated_at"].str[:10] == stamp).all(), path.name
    assert seen_days == set(days)


def test_append_equals_the_simulated_state(appended: Path) -> None:
    """Latest version per key over initial + appended files == the world as of the last day."""
    world = build_world(SEED + 1, SMALL, END)
    last = END + timedelta(days=4)
    cutoff = date_ts(last) + DAY - 1
    for entity in ENTITIES:
        if entity.name == "daily_feature_usage":
            continue
        log = world.logs[entity.name]
        table = arrow_table(entity, log.take(log.as_of(cutoff)))
        text = csv_bytes(table).decode("utf-8").splitlines()[1:]
        key_index = [entity.column_names.index(k) for k in entity.key]
        expected = {
            tuple(fields[i] for i in key_index): line
            for line, fields in zip(text, csv.reader(text), strict=True)
        }
        assert latest_rows(appended, entity) == expected, entity.name
    usage = ENTITIES_BY_NAME["daily_feature_usage"]
    month = world.usage.month(world.usage.month_index(date_ts(last)))
    frame = month.to_pandas()
    frame = frame[(frame["usage_date"] > END) & (frame["usage_date"] <= last)]
    appended_usage = read_entity(appended, usage)
    appended_usage = appended_usage[appended_usage["usage_date"] > END.isoformat()]
    assert len(appended_usage) == len(frame) > 0


def test_csv_quoting_round_trips(tmp_path: Path) -> None:
    entity = ENTITIES_BY_NAME["invoice_lines"]
    columns = {c.name: np.array([None], dtype=object) for c in entity.columns}
    columns.update(
        invoice_line_id=np.array(["inl_1"], dtype=object),
        invoice_id=np.array(["inv_1"], dtype=object),
        line_type=np.array(["credit"], dtype=object),
        description=np.array(['Credit, "goodwill"'], dtype=object),
        seats=np.array([np.iinfo(np.int64).min]),
        amount=np.array([-12.5]),
        period_start_date=np.array([np.iinfo(np.int32).min], dtype=np.int32),
        period_end_date=np.array([20000], dtype=np.int32),
        updated_at=np.array([1_700_000_000]),
    )
    text = csv_bytes(arrow_table(entity, columns)).decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["description"] == 'Credit, "goodwill"'
    assert row["amount"] == "-12.50" and row["seats"] == "" and row["plan_id"] == ""
    assert row["updated_at"] == "2023-11-14T22:13:20Z"


# ------------------------------------------------------------------------------------ behaviour
def test_signups_grow_over_time(behaviour: duckdb.DuckDBPyConnection) -> None:
    first, last = behaviour.execute(
        """
        select count(*) filter (where created_at < timestamptz '2024-11-01'),
               count(*) filter (where created_at >= timestamptz '2025-11-01')
        from accounts
        """
    ).fetchone()
    assert last > 1.3 * first


def test_trouble_escalations_precede_churn(behaviour: duckdb.DuckDBPyConnection) -> None:
    churned = behaviour.execute(
        """
        select count(*), avg(case when exists (
            select 1 from escalations e
            where e.account_id = c.account_id and e.escalation_type = 'trouble'
              and e.escalated_at between c.ended_at - interval 120 day and c.ended_at
        ) then 1 else 0 end)
        from churn c
        """
    ).fetchone()
    retained = behaviour.execute(
        """
        with refs as (
            select unnest([timestamptz '2024-09-15', timestamptz '2025-03-15',
                           timestamptz '2025-09-15', timestamptz '2026-03-15']) as r
        ),
        subs as (
            select s.*, c.account_id
            from subscriptions s join customers c using (billing_customer_id)
        ),
        kept as (
            select distinct account_id, r from subs, refs
            where started_at < r - interval 120 day and started_at < coalesce(ended_at, 'infinity')
              and (ended_at is null or ended_at > r + interval 180 day)
        )
        select avg(case when exists (
            select 1 from escalations e
            where e.account_id = k.account_id and e.escalation_type = 'trouble'
              and e.escalated_at between k.r - interval 120 day and k.r
        ) then 1 else 0 end)
        from kept k
        """
    ).fetchone()[0]
    count, share = churned
    assert count >= 30
    assert share >= 0.6, share
    assert share >= 3 * retained, (share, retained)


def test_usage_declines_before_churn(behaviour: duckdb.DuckDBPyConnection) -> None:
    count, lower = behaviour.execute(
        """
        with daily as (
            select account_id, usage_date, sum(active_users) as users
            from daily_feature_usage group by all
        ),
        compared as (
            select c.account_id,
                (select coalesce(sum(users), 0) / 60.0 from daily d
                 where d.account_id = c.account_id and d.usage_date < c.ended_at
                   and d.usage_date >= c.ended_at - interval 60 day) as last_60,
                (select coalesce(sum(users), 0) / 91.0 from daily d
                 where d.account_id = c.account_id
                   and d.usage_date between c.ended_at - interval 270 day
                                        and c.ended_at - interval 180 day) as months_6_to_9
            from churn c
            where c.started_at < c.ended_at - interval 300 day
        )
        select count(*), avg(case when last_60 < months_6_to_9 then 1.0 else 0.0 end)
        from compared
        """
    ).fetchone()
    assert count >= 15
    assert lower >= 0.8, lower


def test_opportunity_escalations_precede_expansion(
    behaviour: duckdb.DuckDBPyConnection,
) -> None:
    rows = behaviour.execute(
        """
        with versions as (
            select v.valid_from, v.seats, v.change_reason, c.account_id,
                lag(v.seats) over (
                    partition by v.subscription_item_id order by v.valid_from, v.item_version_id
                ) as previous_seats
            from subscription_item_versions v
            join subscriptions s using (subscription_id)
            join customers c using (billing_customer_id)
        ),
        seat_up as (
            select account_id, valid_from from versions
            where change_reason = 'seat_change' and seats > previous_seats
        )
        select escalation_type, avg(case when exists (
            select 1 from seat_up u
            where u.account_id = e.account_id and u.valid_from > e.escalated_at
              and u.valid_from <= e.escalated_at + interval 90 day
        ) then 1.0 else 0.0 end)
        from escalations e
        where escalated_at < timestamptz '2026-08-01'
        group by 1
        """
    ).fetchall()
    share = dict(rows)
    assert share["opportunity"] >= 0.3, share
    assert share["opportunity"] >= 4 * share["trouble"], share


def test_nps_is_lower_before_churn(behaviour: duckdb.DuckDBPyConnection) -> None:
    before, others = behaviour.execute(
        """
        with tagged as (
            select s.score, exists (
                select 1 from churn c
                where c.account_id = s.account_id and s.responded_at < c.ended_at
                  and s.responded_at >= c.ended_at - interval 120 day
            ) as before_churn
            from survey_responses s where s.survey_type = 'nps'
        )
        select avg(score) filter (where before_churn), avg(score) filter (where not before_churn)
        from tagged
        """
    ).fetchone()
    assert before < others - 1.5, (before, others)


def test_usage_rises_before_seat_expansion(behaviour: duckdb.DuckDBPyConnection) -> None:
    count, higher = behaviour.execute(
        """
        with versions as (
            select v.valid_from, v.seats, v.change_reason, v.plan_id, c.account_id,
                lag(v.seats) over (
                    partition by v.subscription_item_id order by v.valid_from, v.item_version_id
                ) as previous_seats
            from subscription_item_versions v
            join subscriptions s using (subscription_id)
            join customers c using (billing_customer_id)
        ),
        expansions as (
            select distinct account_id, valid_from from versions
            where change_reason = 'seat_change' and seats > previous_seats
              and plan_id like 'plan_platform%' and valid_from > timestamptz '2024-10-01'
        ),
        daily as (
            select account_id, usage_date, sum(active_users) as users
            from daily_feature_usage group by all
        ),
        compared as (
            select
                (select coalesce(sum(users), 0) / 60.0 from daily d
                 where d.account_id = x.account_id and d.usage_date < x.valid_from
                   and d.usage_date >= x.valid_from - interval 60 day) as last_60,
                (select coalesce(sum(users), 0) / 91.0 from daily d
                 where d.account_id = x.account_id
                   and d.usage_date between x.valid_from - interval 270 day
                                        and x.valid_from - interval 180 day) as months_6_to_9
            from expansions x
        )
        select count(*), avg(case when last_60 > months_6_to_9 then 1.0 else 0.0 end)
        from compared where months_6_to_9 > 0
        """
    ).fetchone()
    assert count >= 30
    assert higher >= 0.75, higher


def test_executive_engagement_fades_before_churn(behaviour: duckdb.DuckDBPyConnection) -> None:
    recent, earlier = behaviour.execute(
        """
        with executive_touches as (
            select a.account_id, a.occurred_at
            from activities a join contacts k using (contact_id)
            where k.is_executive and a.csm_id is not null and a.direction = 'proactive'
        )
        select
            count(*) filter (where t.occurred_at >= c.ended_at - interval 90 day
                               and t.occurred_at < c.ended_at),
            count(*) filter (where t.occurred_at between c.ended_at - interval 270 day
                                                   and c.ended_at - interval 180 day)
        from churn c join executive_touches t using (account_id)
        where c.started_at < c.ended_at - interval 300 day
        """
    ).fetchone()
    assert earlier >= 10
    assert recent < 0.6 * earlier, (recent, earlier)


# ------------------------------------------------------------------------------------ billing
@pytest.fixture(scope="module")
def billing_world() -> duckdb.DuckDBPyConnection:
    """Every version of the billing entities over history and horizon (SF 0.3), in DuckDB."""
    world = build_world(SEED, 0.3, END)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name in ("customers", "plans", "subscriptions", "subscription_item_versions"):
        _register_log(con, world, name)
    _register_log(con, world, "invoices")
    _register_log(con, world, "invoice_lines")
    return con


def _register_log(con: duckdb.DuckDBPyConnection, world, name: str) -> None:
    entity = ENTITIES_BY_NAME[name]
    log = world.logs[name]
    table = arrow_table(entity, log.take(np.arange(len(log))))
    con.register(f"{name}_arrow", table)
    con.execute(f"create table {name} as select * from {name}_arrow")


def test_customers_are_billed_in_several_currencies(billing_world) -> None:
    shares = dict(
        billing_world.execute(
            "select currency, count(distinct billing_customer_id) from customers group by 1"
        ).fetchall()
    )
    assert {"USD", "EUR", "GBP", "JPY", "CAD", "AUD"} <= set(shares), shares
    local = sum(n for c, n in shares.items() if c != "USD") / sum(shares.values())
    assert 0.15 <= local <= 0.5, shares
    # Items, plans and invoices are in the customer's currency; plans have a variant per currency.
    mismatched = billing_world.execute(
        """
        select
            (select count(*) from subscription_item_versions v
             join plans p using (plan_id)
             join subscriptions s using (subscription_id)
             join customers c using (billing_customer_id)
             where v.currency <> p.currency or v.currency <> c.currency),
            (select count(*) from invoices i join customers c using (billing_customer_id)
             where i.currency <> c.currency)
        """
    ).fetchone()
    assert mismatched == (0, 0)
    eur = billing_world.execute(
        "select count(*) from plans where plan_id = 'plan_platform_growth_month_eur' "
        "and currency = 'EUR' and list_price = round(list_price)"
    ).fetchone()[0]
    assert eur > 0


def test_yen_amounts_are_whole_and_invoice_arithmetic_is_exact_per_currency(
    billing_world,
) -> None:
    yen = billing_world.execute(
        """
        select count(*), count(*) filter (
            where subtotal <> round(subtotal) or discount_amount <> round(discount_amount)
               or tax_amount <> round(tax_amount) or total <> round(total))
        from invoices where currency = 'JPY'
        """
    ).fetchone()
    assert yen[0] > 0 and yen[1] == 0, yen
    fractional_yen = billing_world.execute(
        """
        select count(*) from invoice_lines l join invoices i using (invoice_id)
        where i.currency = 'JPY' and l.amount <> round(l.amount)
        union all
        select count(*) from subscription_item_versions
        where currency = 'JPY' and (unit_price <> round(unit_price)
            or coalesce(discount_amount, 0) <> round(coalesce(discount_amount, 0)))
        """
    ).fetchall()
    assert fractional_yen == [(0,), (0,)]
    wrong = billing_world.execute(
        """
        with latest as (
            select * from invoices
            qualify row_number() over (partition by invoice_id order by updated_at desc) = 1
        ),
        lines as (select invoice_id, sum(amount) as lines from invoice_lines group by 1)
        select currency, count(*), count(*) filter (
            where abs(i.total - (i.subtotal - i.discount_amount + i.tax_amount)) > 0.0001
               or abs(coalesce(l.lines, 0) - (i.subtotal - i.discount_amount)) > 0.0001
               or (i.status = 'paid' and abs(i.amount_paid - i.total) > 0.0001))
        from latest i left join lines l using (invoice_id)
        group by 1
        """
    ).fetchall()
    assert len(wrong) >= 6 and all(bad == 0 for _, _, bad in wrong), wrong


def test_every_coupon_kind_is_sold(billing_world) -> None:
    kinds = {
        row[0]
        for row in billing_world.execute(
            """
            select distinct discount_duration || ':'
                || case when discount_amount > 0 then 'amount' else 'percent' end
            from subscription_item_versions where discount_duration is not null
            """
        ).fetchall()
    }
    expected = {
        "once:percent",
        "repeating:percent",
        "forever:percent",
        "repeating:amount",
        "forever:amount",
    }
    assert expected <= kinds, kinds
    # A once coupon shows on the first invoice of its subscription and on no later one.
    once = billing_world.execute(
        """
        with once as (
            select distinct subscription_id from subscription_item_versions
            where discount_duration = 'once'
        ),
        numbered as (
            select i.*, row_number() over (
                partition by i.subscription_id order by i.issued_at, i.invoice_id) as n
            from (select distinct on (invoice_id) * from invoices) i
            join once using (subscription_id)
        )
        select count(*) filter (where n = 1 and discount_amount > 0),
               count(*) filter (where n > 1 and discount_amount > 0),
               count(*) filter (where n = 1)
        from numbered
        """
    ).fetchone()
    assert once[0] > 0 and once[1] == 0 and once[0] >= 0.9 * once[2], once


def test_weekly_and_six_month_plans_are_sold_and_billed_per_period(billing_world) -> None:
    intervals = {
        (unit, count)
        for unit, count in billing_world.execute(
            "select distinct billing_interval, interval_count from subscriptions"
        ).fetchall()
    }
    assert {("month", 1), ("quarter", 1), ("year", 1), ("month", 6), ("week", 1), ("week", 2)} <= (
        intervals
    )
    periods = billing_world.execute(
        """
        select s.interval_count, min(i.period_end_date - i.period_start_date + 1),
               max(i.period_end_date - i.period_start_date + 1)
        from (select distinct on (invoice_id) * from invoices) i
        join (select distinct subscription_id, interval_count from subscriptions
              where billing_interval = 'week') s using (subscription_id)
        join invoice_lines l using (invoice_id)
        where l.line_type = 'recurring'
        group by 1 order by 1
        """
    ).fetchall()
    assert periods == [(1, 7, 7), (2, 14, 14)], periods
    semiannual = billing_world.execute(
        """
        select count(*) filter (where datediff('month', current_term_started_at,
                                               current_term_ends_at) = 6), count(*)
        from subscriptions
        where billing_interval = 'month' and interval_count = 6 and status = 'active'
        """
    ).fetchone()
    assert semiannual[1] > 0 and semiannual[0] == semiannual[1], semiannual


def test_subscriptions_pass_through_every_status(billing_world) -> None:
    statuses = {
        row[0]
        for row in billing_world.execute("select distinct status from subscriptions").fetchall()
    }
    expected = {
        "trialing",
        "active",
        "past_due",
        "unpaid",
        "paused",
        "non_renewing",
        "canceled",
        "ended",
        "incomplete_expired",
    }
    assert expected <= statuses, expected - statuses


def test_paused_subscriptions_are_not_invoiced_while_paused(billing_world) -> None:
    pauses, inside = billing_world.execute(
        """
        with pauses as (
            select distinct subscription_id, paused_at, resumes_at from subscriptions
            where status = 'paused'
        )
        select count(distinct p.subscription_id), count(distinct i.invoice_id)
        from pauses p
        left join invoices i
            on i.subscription_id = p.subscription_id and i.issued_at >= p.paused_at
           and i.issued_at < p.resumes_at
        """
    ).fetchone()
    assert pauses >= 5 and inside == 0, (pauses, inside)
    # Billing resumes: a paused subscription that resumed is invoiced at the resume instant.
    resumed = billing_world.execute(
        """
        with pauses as (
            select distinct subscription_id, resumes_at from subscriptions
            where status = 'paused' and resumes_at < timestamp '2026-10-31'
        )
        select count(*), count(*) filter (where exists (
            select 1 from invoices i
            where i.subscription_id = p.subscription_id and i.issued_at = p.resumes_at))
        from pauses p
        """
    ).fetchone()
    assert resumed[0] > 0 and resumed[0] == resumed[1], resumed


def test_past_due_means_an_overdue_unpaid_invoice(billing_world) -> None:
    """A subscription is past_due only while one of its invoices is past its 14 days unpaid."""
    count, explained = billing_world.execute(
        """
        with settled as (
            select invoice_id, subscription_id, min(issued_at) as issued_at,
                max(case when status <> 'open' then updated_at end) as settled_at
            from invoices group by all
        )
        select count(*), count(*) filter (where exists (
            select 1 from settled i
            where i.subscription_id = s.subscription_id
              and i.issued_at + interval 14 day <= s.updated_at
              and coalesce(i.settled_at, timestamp '9999-12-31') > s.updated_at))
        from subscriptions s where s.status = 'past_due'
        """
    ).fetchone()
    assert count > 0 and explained == count, (count, explained)


def test_some_ends_are_exported_inclusive(billing_world) -> None:
    inclusive, consistent = billing_world.execute(
        """
        select count(*), count(*) filter (where strftime(started_at, '%H:%M:%S') = '00:00:00')
        from subscriptions
        where status = 'ended' and strftime(ended_at, '%H:%M:%S') = '23:59:59'
        """
    ).fetchone()
    assert inclusive >= 5 and inclusive == consistent, (inclusive, consistent)


def test_every_invoice_line_covers_a_service_day(billing_world) -> None:
    """A proration near the end of a weekly period must not leave an empty service period."""
    empty = billing_world.execute(
        "select count(*) from invoice_lines where period_end_date < period_start_date"
    ).fetchone()[0]
    assert empty == 0
