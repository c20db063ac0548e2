"""Segment-style track events -> product_usage daily_feature_usage.

A product sends one track call per user action; the contract holds one row per account, feature
and UTC day. The adapter aggregates the events of ``tracks`` (Segment's warehouse table, or the
union of its per-event tables; RudderStack, Snowplow and Amplitude exports name the same columns
differently, and those names are aliases), and reads ``groups`` and ``identifies`` only to find
the account of an event that does not carry it.

Mapping decisions:

- **Account**: the event's own ``context_group_id`` (``context.groupId``), else its property
  named by ``account_property`` (a ``properties`` JSON key or a flattened column), else the
  ``groupId`` inside a raw ``context`` object, else the user's latest ``groups`` call, else the
  user's latest ``identifies`` call with the trait ``account_trait``. "The user" is the event's
  ``user_id``, then its ``anonymous_id``. An event without an account is quarantined.
- **Feature**: the event name through the mapping seed (``event_features_file``: a CSV with
  columns event, feature_id). Names match loosely (``Dashboard Viewed`` = Segment's column slug
  ``dashboard_viewed`` = ``DashboardViewed``). Events of no mapped name are skipped and counted:
  page views and sign-ins are not feature usage.
- **Day**: the UTC date of ``timestamp`` (the event time Segment corrects for client clock
  skew), not ``received_at``. Future days are the loader's check.
- **Aggregates**: active_users = distinct ``user_id`` (else ``anonymous_id``), event_count =
  events; updated_at = the day's last second, as a native extract writes it. A contract row is
  emitted with every event that made it, so a refused row quarantines exactly its events.
- **Duplicates**: Segment delivers at least once; the first copy of a message id (in delivery
  order: file name, then line) counts and later copies are skipped.
- A ``groups`` or ``identifies`` row is mapped when it gave an event its account; otherwise it is
  skipped as superseded (the user called again later) or as not needed.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cswh.settings import REPO_ROOT
from cswh.vendors.base import (
    FIVETRAN_DELETED,
    Adapter,
    MappedBatch,
    NativeWorld,
    Option,
    VendorRow,
    VendorTable,
    normalise_header,
    parse_bool,
    parse_instant,
    write_vendor_csv,
    write_vendor_jsonl,
)

DEFAULT_EVENT_FEATURES_FILE = "seeds/product_event_features.csv"
DEFAULT_ACCOUNT_PROPERTY = "account_id"
DEFAULT_ACCOUNT_TRAIT = "account_id"

ENTITY = "daily_feature_usage"

NOT_MAPPED = "event not mapped to a feature"
DUPLICATE = "duplicate delivery of the same message id (counted once)"
DELETED = "deleted in the source (_fivetran_deleted)"
SUPERSEDED = "superseded by a later call of the same user"
NOT_NEEDED = "not needed (no event of the user lacked its account)"
NOT_A_TRACK_CALL = "not a track call (page, screen, identify, group or alias)"

# Raw Segment JSON mixes all calls in one file; their ``type`` tells them apart. A flattened
# property named ``type`` holds other values, so only these are not track calls.
OTHER_CALLS = frozenset({"page", "screen", "identify", "group", "alias"})

# Separates anonymous ids from user ids in one set of distinct users (CSV rows hold no NUL).
ANONYMOUS = "\x00"

# An event time already in UTC (the usual case), whose date is its UTC day.
_UTC_STAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|\+00(?::?00)?)"
)
_NAME_NOISE = re.compile(r"[^0-9a-z]+")

_IDENTITY_COLUMNS = {
    "user_id": ("userid",),
    "anonymous_id": ("anonymousid", "device_id", "domain_userid"),
}


def tracks_table(account_property: str) -> VendorTable:
    return VendorTable(
        "tracks",
        {
            "message_id": ("id", "messageid", "event_id", "insert_id", "uuid"),
            "event": ("event_text", "event_name", "event_type"),
            "timestamp": ("event_time", "derived_tstamp"),
            **_IDENTITY_COLUMNS,
            "context_group_id": ("context_groupid", "group_id", "groupid"),
            "account_property": (account_property, f"properties_{account_property}"),
            "properties": ("event_properties",),
            "context": (),
            "type": (),
            FIVETRAN_DELETED: (),
        },
        required=frozenset({"message_id", "event", "timestamp"}),
        description="one row per track call (Segment's tracks table or its per-event tables)",
    )


def groups_table() -> VendorTable:
    return VendorTable(
        "groups",
        {
            "message_id": ("id", "messageid"),
            **_IDENTITY_COLUMNS,
            "group_id": ("groupid", "context_group_id"),
            "timestamp": (),
            FIVETRAN_DELETED: (),
        },
        required=frozenset({"group_id", "timestamp"}),
        description="one row per group call: the user belongs to the group (the account)",
    )


def identifies_table(account_trait: str) -> VendorTable:
    return VendorTable(
        "identifies",
        {
            "message_id": ("id", "messageid"),
            **_IDENTITY_COLUMNS,
            "account_trait": (
                account_trait,
                f"traits_{account_trait}",
                f"context_traits_{account_trait}",
            ),
            "traits": (),
            "timestamp": (),
            FIVETRAN_DELETED: (),
        },
        required=frozenset({"timestamp"}),
        description="one row per identify call; a trait may name the user's account",
    )


def event_key(name: str) -> str:
    """``Dashboard Viewed``, Segment's slug ``dashboard_viewed`` and ``DashboardViewed`` match."""
    return _NAME_NOISE.sub("", name.lower())


def read_event_features(path: Path) -> dict[str, str]:
    """The mapping seed: event name (as :func:`event_key`) -> feature_id. Raises ValueError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"event_features_file {path} cannot be read ({error}); point it at a CSV with "
            "columns event,feature_id"
        ) from None
    reader = csv.reader(text.splitlines())
    header = [normalise_header(name) for name in next(reader, [])]
    if "event" not in header or "feature_id" not in header:
        raise ValueError(
            f"event_features_file {path} needs the columns event,feature_id (it has "
            f"{','.join(header) or 'no header'})"
        )
    event_at, feature_at = header.index("event"), header.index("feature_id")
    mapping: dict[str, str] = {}
    for line, record in enumerate(reader, start=2):
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            raise ValueError(
                f"event_features_file {path} line {line}: expected {len(header)} fields"
            )
        event, feature = record[event_at].strip(), record[feature_at].strip()
        if not event or not feature:
            raise ValueError(f"event_features_file {path} line {line}: event and feature_id needed")
        key = event_key(event)
        if mapping.get(key, feature) != feature:
            raise ValueError(
                f"event_features_file {path} line {line}: '{event}' is mapped to both "
                f"{mapping[key]} and {feature}; map each event to one feature"
            )
        mapping[key] = feature
    return mapping


def resolve_repo_path(text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def utc_day(stamp: str) -> str | None:
    """The UTC date of an event time (ISO 8601, naive = UTC, or epoch seconds), or None."""
    match = _UTC_STAMP.fullmatch(stamp)
    if match is not None:
        # The common case: already UTC, so the date is the text's own (checked once per day).
        day = match.group(1)
        valid = _VALID_DAYS.get(day)
        return valid if valid is not None else _valid_day(day)
    try:
        instant = datetime.fromisoformat(parse_instant(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).date().isoformat()


_VALID_DAYS: dict[str, str | None] = {}


def _valid_day(text: str) -> str | None:
    if text not in _VALID_DAYS:
        try:
            _VALID_DAYS[text] = date.fromisoformat(text).isoformat()
        except ValueError:
            _VALID_DAYS[text] = None
    return _VALID_DAYS[text]


def _sortable_instant(stamp: str | None) -> datetime | None:
    if stamp is None:
        return None
    try:
        instant = datetime.fromisoformat(parse_instant(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _json_text(value: Any) -> str | None:
    """An id inside a JSON object (text or a whole number), else None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _deleted(row: VendorRow) -> bool:
    flag = row.values.get(FIVETRAN_DELETED)
    if flag is None:
        return False
    try:
        return bool(parse_bool(flag))
    except ValueError:
        return False


class SegmentAdapter(Adapter):
    vendor = "segment"
    title = "Segment"
    source_system = "product_usage"
    tables = (
        tracks_table(DEFAULT_ACCOUNT_PROPERTY),
        groups_table(),
        identifies_table(DEFAULT_ACCOUNT_TRAIT),
    )
    produces = (ENTITY,)
    options = (
        Option(
            "event_features_file",
            DEFAULT_EVENT_FEATURES_FILE,
            "CSV with columns event,feature_id mapping event names to features (relative paths "
            "are from the repository root); events of other names are skipped",
        ),
        Option(
            "account_property",
            DEFAULT_ACCOUNT_PROPERTY,
            "event property holding the account id when the event has no context.groupId (a "
            "key of properties, or the flattened column of that name)",
        ),
        Option(
            "use_group_calls",
            True,
            "an event without an account takes the account of its user's latest groups call",
        ),
        Option(
            "account_trait",
            DEFAULT_ACCOUNT_TRAIT,
            "identify trait holding the account id, read when the user has no groups call "
            "(blank: identifies are not read)",
        ),
    )

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        for name in ("event_features_file", "account_property"):
            if not str(self.settings[name] or "").strip():
                raise ValueError(f"{self.vendor}: {name} must not be blank")
        self.account_property = str(self.settings["account_property"]).strip()
        self.account_trait = str(self.settings["account_trait"] or "").strip()
        use_group_calls = self.settings["use_group_calls"]
        if isinstance(use_group_calls, str):
            try:
                use_group_calls = parse_bool(use_group_calls)
            except ValueError as error:
                raise ValueError(f"{self.vendor}: use_group_calls: {error}") from None
        self.use_group_calls = bool(use_group_calls)
        self.event_features_path = resolve_repo_path(str(self.settings["event_features_file"]))
        self.event_features = read_event_features(self.event_features_path)
        # The property and trait columns are named by the settings, so each adapter has its own.
        self.tables = (
            tracks_table(self.account_property),
            groups_table(),
            identifies_table(self.account_trait or DEFAULT_ACCOUNT_TRAIT),
        )

    def identity(self) -> dict[str, Any]:
        # An edited mapping file re-maps the events already delivered.
        return {"event_features": sorted(self.event_features.items())}

    # ------------------------------------------------------------------------------ mapping

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        group_of = self._latest_accounts(
            rows.get("groups", []), "group_id", batch, self.use_group_calls
        )
        trait_of = self._latest_accounts(
            rows.get("identifies", []), "account_trait", batch, bool(self.account_trait)
        )
        helpers_used: dict[tuple[str, int], VendorRow] = {}
        features = self.event_features
        feature_of_name: dict[str, str | None] = {}
        seen_messages: set[str] = set()
        aggregates: dict[tuple[str, str, str], tuple[set[str], list[VendorRow]]] = {}
        prop = self.account_property
        utc_stamp, valid_days = _UTC_STAMP.fullmatch, _VALID_DAYS
        for row in rows.get("tracks", []):
            values = row.values
            if FIVETRAN_DELETED in values and _deleted(row):
                batch.skip(row, DELETED)
                continue
            call = values.get("type")
            if call is not None and call.lower() in OTHER_CALLS:
                batch.skip(row, NOT_A_TRACK_CALL)
                continue
            name = values.get("event")
            if name in feature_of_name:
                feature = feature_of_name[name]
            else:
                feature = features.get(event_key(name)) if name else None
                feature_of_name[name] = feature
            if feature is None:
                if name is None:
                    batch.quarantine(row, "event: missing; send the track call's event name")
                else:
                    batch.skip(row, NOT_MAPPED)
                continue
            message_id = values.get("message_id")
            if message_id is None:
                batch.quarantine(
                    row,
                    "message id: missing; deliver Segment's id (messageId) column so a "
                    "redelivered event is counted once",
                )
                continue
            if message_id in seen_messages:
                batch.skip(row, DUPLICATE)
                continue
            stamp = values.get("timestamp")
            # utc_day's common case inline: this loop runs once per event.
            match = utc_stamp(stamp) if stamp is not None else None
            day = valid_days.get(match.group(1)) if match is not None else None
            if day is None and stamp is not None:
                day = utc_day(stamp)
            if day is None:
                batch.quarantine(
                    row,
                    f"timestamp: '{stamp}' is not an event time; send the track call's "
                    "timestamp in ISO 8601"
                    if stamp
                    else "timestamp: missing; send the track call's timestamp",
                )
                continue
            user = values.get("user_id")
            anonymous = values.get("anonymous_id")
            if user is None and anonymous is None:
                batch.quarantine(
                    row, "user: neither user_id nor anonymous_id; send one with the track call"
                )
                continue
            account = values.get("context_group_id") or values.get("account_property")
            if account is None:
                try:
                    account = self._account_in_json(values, prop)
                except ValueError as error:
                    batch.quarantine(row, str(error))
                    continue
            if account is None:
                helper = _lookup(group_of, user, anonymous) or _lookup(trait_of, user, anonymous)
                if helper is not None:
                    account = helper[0]
                    helpers_used[helper[1].key] = helper[1]
            if account is None:
                batch.quarantine(row, self._no_account_reason())
                continue
            seen_messages.add(message_id)
            key = (day, account, feature)
            entry = aggregates.get(key)
            if entry is None:
                entry = aggregates[key] = (set(), [])
            entry[0].add(user if user is not None else ANONYMOUS + anonymous)
            entry[1].append(row)
        for (day, account, feature), (users, events) in aggregates.items():
            batch.emit(
                ENTITY,
                {
                    "usage_date": day,
                    "account_id": account,
                    "feature_id": feature,
                    "active_users": len(users),
                    "event_count": len(events),
                    "updated_at": f"{day}T23:59:59Z",
                },
                *events,
            )
        for helper_row in helpers_used.values():
            batch.used(helper_row)
        for accounts in (group_of, trait_of):
            for _account, helper_row in accounts.values():
                batch.skip(helper_row, NOT_NEEDED)

    def _account_in_json(self, values: dict[str, str | None], prop: str) -> str | None:
        """The account in the event's properties JSON, else in a raw context's groupId."""
        for column, key in (("properties", prop), ("context", "groupId")):
            text = values.get(column)
            if text is None:
                continue
            try:
                found = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(
                    f"{column}: not a JSON object ('{text[:60]}'); deliver {column} as JSON"
                ) from None
            if isinstance(found, dict):
                account = _json_text(found.get(key))
                if account is None and column == "context":
                    account = _json_text(found.get("group_id"))
                if account is not None:
                    return account
        return None

    def _no_account_reason(self) -> str:
        lookups = []
        if self.use_group_calls:
            lookups.append("its user has no groups call")
        if self.account_trait:
            lookups.append(f"no identify with the trait {self.account_trait}")
        looked = f", and {' and '.join(lookups)}" if lookups else ""
        return (
            f"account: the event has no context.groupId (context_group_id) or property "
            f"{self.account_property}{looked}; send the account id as context.groupId with "
            f"track calls, or call group(accountId) for the user"
        )

    def _latest_accounts(
        self, rows: list[VendorRow], column: str, batch: MappedBatch, enabled: bool
    ) -> dict[str, tuple[str, VendorRow]]:
        """User (user id, or NUL + anonymous id) -> (account, row) of the latest call naming
        an account; every other row is settled here (skipped or quarantined)."""
        if not enabled:
            for row in rows:
                batch.skip(row, "not read (the settings do not use this table)")
            return {}
        latest: dict[str, tuple[datetime, int, str, VendorRow]] = {}
        for order, row in enumerate(rows):
            if _deleted(row):
                batch.skip(row, DELETED)
                continue
            account = row[column]
            if account is None and column == "account_trait" and row["traits"] is not None:
                try:
                    traits = json.loads(row["traits"])
                except json.JSONDecodeError:
                    batch.quarantine(row, "traits: not a JSON object; deliver traits as JSON")
                    continue
                if isinstance(traits, dict):
                    account = _json_text(traits.get(self.account_trait))
            if account is None:
                if column == "group_id":
                    batch.quarantine(row, "group_id: missing; a group call names its group")
                else:
                    batch.skip(row, f"no {self.account_trait} trait")
                continue
            instant = _sortable_instant(row["timestamp"])
            if instant is None:
                batch.quarantine(
                    row,
                    f"timestamp: '{row['timestamp']}' is not a time; send the call's timestamp "
                    "in ISO 8601",
                )
                continue
            users = [u for u in (row["user_id"], _anonymous_key(row["anonymous_id"])) if u]
            if not users:
                batch.quarantine(row, "user: neither user_id nor anonymous_id; send one")
                continue
            for user in users:
                current = latest.get(user)
                if current is None or (instant, order) >= current[:2]:
                    latest[user] = (instant, order, account, row)
        winners = {entry[3].key for entry in latest.values()}
        for row in rows:
            if batch.outcome(row) is None and row.key not in winners:
                batch.skip(row, SUPERSEDED)
        return {user: (entry[2], entry[3]) for user, entry in latest.items()}

    # ------------------------------------------------------------------------------ dialect

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> None:
        """The native usage as track events: for each row, ``event_count`` events by
        ``active_users`` users of the account, spread over the UTC day."""
        names_of = self._event_names_by_feature()
        usage = native.rows(ENTITY)
        missing = sorted({r["feature_id"] for r in usage} - set(names_of))
        if missing:
            raise ValueError(
                f"{self.event_features_path} maps no event to {', '.join(missing)}; add a row "
                "per feature"
            )
        writer = _TrackWriter(out_dir, self.account_property)
        for index, row in enumerate(usage):
            writer.add_usage(index, row, names_of[row["feature_id"]])
        writer.finish()

    def _event_names_by_feature(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        with self.event_features_path.open(newline="", encoding="utf-8-sig") as handle:
            for record in csv.DictReader(handle):
                event = (record.get("event") or "").strip()
                feature = (record.get("feature_id") or "").strip()
                if event and feature:
                    names.setdefault(feature, []).append(event)
        return names


def _anonymous_key(anonymous: str | None) -> str | None:
    return ANONYMOUS + anonymous if anonymous is not None else None


def _lookup(
    accounts: dict[str, tuple[str, VendorRow]], user: str | None, anonymous: str | None
) -> tuple[str, VendorRow] | None:
    if not accounts:
        return None
    found = accounts.get(user) if user is not None else None
    if found is None and anonymous is not None:
        found = accounts.get(ANONYMOUS + anonymous)
    return found


# ------------------------------------------------------------------------------ dialect writer

# Which of an account's users (by number) carries the account how, in the dialect world.
GROUP_ID_ON_EVENT, PROPERTY_ON_EVENT, FROM_GROUP_CALL, FROM_IDENTIFY = range(4)
UNMAPPED_EVENT = "Signed In"
JSONL_MONTHS = 6  # the first months are raw JSON lines (Segment's S3 shape), the rest Parquet
TRACK_COLUMNS = (
    "id",
    "anonymous_id",
    "user_id",
    "event",
    "event_text",
    "timestamp",
    "received_at",
    "context_group_id",
    "context_library_name",
)


def _user_mode(number: int) -> int:
    if number % 5 == 3:
        return PROPERTY_ON_EVENT
    if number % 5 == 4:
        return FROM_IDENTIFY if number % 10 == 9 else FROM_GROUP_CALL
    return GROUP_ID_ON_EVENT


@functools.cache
def _slug(name: str) -> str:
    """Segment's warehouse column ``event``: the name in snake case (``event_text`` keeps it)."""
    return _NAME_NOISE.sub("_", name.lower()).strip("_")


LOCAL_ZONE = timezone(timedelta(hours=2))
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


class _TrackWriter:
    """Writes the dialect's tracks (one file per month), groups and identifies."""

    def __init__(self, out_dir: Path, account_property: str) -> None:
        self.out_dir = out_dir
        self.account_property = account_property
        self.month: str | None = None
        self.months_written = 0
        self.columns: dict[str, list[str | None]] = {}
        self.json_lines: list[dict[str, Any]] = []
        self.first_day: dict[tuple[str, int], str] = {}  # (account, user number) -> first day
        self.redelivered: list[dict[str, Any]] = []
        self._reset()

    def _reset(self) -> None:
        self.columns = {name: [] for name in (*TRACK_COLUMNS, self.account_property)}
        self.json_lines = []

    def add_usage(self, index: int, row: dict[str, str | None], names: list[str]) -> None:
        day, account = row["usage_date"], row["account_id"]
        month = day[:7]
        if month != self.month:
            self._flush()
            self.month = month
        users, events = int(row["active_users"]), int(row["event_count"])
        for number in range(users):
            self.first_day.setdefault((account, number), day)
        for event_number in range(events):
            # Spread over the day, deterministic (never past 23:59:59 UTC).
            second = (event_number * 7919 + index * 104729) % 86400
            self._add_event(
                f"ajs-{index:07d}-{event_number:05d}",
                names[(index + event_number) % len(names)],
                day,
                second,
                account,
                event_number % users,
                local_offset=event_number % 9 == 4,
            )
            if index % 97 == 0 and event_number == 0:
                self.redelivered.append(self.last_event_json())
        if index % 40 == 0:
            self._add_event(f"ajs-{index:07d}-signin", UNMAPPED_EVENT, day, 0, account, 0, False)

    def _add_event(
        self,
        message_id: str,
        name: str,
        day: str,
        second: int,
        account: str,
        number: int,
        local_offset: bool,
    ) -> None:
        user_id, anonymous_id = _user_ids(account, number)
        mode = _user_mode(number)
        if local_offset:
            # Some clients send local time with an offset; the day is still the UTC day.
            when = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(seconds=second)
            stamp = when.astimezone(LOCAL_ZONE).isoformat()
        else:
            stamp = f"{day}T{_CLOCK[second]}.000Z"
        received = f"{day}T{_CLOCK[min(second + 3, 86399)]}.000Z"
        if self.months_written < JSONL_MONTHS:
            context: dict[str, Any] = {"library": {"name": "analytics.js"}}
            properties: dict[str, Any] = {}
            if mode == GROUP_ID_ON_EVENT:
                context["groupId"] = account
            elif mode == PROPERTY_ON_EVENT:
                properties[self.account_property] = account
            record: dict[str, Any] = {
                "type": "track",
                "messageId": message_id,
                "event": name,
                "timestamp": stamp,
                "receivedAt": received,
                "anonymousId": anonymous_id,
                "context": context,
                "properties": properties,
            }
            if user_id is not None:
                record["userId"] = user_id
            self.json_lines.append(record)
            return
        columns = self.columns
        columns["id"].append(message_id)
        columns["anonymous_id"].append(anonymous_id)
        columns["user_id"].append(user_id)
        columns["event"].append(_slug(name))
        columns["event_text"].append(name)
        columns["timestamp"].append(stamp)
        columns["received_at"].append(received)
        columns["context_group_id"].append(account if mode == GROUP_ID_ON_EVENT else None)
        columns["context_library_name"].append("analytics.js")
        columns[self.account_property].append(account if mode == PROPERTY_ON_EVENT else None)

    def last_event_json(self) -> dict[str, Any]:
        """The event just added, as a raw JSON record (for the redelivery file)."""
        if self.json_lines:
            return dict(self.json_lines[-1])
        columns = self.columns
        record = {
            "messageId": columns["id"][-1],
            "event": columns["event_text"][-1],
            "timestamp": columns["timestamp"][-1],
            "anonymousId": columns["anonymous_id"][-1],
            "userId": columns["user_id"][-1],
            "context_group_id": columns["context_group_id"][-1],
            self.account_property: columns[self.account_property][-1],
        }
        return {key: value for key, value in record.items() if value is not None}

    def _flush(self) -> None:
        if self.month is None:
            return
        folder = self.out_dir / "tracks"
        if self.json_lines:
            write_vendor_jsonl(folder / f"tracks-{self.month}.jsonl", self.json_lines)
        if self.columns["id"]:
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.table({name: pa.array(v, pa.string()) for name, v in self.columns.items()})
            pq.write_table(table, folder / f"tracks-{self.month}.parquet")
        self.months_written += 1
        self._reset()

    def finish(self) -> None:
        self._flush()
        folder = self.out_dir / "tracks"
        if self.redelivered:
            # Segment delivers at least once: the same messages again, in a later file.
            write_vendor_jsonl(folder / "tracks-redelivered.jsonl", self.redelivered)
        self._write_calls()

    def _write_calls(self) -> None:
        groups: list[dict[str, Any]] = []
        identifies: list[dict[str, Any]] = []
        for (account, number), day in sorted(self.first_day.items()):
            user_id, anonymous_id = _user_ids(account, number)
            mode = _user_mode(number)
            called = f"{day}T00:00:00Z"
            call = {"user_id": user_id, "anonymous_id": anonymous_id, "timestamp": called}
            if mode == FROM_GROUP_CALL or number % 5 == 0:
                if number % 20 == 4:
                    # A trial workspace the user left: an older call, superseded.
                    earlier = (date.fromisoformat(day) - timedelta(days=30)).isoformat()
                    groups.append(
                        {
                            **call,
                            "id": f"grp-{account}-{number}-trial",
                            "group_id": f"trial-{account}",
                            "timestamp": f"{earlier}T00:00:00Z",
                        }
                    )
                groups.append({**call, "id": f"grp-{account}-{number}", "group_id": account})
            if mode == FROM_IDENTIFY or number % 5 == 1:
                identifies.append(
                    {
                        **call,
                        "id": f"idf-{account}-{number}",
                        "email": f"user{number}@{account}.example",
                        DEFAULT_ACCOUNT_TRAIT: account,
                    }
                )
        write_vendor_csv(
            self.out_dir / "groups" / "groups.csv",
            ["id", "anonymous_id", "user_id", "group_id", "timestamp"],
            groups,
        )
        write_vendor_csv(
            self.out_dir / "identifies" / "identifies.csv",
            ["id", "anonymous_id", "user_id", "email", DEFAULT_ACCOUNT_TRAIT, "timestamp"],
            identifies,
        )


@functools.cache
def _user_ids(account: str, number: int) -> tuple[str | None, str]:
    """Every seventh user of an account never signs in: only an anonymous id."""
    anonymous_id = f"anon-{account}-{number:03d}"
    user_id = None if number % 7 == 6 else f"usr-{account}-{number:03d}"
    return user_id, anonymous_id
