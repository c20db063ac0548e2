"""Zendesk Support -> support_desk tickets and escalations.

Reads Fivetran's Zendesk schema in ``landing/zendesk/<table>/`` (Airbyte's and dlt's stream names,
``tickets``, ``users``, ``ticket_comments``..., are read as the same tables), and the dashboard /
Explore CSV export of tickets (its headers are aliases of the ticket table's columns). The full
mapping table is in docs/sources/zendesk.md; the decisions:

- **Account and contact.** A ticket's organization (``organization_id``, else the export's
  organization name, else the requester's organization) carries the CRM account id in
  ``external_id`` (setting ``account_id_field``: another organization column or
  ``organization_fields`` key). A ticket whose organization has none is quarantined saying what
  to set. The requester's ``external_id`` (``contact_id_field``) is the CRM contact; unknown
  requesters leave the optional contact empty.
- **Times, by preference.** ``solved_at``: the latest ``ticket_field_history`` change of status to
  solved, else ``ticket_metrics.solved_at``, else the export's "Solved at", and only for tickets
  solved or closed now (a reopened ticket is not solved). ``first_response_at``: the first public
  comment by an agent (role agent/admin; an author other than the requester when users are not
  delivered) after the ticket was created, else created + ``ticket_metrics`` reply time.
- **Satisfaction.** good/bad (and ``*_with_comment``) -> ``csat_good_bad``; a numeric score ->
  ``csat_rating``; offered/unoffered is no rating. The latest rating of a ticket wins.
- **Deletion is data, not a skip.** Status ``deleted`` or ``_fivetran_deleted`` -> ``is_deleted``;
  ``deleted_at`` is the status change to deleted in the field history, else ``updated_at`` (status
  deleted), else ``_fivetran_synced`` (when Fivetran saw the deletion); ``status`` is the one before
  the deletion (field history), else ``closed``.
- **Escalations** (Support hands a ticket to Customer Success): a ticket tagged with a key of
  ``escalation_tags`` or with the ``escalation_type_field`` set. Reason, severity, outcome and the
  escalation id are custom fields (current value, else the latest field-history value); the
  ``escalation_status_field`` history gives the times: escalated = its first change, accepted =
  the first change to ``escalation_accepted_value``, resolved = the last change to
  ``escalation_resolved_value`` while it is still resolved. Without field history for them, the
  escalation (not the ticket) is quarantined.
- **Codes.** Priority is Zendesk's own four; ``hold`` status reads as pending; channel (``via``)
  and category (a custom field, else a tag ``category_<value>``) go through maps with defaults;
  an unmapped value is quarantined naming the allowed values and the setting to extend.

Custom fields are named in the settings by title (``"CS escalation reason"``), Fivetran column
(``custom_cs_escalation_reason``) or numeric Zendesk id; ``ticket_custom_field`` (field
definitions) ties a title to the id Zendesk records in the field history and in the
``custom_fields`` JSON of Airbyte/dlt tickets.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cswh.vendors.base import (
    Adapter,
    MappedBatch,
    NativeWorld,
    Option,
    VendorRow,
    VendorTable,
    contract_entity,
    normalise_header,
    parse_bool,
    parse_instant,
    write_vendor_csv,
    write_vendor_jsonl,
    write_vendor_parquet,
)

FIVETRAN_COLUMNS: dict[str, tuple[str, ...]] = {"_fivetran_deleted": (), "_fivetran_synced": ()}

TICKET_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("ticket_id",),
    "created_at": ("created", "ticket_created_timestamp"),
    "updated_at": ("updated", "ticket_updated_timestamp"),
    "status": ("ticket_status",),
    "priority": ("ticket_priority",),
    "via_channel": ("via", "channel", "ticket_channel", "created_channel"),
    "organization_id": (),
    "organization_name": ("organization", "ticket_organization_name"),
    "requester_id": (),
    "requester_name": ("requester",),
    "requester_email": (),
    "solved_at": ("solved", "ticket_solved_timestamp"),
    "satisfaction_score": ("satisfaction_rating", "satisfaction", "ticket_satisfaction_rating"),
    "tags": ("ticket_tags",),
    "custom_fields": (),
    **FIVETRAN_COLUMNS,
}
ORGANIZATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("organization_id",),
    "name": ("organization_name",),
    "external_id": (),
    "organization_fields": (),
    "created_at": (),
    "updated_at": (),
    **FIVETRAN_COLUMNS,
}
USER_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("user_id",),
    "name": (),
    "email": (),
    "external_id": (),
    "role": (),
    "organization_id": (),
    "user_fields": (),
    "created_at": (),
    "updated_at": (),
    **FIVETRAN_COLUMNS,
}
FIELD_HISTORY = VendorTable(
    "ticket_field_history",
    {
        "ticket_id": (),
        "field_name": ("field",),
        "value": (),
        "updated": ("updated_at",),
        "user_id": (),
        "_fivetran_synced": (),
    },
    required=frozenset({"ticket_id", "field_name", "updated"}),
    description="every change of a ticket field (field_name is a custom field's numeric id)",
)
TICKET_COMMENT = VendorTable(
    "ticket_comment",
    {
        "id": ("comment_id",),
        "ticket_id": (),
        "user_id": ("author_id",),
        "created": ("created_at",),
        "public": ("is_public",),
        **FIVETRAN_COLUMNS,
    },
    required=frozenset({"id", "ticket_id", "user_id", "created", "public"}),
    description="the conversation; the first public agent comment is the first response",
)
TICKET_TAG = VendorTable(
    "ticket_tag",
    {"ticket_id": (), "tag": ("tags",), "_fivetran_synced": ()},
    required=frozenset({"ticket_id", "tag"}),
    description="the tags a ticket has now",
)
SATISFACTION_RATING = VendorTable(
    "satisfaction_rating",
    {
        "id": (),
        "ticket_id": (),
        "score": (),
        "created_at": (),
        "updated_at": (),
        **FIVETRAN_COLUMNS,
    },
    required=frozenset({"ticket_id", "score"}),
    description="CSAT: good / bad / offered / unoffered, or a numeric score",
)
TICKET_CUSTOM_FIELD = VendorTable(
    "ticket_custom_field",
    {"id": (), "title": (), "raw_title": (), "type": (), "active": (), **FIVETRAN_COLUMNS},
    required=frozenset({"id", "title"}),
    description="custom field definitions: ties a field's title to its numeric id",
)
TICKET_METRICS = VendorTable(
    "ticket_metrics",
    {
        "id": (),
        "ticket_id": (),
        "solved_at": (),
        "reply_time_in_seconds": ("reply_time_in_seconds_calendar",),
        "reply_time_in_minutes": ("reply_time_in_minutes_calendar",),
        "created_at": (),
        "updated_at": (),
        "_fivetran_synced": (),
    },
    required=frozenset({"ticket_id"}),
    description="Zendesk's ticket metrics (Airbyte, dlt): solve time and first reply time",
)

# Airbyte's and dlt's stream names for the same tables.
TABLE_ALIASES = {
    "tickets": "ticket",
    "organizations": "organization",
    "users": "user",
    "ticket_comments": "ticket_comment",
    "satisfaction_ratings": "satisfaction_rating",
    "ticket_fields": "ticket_custom_field",
}

STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "pending",  # on-hold waits on a third party: the contract's waiting status
    "on_hold": "pending",
    "solved": "solved",
    "closed": "closed",
}
DELETED_STATUS = "deleted"
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "web", "chat", "phone")
# Zendesk's via channels (API names and the export's labels, normalised) -> contract channel.
DEFAULT_CHANNELS = {
    "email": "email",
    "mail": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "help_center": "web",
    "mobile": "web",
    "mobile_sdk": "web",
    "chat": "chat",
    "chat_transcript": "chat",
    "native_messaging": "chat",
    "messaging": "chat",
    "sms": "chat",
    "whatsapp": "chat",
    "voice": "phone",
    "phone": "phone",
    "phone_call_inbound": "phone",
    "phone_call_incoming": "phone",
    "phone_call_outbound": "phone",
    "phone_call_outgoing": "phone",
}
NOT_A_RATING = frozenset({"offered", "unoffered", "not_offered"})
ESCALATION_TYPES = ("trouble", "opportunity")

SUPERSEDED = "superseded by a later version of the same record"
DELETED_IN_SOURCE = "deleted in the source (_fivetran_deleted)"
TICKET_QUARANTINED = "its ticket was quarantined"
TICKET_NOT_DELIVERED = "its ticket is not in the delivered ticket table"
EARLIEST = datetime.min.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------ values


def code(value: str | None) -> str | None:
    """A vendor code or label as a comparable key: ``'Web Form'`` -> ``'web_form'``."""
    if value is None:
        return None
    text = re.sub(r"[^0-9a-z]+", "_", value.strip().lower()).strip("_")
    return text or None


def moment(value: str | None) -> datetime | None:
    """An instant for comparing (None when empty or unreadable)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(parse_instant(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_value(value: str | None) -> Any:
    """A JSON column's value (None when empty); raises ValueError when it is not JSON."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise ValueError(f"'{value[:80]}' is not JSON") from None


def object_key(value: str | None, key: str) -> str | None:
    """``value`` itself, or its ``key`` when it is a JSON object (Airbyte's nested ``via``)."""
    if value is None or not value.startswith("{"):
        return value
    found = json_value(value)
    inner = found.get(key) if isinstance(found, dict) else None
    return None if inner is None else str(inner)


def seconds(value: str | None) -> Decimal | None:
    """A duration number, or the ``calendar`` member of Zendesk's {calendar, business} object."""
    if value is None:
        return None
    if value.startswith("{"):
        found = json_value(value)
        value = None if not isinstance(found, dict) else found.get("calendar")
        if value is None:
            return None
        value = str(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None


def satisfaction(value: str | None) -> tuple[str | None, str | None]:
    """(csat_rating, csat_good_bad) from a Zendesk score; (None, None) for no rating."""
    if value is not None and value.startswith("{"):
        found = json_value(value)
        value = None if not isinstance(found, dict) else found.get("score")
        value = None if value is None else str(value)
    key = code(value)
    if key is None or key in NOT_A_RATING:
        return None, None
    if key.startswith("good"):
        return None, "good"
    if key.startswith("bad"):
        return None, "bad"
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is not None and number == number.to_integral_value():
        return str(int(number)), None
    raise ValueError(f"'{value}' is neither good, bad, offered, unoffered nor a whole number")


def tag_list(value: str | None) -> list[str]:
    """Tags inline on a ticket: a JSON array (Airbyte, dlt) or a space/comma separated list."""
    if value is None:
        return []
    if value.startswith("["):
        found = json_value(value)
        return [str(tag) for tag in found] if isinstance(found, list) else []
    return [tag for tag in re.split(r"[\s,]+", value) if tag]


def version_order(row: VendorRow) -> tuple:
    """Latest version last: vendor update time, then Fivetran's sync time, then file and line."""
    return (
        moment(row["updated_at"]) or EARLIEST,
        moment(row["_fivetran_synced"]) or EARLIEST,
        row.file,
        row.line,
    )


def allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


# ------------------------------------------------------------------------------------ fields


@dataclass(frozen=True)
class CustomField:
    """A ticket custom field named in the settings (title, Fivetran column or numeric id)."""

    setting: str
    label: str

    @property
    def numeric(self) -> bool:
        return self.label.strip().isdigit()

    @property
    def base(self) -> str:
        name = normalise_header(self.label)
        return name[len("custom_") :] if name.startswith("custom_") else name

    @property
    def column(self) -> str | None:
        """The ticket column Fivetran lands it in (``custom_<title>``); none for a bare id."""
        return None if self.numeric else "custom_" + self.base

    @property
    def names(self) -> frozenset[str]:
        """Names a field-history row may give it (besides its numeric id)."""
        return frozenset() if self.numeric else frozenset({self.base, "custom_" + self.base})


FIELD_SETTINGS = (
    "category_field",
    "product_field",
    "escalation_type_field",
    "escalation_id_field",
    "escalation_reason_field",
    "escalation_severity_field",
    "escalation_status_field",
    "escalation_outcome_field",
)
ESCALATION_FIELDS = FIELD_SETTINGS[2:]

OPTIONS = (
    Option(
        "account_id_field",
        "external_id",
        "organization column (or organization_fields key) holding the CRM account id",
    ),
    Option(
        "contact_id_field",
        "external_id",
        "user column (or user_fields key) holding the CRM contact id of a requester",
    ),
    Option(
        "category_field",
        "Category",
        "ticket custom field (title, custom_<title> column or numeric id) holding the category",
    ),
    Option(
        "category_tag_prefix",
        "category_",
        "a tag <prefix><category> gives the category when the field is empty (the prefix is also "
        "stripped from field values, as Zendesk drop-down values are tags)",
    ),
    Option("category_map", {}, "more Zendesk category values -> contract category"),
    Option("product_field", "Product", "ticket custom field holding the product id"),
    Option("product_map", {}, "Zendesk product values -> product ids (others are kept as-is)"),
    Option("channel_map", {}, "more Zendesk via channels -> contract channel (beyond defaults)"),
    Option(
        "escalation_tags",
        {"cs_escalation_trouble": "trouble", "cs_escalation_opportunity": "opportunity"},
        "tags marking an escalation to Customer Success -> its type (trouble or opportunity)",
    ),
    Option(
        "escalation_type_field",
        "CS escalation type",
        "ticket custom field marking an escalation by its type (trouble or opportunity, or a key "
        "of escalation_tags); empty: tags only",
    ),
    Option(
        "escalation_id_field",
        "CS escalation ID",
        "ticket custom field holding the escalation id (empty: the ticket id)",
    ),
    Option("escalation_reason_field", "CS escalation reason", "custom field: reason"),
    Option("escalation_severity_field", "CS escalation severity", "custom field: severity"),
    Option(
        "escalation_status_field",
        "CS escalation status",
        "custom field whose field history dates the escalation: its first change is the "
        "escalation, then the accepted and resolved values",
    ),
    Option("escalation_accepted_value", "accepted", "status field value: CS accepted it"),
    Option("escalation_resolved_value", "resolved", "status field value: CS resolved it"),
    Option("escalation_outcome_field", "CS escalation outcome", "custom field: outcome"),
)


def _record_columns(base: dict[str, tuple[str, ...]], setting: str) -> dict[str, tuple[str, ...]]:
    """A table's columns plus the column a setting names (an organization or user field)."""
    columns = dict(base)
    name = normalise_header(setting)
    if name and name not in columns:
        columns[name] = ("custom_" + name,)
    return columns


def build_tables(settings: Mapping[str, Any]) -> tuple[VendorTable, ...]:
    """The tables, with the custom-field columns the settings name."""
    ticket_columns = dict(TICKET_COLUMNS)
    for setting in FIELD_SETTINGS:
        label = settings.get(setting)
        if not label:
            continue
        field = CustomField(setting, str(label))
        if field.column and field.column not in ticket_columns:
            alias = () if field.base in ticket_columns else (field.base,)
            ticket_columns[field.column] = alias
    ticket = VendorTable(
        "ticket",
        ticket_columns,
        required=frozenset({"id", "created_at", "status", "via_channel"}),
        description="tickets (Fivetran) or the dashboard / Explore CSV export",
    )
    organization = VendorTable(
        "organization",
        _record_columns(ORGANIZATION_COLUMNS, str(settings["account_id_field"])),
        required=frozenset({"id"}),
        description="organizations: the CRM account id",
    )
    user = VendorTable(
        "user",
        _record_columns(USER_COLUMNS, str(settings["contact_id_field"])),
        required=frozenset({"id"}),
        description="users: requesters' CRM contact id, agents' role",
    )
    canonical = (
        ticket,
        organization,
        user,
        FIELD_HISTORY,
        TICKET_COMMENT,
        TICKET_TAG,
        SATISFACTION_RATING,
        TICKET_CUSTOM_FIELD,
        TICKET_METRICS,
    )
    by_name = {table.name: table for table in canonical}
    aliases = tuple(
        VendorTable(alias, by_name[name].columns, by_name[name].required, f"same as {name}")
        for alias, name in TABLE_ALIASES.items()
    )
    return canonical + aliases


def _check_settings(settings: Mapping[str, Any]) -> None:
    for name in ("category_map", "product_map", "channel_map", "escalation_tags"):
        value = settings[name]
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValueError(f"zendesk: {name} must map text to text, e.g. {{api: web}}")
    bad_channels = sorted(v for v in settings["channel_map"].values() if v not in CHANNELS)
    if bad_channels:
        raise ValueError(
            f"zendesk: channel_map maps to {', '.join(bad_channels)}; contract channels are "
            f"{allowed(CHANNELS)}"
        )
    bad_types = sorted(v for v in settings["escalation_tags"].values() if v not in ESCALATION_TYPES)
    if bad_types:
        raise ValueError(
            f"zendesk: escalation_tags maps to {', '.join(bad_types)}; escalation types are "
            f"{allowed(ESCALATION_TYPES)}"
        )
    for name in ("account_id_field", "contact_id_field"):
        if not isinstance(settings[name], str) or not normalise_header(settings[name]):
            raise ValueError(f"zendesk: {name} must name a column, e.g. external_id")


# ------------------------------------------------------------------------------------ adapter


class ZendeskAdapter(Adapter):
    vendor = "zendesk"
    title = "Zendesk Support"
    source_system = "support_desk"
    produces = ("tickets", "escalations")
    options = OPTIONS
    tables = build_tables({option.name: option.default for option in OPTIONS})

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        _check_settings(self.settings)
        # Instance tables: the ticket table reads the custom-field columns the settings name.
        self.tables = build_tables(self.settings)

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        merged: dict[str, list[VendorRow]] = defaultdict(list)
        for name, table_rows in rows.items():
            merged[TABLE_ALIASES.get(name, name)].extend(table_rows)
        _Mapping(self.settings, merged, batch).run()

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> None:
        _DialectWriter(self.settings, native).write(out_dir)


# ------------------------------------------------------------------------------------ mapping


class Refusal(Exception):
    """A row cannot be mapped; the message says what is wrong and what to do."""


@dataclass
class Change:
    """One ticket_field_history row, read."""

    name: str
    key: str
    value: str | None
    at: datetime
    row: VendorRow

    @property
    def text_at(self) -> str | None:
        return parse_instant(self.row["updated"])


@dataclass
class Comment:
    at: datetime
    public: bool
    row: VendorRow


class _Mapping:
    """One delivery of Zendesk tables mapped to tickets and escalations."""

    def __init__(
        self, settings: Mapping[str, Any], rows: Mapping[str, list[VendorRow]], batch: MappedBatch
    ) -> None:
        self.settings = settings
        self.rows = rows
        self.batch = batch
        self.fields = {
            name: CustomField(name, str(settings[name]))
            for name in FIELD_SETTINGS
            if settings[name]
        }
        self.field_ids: dict[str, frozenset[str]] = {}
        self.channels = DEFAULT_CHANNELS | {code(k): v for k, v in settings["channel_map"].items()}
        self.categories = {c: c for c in contract_allowed("tickets", "category")} | {
            code(k): v for k, v in settings["category_map"].items()
        }
        self.escalation_tags = {code(k): v for k, v in settings["escalation_tags"].items()}
        self.tickets: dict[str, VendorRow] = {}
        self.organizations: dict[str, VendorRow] = {}
        self.deleted_organizations: set[str] = set()
        self.unlinked_organizations: set[tuple[str, int]] = set()
        self.users: dict[str, VendorRow] = {}
        self.history: dict[str, list[Change]] = defaultdict(list)
        self.comments: dict[str, list[Comment]] = defaultdict(list)
        self.tags: dict[str, list[VendorRow]] = defaultdict(list)
        self.ratings: dict[str, VendorRow] = {}
        self.metrics: dict[str, VendorRow] = {}

    # -- reading
    def run(self) -> None:
        self._read_definitions()
        self.organizations = self._latest("organization", live=True)
        self.users = self._latest("user", live=True)
        self.tickets = self._latest("ticket", live=False)
        self._read_history()
        self._read_comments()
        self._read_tags()
        self._read_ratings()
        self._read_metrics()
        for ticket in self.tickets.values():
            self._map_ticket(ticket)
        self._settle_the_rest()

    def _flag(self, row: VendorRow) -> bool | None:
        """``_fivetran_deleted`` as a flag; None (and the row quarantined) when unreadable."""
        try:
            return bool(parse_bool(row["_fivetran_deleted"]))
        except ValueError as error:
            self.batch.quarantine(row, f"_fivetran_deleted: {error}")
            return None

    def _latest(self, table: str, live: bool, key: str = "id") -> dict[str, VendorRow]:
        """The latest version of each record; older ones skipped, deleted ones too if ``live``."""
        versions: dict[str, list[VendorRow]] = defaultdict(list)
        for row in self.rows.get(table, []):
            if row[key] is None:
                self.batch.quarantine(row, f"{key}: missing; every {table} row needs its id")
                continue
            versions[row[key]].append(row)
        latest: dict[str, VendorRow] = {}
        for record, rows in versions.items():
            *older, last = sorted(rows, key=version_order)
            for row in older:
                self.batch.skip(row, SUPERSEDED)
            if live:
                deleted = self._flag(last)
                if deleted is None:
                    continue
                if deleted:
                    self.batch.skip(last, DELETED_IN_SOURCE)
                    if table == "organization":
                        self.deleted_organizations.add(record)
                    continue
            latest[record] = last
        return latest

    def _read_definitions(self) -> None:
        """Tie each configured custom field to the ids Zendesk records it under."""
        definitions = self._latest("ticket_custom_field", live=True)
        for setting, field in self.fields.items():
            ids = {field.label.strip()} if field.numeric else set()
            for definition in definitions.values():
                titles = {normalise_header(definition[c] or "") for c in ("title", "raw_title")}
                if field.names & titles:
                    ids.add(definition["id"])
                    self.batch.used(definition)
            self.field_ids[setting] = frozenset(ids)

    def _read_history(self) -> None:
        seen: set[tuple] = set()
        for row in self.rows.get("ticket_field_history", []):
            at = moment(row["updated"])
            if at is None:
                self.batch.quarantine(
                    row,
                    f"updated: '{row['updated']}' is not a timestamp; deliver it in ISO 8601",
                )
                continue
            identity = (row["ticket_id"], row["field_name"], at, row["value"])
            if identity in seen:
                self.batch.skip(row, "repeats an earlier field history row")
                continue
            seen.add(identity)
            name = row["field_name"] or ""
            self.history[row["ticket_id"] or ""].append(
                Change(name, normalise_header(name), row["value"], at, row)
            )
        for changes in self.history.values():
            changes.sort(key=lambda c: (c.at, c.row.file, c.row.line))

    def _read_comments(self) -> None:
        for row in self._latest("ticket_comment", live=True).values():
            at = moment(row["created"])
            try:
                public = parse_bool(row["public"])
            except ValueError as error:
                self.batch.quarantine(row, f"public: {error}")
                continue
            if at is None or public is None:
                problem = "public: empty" if at else f"created: '{row['created']}' is no timestamp"
                self.batch.quarantine(row, problem)
                continue
            self.comments[row["ticket_id"] or ""].append(Comment(at, public, row))
        for comments in self.comments.values():
            comments.sort(key=lambda c: (c.at, c.row.file, c.row.line))

    def _read_tags(self) -> None:
        seen: set[tuple] = set()
        for row in self.rows.get("ticket_tag", []):
            identity = (row["ticket_id"], code(row["tag"]))
            if identity in seen:
                self.batch.skip(row, "repeats an earlier tag of the same ticket")
                continue
            seen.add(identity)
            self.tags[row["ticket_id"] or ""].append(row)

    def _read_ratings(self) -> None:
        keyed = {}
        for row in self.rows.get("satisfaction_rating", []):
            keyed.setdefault(row["id"] or f"{row.file}:{row.line}", []).append(row)
        by_ticket: dict[str, list[VendorRow]] = defaultdict(list)
        for rows in keyed.values():
            *older, last = sorted(rows, key=version_order)
            for row in older:
                self.batch.skip(row, SUPERSEDED)
            deleted = self._flag(last)
            if deleted:
                self.batch.skip(last, DELETED_IN_SOURCE)
            elif deleted is not None:
                by_ticket[last["ticket_id"] or ""].append(last)
        for ticket, rows in by_ticket.items():
            *older, last = sorted(rows, key=version_order)
            for row in older:
                self.batch.skip(row, "superseded by a later satisfaction rating of the ticket")
            self.ratings[ticket] = last

    def _read_metrics(self) -> None:
        for ticket, row in self._latest("ticket_metrics", live=False, key="ticket_id").items():
            try:
                seconds(row["reply_time_in_seconds"])
                seconds(row["reply_time_in_minutes"])
            except ValueError as error:
                self.batch.quarantine(row, f"reply time: {error}")
                continue
            if row["solved_at"] is not None and moment(row["solved_at"]) is None:
                self.batch.quarantine(row, f"solved_at: '{row['solved_at']}' is no timestamp")
                continue
            self.metrics[ticket] = row

    # -- custom fields
    def _custom_values(self, ticket: VendorRow) -> dict[str, str]:
        """Field id -> value from the ``custom_fields`` JSON of Airbyte's and dlt's tickets."""
        found = json_value(ticket["custom_fields"])
        if isinstance(found, dict):
            found = [{"id": key, "value": value} for key, value in found.items()]
        values: dict[str, str] = {}
        for item in found or []:
            if isinstance(item, dict) and item.get("value") not in (None, "", []):
                value = item["value"]
                text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
                values[str(item.get("id"))] = text
        return values

    def _current(self, setting: str, ticket: VendorRow, custom: Mapping[str, str]) -> str | None:
        """A custom field's value on the ticket now: its column, else ``custom_fields``."""
        field = self.fields.get(setting)
        if field is None:
            return None
        if field.column and ticket[field.column] is not None:
            return ticket[field.column]
        return next((custom[i] for i in self.field_ids[setting] if i in custom), None)

    def _changes(self, setting: str, ticket_id: str) -> list[Change]:
        field = self.fields.get(setting)
        if field is None:
            return []
        ids, names = self.field_ids[setting], field.names
        return [c for c in self.history.get(ticket_id, []) if c.name in ids or c.key in names]

    def _value(self, setting: str, ticket: VendorRow, custom: Mapping[str, str]) -> str | None:
        """The current value, else the latest the field history recorded."""
        current = self._current(setting, ticket, custom)
        if current is not None:
            return current
        changes = self._changes(setting, ticket["id"] or "")
        return changes[-1].value if changes else None

    # -- tickets
    def _map_ticket(self, ticket: VendorRow) -> None:
        try:
            values, sources, shared = self._ticket_values(ticket)
        except Refusal as refusal:
            self.batch.quarantine(ticket, str(refusal))
            self._skip_children(ticket["id"] or "", TICKET_QUARANTINED)
            return
        self.batch.emit("tickets", values, ticket, *sources)
        for row in shared:
            self.batch.used(row)
        self._map_escalation(ticket, values)

    def _ticket_values(self, ticket: VendorRow) -> tuple[dict, list[VendorRow], list[VendorRow]]:
        ticket_id = ticket["id"] or ""
        sources: list[VendorRow] = []
        shared: list[VendorRow] = []
        try:
            custom = self._custom_values(ticket)
        except ValueError as error:
            raise Refusal(f"custom_fields: {error}") from None
        organization = self._organization(ticket)
        account_id = self._account_id(organization)
        shared.append(organization)
        requester = self._requester(ticket)
        contact_id = None
        if requester is not None:
            contact_id = self._record_field(requester, "contact_id_field", "user_fields")
            shared.append(requester)
        status_changes = [c for c in self.history.get(ticket_id, []) if c.key == "status"]
        sources.extend(c.row for c in status_changes)
        status, is_deleted, deleted_at = self._status(ticket, status_changes)
        solved_at = self._solved_at(ticket, status, status_changes, sources)
        first_response_at = self._first_response_at(ticket, requester, sources, shared)
        csat_rating, csat_good_bad = self._satisfaction(ticket, sources)
        category = self._category(ticket, custom, sources)
        product = self._current("product_field", ticket, custom)
        product = self.settings["product_map"].get(product, product) if product else None
        values = {
            "ticket_id": ticket_id,
            "account_id": account_id,
            "requester_contact_id": contact_id,
            "created_at": parse_instant(ticket["created_at"]),
            "first_response_at": first_response_at,
            "solved_at": solved_at,
            "status": status,
            "priority": self._priority(ticket),
            "channel": self._channel(ticket),
            "category": category,
            "product_id": product,
            "csat_rating": csat_rating,
            "csat_good_bad": csat_good_bad,
            "is_deleted": is_deleted,
            "deleted_at": deleted_at,
        }
        values["updated_at"] = parse_instant(ticket["updated_at"]) or self._latest_time(values)
        return values, sources, shared

    @staticmethod
    def _latest_time(values: Mapping[str, Any]) -> str | None:
        """A ticket without updated_at (an export without it): its latest known time."""
        times = [moment(v) for k, v in values.items() if k.endswith("_at") and v]
        known = [t for t in times if t is not None]
        return max(known).isoformat() if known else None

    def _organization(self, ticket: VendorRow) -> VendorRow:
        setting = self.settings["account_id_field"]
        organization_id = ticket["organization_id"]
        if organization_id is None and ticket["organization_name"] is not None:
            return self._organization_named(ticket["organization_name"])
        if organization_id is None:
            requester = self._requester(ticket)
            organization_id = requester["organization_id"] if requester is not None else None
        if organization_id is None:
            raise Refusal(
                f"organization: ticket {ticket['id']} has none; set the requester's organization "
                f"in Zendesk (its {setting} holds the CRM account id)"
            )
        if organization_id in self.deleted_organizations:
            raise Refusal(
                f"organization {organization_id} is deleted in Zendesk; move the ticket to the "
                "account's organization"
            )
        found = self.organizations.get(organization_id)
        if found is None:
            raise Refusal(
                f"organization {organization_id} is not in the delivered organization table; "
                f"deliver organization (its {setting} holds the CRM account id)"
            )
        return found

    def _organization_named(self, name: str) -> VendorRow:
        matches = [o for o in self.organizations.values() if code(o["name"]) == code(name)]
        if len(matches) != 1:
            problem = "is not in" if not matches else "is more than one organization of"
            raise Refusal(
                f"organization '{name}' {problem} the delivered organization table; deliver "
                "organization, or export the Organization ID"
            )
        return matches[0]

    def _account_id(self, organization: VendorRow) -> str:
        account_id = self._record_field(organization, "account_id_field", "organization_fields")
        if account_id is None:
            self.unlinked_organizations.add(organization.key)
            setting = self.settings["account_id_field"]
            raise Refusal(
                f"organization {organization['id']} ('{organization['name'] or ''}') has no CRM "
                f"account id: set its {setting} in Zendesk to the account's id in the CRM (or "
                "name the organization field holding it with the account_id_field setting)"
            )
        return account_id

    def _record_field(self, row: VendorRow, setting: str, json_column: str) -> str | None:
        """An organization's or user's field: its column, else its ``*_fields`` JSON object."""
        name = normalise_header(self.settings[setting])
        if row[name] is not None:
            return row[name]
        try:
            found = json_value(row[json_column])
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        value = next((v for k, v in found.items() if normalise_header(str(k)) == name), None)
        return None if value in (None, "") else str(value)

    def _requester(self, ticket: VendorRow) -> VendorRow | None:
        if ticket["requester_id"] is not None:
            return self.users.get(ticket["requester_id"])
        for column, user_column in (("requester_email", "email"), ("requester_name", "name")):
            if ticket[column] is not None:
                matches = [
                    u for u in self.users.values() if code(u[user_column]) == code(ticket[column])
                ]
                return matches[0] if len(matches) == 1 else None
        return None

    def _status(self, ticket: VendorRow, changes: list[Change]) -> tuple[str, bool, str | None]:
        """(contract status, is_deleted, deleted_at)."""
        delivered = code(ticket["status"])
        try:
            deleted = bool(parse_bool(ticket["_fivetran_deleted"]))
        except ValueError as error:
            raise Refusal(f"_fivetran_deleted: {error}") from None
        is_deleted = deleted or delivered == DELETED_STATUS
        deleted_at = None
        if is_deleted:
            deletion = next((c for c in changes if code(c.value) == DELETED_STATUS), None)
            if deletion is not None:
                deleted_at = deletion.text_at
            elif delivered == DELETED_STATUS:
                deleted_at = parse_instant(ticket["updated_at"])
            else:
                deleted_at = parse_instant(ticket["_fivetran_synced"] or ticket["updated_at"])
            before = [
                c
                for c in changes
                if code(c.value) != DELETED_STATUS and (deletion is None or c.at <= deletion.at)
            ]
            if before:
                delivered = code(before[-1].value)
            elif delivered == DELETED_STATUS:
                delivered = "closed"  # deleted, earlier status unknown: no longer workable
        status = STATUSES.get(delivered or "")
        if status is None:
            raise Refusal(
                f"status: '{ticket['status'] or ''}' is no Zendesk status the contract knows "
                f"(allowed: {allowed(dict.fromkeys(STATUSES.values()))}; hold reads as pending)"
            )
        return status, is_deleted, deleted_at

    def _solved_at(
        self, ticket: VendorRow, status: str, changes: list[Change], sources: list[VendorRow]
    ) -> str | None:
        """Field history, else ticket metrics, else the export's column; solved tickets only."""
        if status not in ("solved", "closed"):
            return None
        solves = [c for c in changes if code(c.value) == "solved"]
        if solves:
            return solves[-1].text_at
        metrics = self.metrics.get(ticket["id"] or "")
        if metrics is not None and metrics["solved_at"] is not None:
            sources.append(metrics)
            return parse_instant(metrics["solved_at"])
        return parse_instant(ticket["solved_at"])

    def _first_response_at(
        self,
        ticket: VendorRow,
        requester: VendorRow | None,
        sources: list[VendorRow],
        shared: list[VendorRow],
    ) -> str | None:
        """The first public agent comment after creation, else created + metrics' reply time."""
        created = moment(ticket["created_at"])
        if created is None:
            return None  # the contract's check names the bad created_at
        requester_id = ticket["requester_id"] or (requester["id"] if requester else None)
        for comment in self.comments.get(ticket["id"] or "", []):
            if not comment.public or comment.at <= created:
                continue
            author = self.users.get(comment.row["user_id"] or "")
            role = code(author["role"]) if author is not None else None
            if role in ("agent", "admin") or (
                role is None and comment.row["user_id"] != requester_id
            ):
                sources.append(comment.row)
                if author is not None:
                    shared.append(author)
                return parse_instant(comment.row["created"])
        metrics = self.metrics.get(ticket["id"] or "")
        if metrics is None:
            return None
        reply = seconds(metrics["reply_time_in_seconds"])
        if reply is None:
            minutes = seconds(metrics["reply_time_in_minutes"])
            reply = None if minutes is None else minutes * 60
        if reply is None:
            return None
        sources.append(metrics)
        return (created + timedelta(seconds=float(reply))).isoformat()

    def _satisfaction(
        self, ticket: VendorRow, sources: list[VendorRow]
    ) -> tuple[str | None, str | None]:
        rating = self.ratings.get(ticket["id"] or "")
        if rating is not None:
            try:
                scores = satisfaction(rating["score"])
            except ValueError as error:
                self.batch.quarantine(rating, f"score: {error}")
                return None, None
            if scores == (None, None):
                self.batch.skip(rating, "satisfaction survey offered, not answered")
            else:
                sources.append(rating)
            return scores
        try:
            return satisfaction(ticket["satisfaction_score"])
        except ValueError as error:
            raise Refusal(f"satisfaction score: {error}") from None

    def _priority(self, ticket: VendorRow) -> str | None:
        priority = code(ticket["priority"])
        if priority is not None and priority not in PRIORITIES:
            raise Refusal(
                f"priority: '{ticket['priority']}' is no Zendesk priority (allowed: "
                f"{allowed(PRIORITIES)}, or empty)"
            )
        return priority

    def _channel(self, ticket: VendorRow) -> str:
        try:
            via = code(object_key(ticket["via_channel"], "channel"))
        except ValueError as error:
            raise Refusal(f"via: {error}") from None
        if via is None:
            raise Refusal("channel: via_channel is empty; deliver the channel the ticket came by")
        channel = self.channels.get(via)
        if channel is None:
            raise Refusal(
                f"channel: Zendesk channel '{via}' has no contract channel; map it with the "
                f"channel_map setting, e.g. {{{via}: web}} (allowed: {allowed(CHANNELS)})"
            )
        return channel

    def _category(
        self, ticket: VendorRow, custom: Mapping[str, str], sources: list[VendorRow]
    ) -> str:
        prefix = (self.settings["category_tag_prefix"] or "").lower()
        categories = contract_allowed("tickets", "category")
        where = []  # what the quarantine reason tells the team to set
        if "category_field" in self.fields:
            where.append(f"set the ticket's {self.fields['category_field'].label} field")
        if prefix:
            where.append(f"tag it {prefix}<category>")
        value = code(self._current("category_field", ticket, custom))
        if value is None and prefix:
            tagged = {}
            for tag, row in self._ticket_tags(ticket):
                if tag.startswith(prefix) and len(tag) > len(prefix):
                    tagged.setdefault(tag[len(prefix) :], []).append(row)
            if len(tagged) > 1:
                raise Refusal(
                    f"category: tagged with several categories ({', '.join(sorted(tagged))}); "
                    "keep one"
                )
            for found, rows in tagged.items():
                value = found
                sources.extend(r for r in rows if r is not ticket)
        if value is None:
            raise Refusal(
                f"category: missing; {' or '.join(where) or 'set category_field'} "
                f"(allowed: {allowed(categories)})"
            )
        if prefix and value.startswith(prefix) and value not in self.categories:
            value = value[len(prefix) :]
        category = self.categories.get(value)
        if category is None:
            raise Refusal(
                f"category: '{value}' is no contract category; map it with the category_map "
                f"setting, e.g. {{{value}: how_to}} (allowed: {allowed(categories)})"
            )
        return category

    def _ticket_tags(self, ticket: VendorRow) -> list[tuple[str, VendorRow]]:
        """(normalised tag, the row it came from): ticket_tag rows and the ticket's own tags."""
        found = [(code(row["tag"]) or "", row) for row in self.tags.get(ticket["id"] or "", [])]
        try:
            inline = tag_list(ticket["tags"])
        except ValueError:
            inline = []
        return found + [(code(tag) or "", ticket) for tag in inline]

    # -- escalations
    def _map_escalation(self, ticket: VendorRow, ticket_values: Mapping[str, Any]) -> None:
        ticket_id = ticket["id"] or ""
        custom = self._custom_values(ticket)
        marked = [
            (self.escalation_tags[tag], row)
            for tag, row in self._ticket_tags(ticket)
            if tag in self.escalation_tags
        ]
        typed = self._value("escalation_type_field", ticket, custom)
        if not marked and typed is None:
            return
        field_changes = [
            change for setting in ESCALATION_FIELDS for change in self._changes(setting, ticket_id)
        ]
        markers = [row for _, row in marked if row is not ticket]
        markers += sorted({c.row.key: c.row for c in field_changes}.values(), key=lambda r: r.key)
        sources = markers or [ticket]
        try:
            values = self._escalation_values(
                ticket, ticket_values, custom, marked, typed, field_changes
            )
        except Refusal as refusal:
            for row in sources:
                self.batch.quarantine(row, f"escalation of ticket {ticket_id}: {refusal}")
            return
        self.batch.emit("escalations", values, *sources)

    def _escalation_values(
        self,
        ticket: VendorRow,
        ticket_values: Mapping[str, Any],
        custom: Mapping[str, str],
        marked: list[tuple[str, VendorRow]],
        typed: str | None,
        field_changes: list[Change],
    ) -> dict[str, Any]:
        ticket_id = ticket["id"] or ""
        kinds = {kind for kind, _ in marked}
        if typed is not None:
            key = code(typed) or ""
            kind = key if key in ESCALATION_TYPES else self.escalation_tags.get(key)
            if kind is None:
                label = self.fields["escalation_type_field"].label
                raise Refusal(
                    f"its {label} field is '{typed}'; set {allowed(ESCALATION_TYPES)} (or a tag "
                    "of the escalation_tags setting)"
                )
            kinds.add(kind)
        if len(kinds) > 1:
            raise Refusal("it is marked both trouble and opportunity; keep one")
        status_changes = self._changes("escalation_status_field", ticket_id)
        set_changes = [c for c in status_changes if c.value is not None]
        others = [
            c
            for setting in ESCALATION_FIELDS
            if setting not in ("escalation_status_field", "escalation_outcome_field")
            for c in self._changes(setting, ticket_id)
        ]
        first = set_changes[0] if set_changes else min(others, key=lambda c: c.at, default=None)
        if first is None:
            status_label = self.settings["escalation_status_field"] or "escalation"
            raise Refusal(
                f"no field history dates it; deliver ticket_field_history with the "
                f"{status_label} field (its first change is the escalation time)"
            )
        accepted_value = code(self.settings["escalation_accepted_value"])
        resolved_value = code(self.settings["escalation_resolved_value"])
        accepted = next((c for c in set_changes if code(c.value) == accepted_value), None)
        resolved = None
        if code(self._value("escalation_status_field", ticket, custom)) == resolved_value:
            resolved = next(
                (c for c in reversed(set_changes) if code(c.value) == resolved_value), None
            )
        required = {}
        for setting in ("escalation_reason_field", "escalation_severity_field"):
            required[setting] = code(self._value(setting, ticket, custom))
            if required[setting] is None:
                label = self.settings[setting] or setting
                column = "reason" if "reason" in setting else "severity"
                raise Refusal(
                    f"its {label} field is empty; set it (allowed: "
                    f"{allowed(contract_allowed('escalations', column))})"
                )
        latest = max((c.at for c in field_changes), default=None)
        return {
            "escalation_id": self._value("escalation_id_field", ticket, custom) or ticket_id,
            "ticket_id": ticket_id,
            "account_id": ticket_values["account_id"],
            "escalated_at": first.text_at,
            "escalation_type": kinds.pop(),
            "reason": required["escalation_reason_field"],
            "product_id": ticket_values["product_id"],
            "severity": required["escalation_severity_field"],
            "accepted_at": accepted.text_at if accepted else None,
            "resolved_at": resolved.text_at if resolved else None,
            "outcome": code(self._value("escalation_outcome_field", ticket, custom)),
            "updated_at": latest.isoformat() if latest else ticket_values["updated_at"],
        }

    # -- settling
    def _skip_children(self, ticket_id: str, reason: str) -> None:
        for change in self.history.get(ticket_id, []):
            self.batch.skip(change.row, reason)
        for comment in self.comments.get(ticket_id, []):
            self.batch.skip(comment.row, reason)
        for row in self.tags.get(ticket_id, []):
            self.batch.skip(row, reason)
        for table in (self.ratings, self.metrics):
            if ticket_id in table:
                self.batch.skip(table[ticket_id], reason)

    def _settle_the_rest(self) -> None:
        """Rows no rule used: skipped with the reason (skip never overrides an earlier outcome)."""
        children = {
            "ticket_field_history": "field history the mapping does not read",
            "ticket_comment": "not a ticket's first public agent reply (the only comment read)",
            "ticket_tag": "tag the mapping does not read",
            "satisfaction_rating": "rating the mapping does not read",
            "ticket_metrics": "not needed: field history and comments gave the times",
        }
        for table, reason in children.items():
            for row in self.rows.get(table, []):
                if row["ticket_id"] not in self.tickets:
                    self.batch.skip(row, TICKET_NOT_DELIVERED)
                self.batch.skip(row, reason)
        for row in self.rows.get("organization", []):
            if row.key in self.unlinked_organizations:
                self.batch.skip(row, "organization without a CRM account id (tickets quarantined)")
            self.batch.skip(row, "no mapped ticket belongs to this organization")
        for row in self.rows.get("user", []):
            self.batch.skip(row, "neither the requester nor the first replier of a mapped ticket")
        for row in self.rows.get("ticket_custom_field", []):
            self.batch.skip(row, "custom field the mapping does not read")


def contract_allowed(entity: str, column: str) -> tuple[str, ...]:
    found = next(c for c in contract_entity(entity).columns if c.name == column)
    return tuple(found.allowed_values or ())


# ------------------------------------------------------------------------------------ dialect

# Contract channel -> the Zendesk via channel the dialect writes.
VIA = {"email": "email", "web": "web", "chat": "chat", "phone": "voice"}
AGENTS = ("agent_1", "agent_2")
FIRST_FIELD_ID = 360_000_000_001


def _latest_native(rows: list[dict[str, str | None]], key: str) -> list[dict[str, str | None]]:
    """One row per key: the latest version (a native world may hold several)."""
    latest: dict[str, dict[str, str | None]] = {}
    for row in rows:
        current = latest.get(row[key] or "")
        if current is None or (moment(row["updated_at"]) or EARLIEST) >= (
            moment(current["updated_at"]) or EARLIEST
        ):
            latest[row[key] or ""] = row
    return [latest[k] for k in sorted(latest)]


class _DialectWriter:
    """A native world's tickets and escalations as Fivetran's Zendesk tables.

    Every path the adapter reads is exercised: most tickets date their solve in the field history
    and their first response in the comments, every tenth by ticket metrics instead; every fifth
    category is a tag; half the deletions are status ``deleted``, half ``_fivetran_deleted``; half
    the escalations are tags, half the type field. Formats: ticket Parquet, ticket_comment JSON
    lines, ticket_field_history gzip CSV, the rest CSV.
    """

    def __init__(self, settings: Mapping[str, Any], native: NativeWorld) -> None:
        self.settings = settings
        self.tickets = _latest_native(native.rows("tickets"), "ticket_id")
        self.escalations = {
            row["ticket_id"]: row
            for row in _latest_native(native.rows("escalations"), "escalation_id")
        }
        self.fields = {
            name: CustomField(name, str(settings[name]))
            for name in FIELD_SETTINGS
            if settings[name]
        }
        self.field_ids = {
            name: field.label if field.numeric else str(FIRST_FIELD_ID + index)
            for index, (name, field) in enumerate(self.fields.items())
        }
        times = [moment(t["updated_at"]) for t in self.tickets]
        times += [moment(e["updated_at"]) for e in self.escalations.values()]
        self.synced = max((t for t in times if t), default=EARLIEST).isoformat()
        trouble, opportunity = (
            next((t for t, k in settings["escalation_tags"].items() if k == kind), None)
            for kind in ESCALATION_TYPES
        )
        self.escalation_tags = {"trouble": trouble, "opportunity": opportunity}

    def write(self, out_dir: Path) -> None:
        tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
        organizations: dict[str, str] = {}
        requesters: dict[str, str] = {}
        deleted_count = 0
        escalation_count = 0
        for index, ticket in enumerate(self.tickets):
            account = ticket["account_id"] or ""
            organizations.setdefault(account, ticket["created_at"] or "")
            if ticket["requester_contact_id"]:
                requesters.setdefault(ticket["requester_contact_id"], account)
            deleted = ticket["is_deleted"] == "true"
            status_deleted = deleted and deleted_count % 2 == 0
            deleted_count += deleted
            escalation = self.escalations.get(ticket["ticket_id"])
            by_tag = escalation is not None and escalation_count % 2 == 0
            escalation_count += escalation is not None
            variant = {
                "metrics": index % 10 == 3 and not deleted,
                "category_tag": index % 5 == 4 and bool(self.settings["category_tag_prefix"]),
                "status_deleted": status_deleted,
                "note": index % 4 == 1,
                "offered": index % 7 == 0,
                "vip": index % 9 == 0,
                "second_agent": index % 2 == 1,
                "escalation_by_tag": by_tag or not self.fields.get("escalation_type_field"),
            }
            self._ticket(tables, ticket, escalation, variant)
        for account, created in sorted(organizations.items()):
            tables["organization"].append(self._organization(account, created))
        tables["organization"].append(
            {"id": "org_prospect", "name": "Prospect without CRM account", "external_id": None}
        )
        for contact, account in sorted(requesters.items()):
            tables["user"].append(self._person(contact, account))
        for agent in AGENTS:
            tables["user"].append({"id": agent, "name": agent, "role": "agent"})
        for name, field in self.fields.items():
            tables["ticket_custom_field"].append(
                {
                    "id": self.field_ids[name],
                    "title": field.label,
                    "raw_title": field.label,
                    "type": "text" if name == "escalation_id_field" else "tagger",
                    "active": True,
                }
            )
        self._write(out_dir, tables)

    # -- records
    def _organization(self, account: str, created: str) -> dict[str, Any]:
        row: dict[str, Any] = {"id": f"org_{account}", "name": f"Organization {account}"}
        row[normalise_header(self.settings["account_id_field"])] = account
        row |= {"created_at": created, "updated_at": created}
        return row

    def _person(self, contact: str, account: str) -> dict[str, Any]:
        row: dict[str, Any] = {"id": f"usr_{contact}", "name": f"Requester {contact}"}
        row[normalise_header(self.settings["contact_id_field"])] = contact
        return row | {"role": "end-user", "organization_id": f"org_{account}"}

    def _ticket(
        self,
        tables: dict[str, list[dict[str, Any]]],
        ticket: dict[str, str | None],
        escalation: dict[str, str | None] | None,
        variant: dict[str, bool],
    ) -> None:
        ticket_id = ticket["ticket_id"] or ""
        requester = (
            f"usr_{ticket['requester_contact_id']}" if ticket["requester_contact_id"] else None
        )
        agent = AGENTS[1] if variant["second_agent"] else AGENTS[0]
        deleted = ticket["is_deleted"] == "true"
        row: dict[str, Any] = {
            "id": ticket_id,
            "created_at": ticket["created_at"],
            "updated_at": ticket["updated_at"],
            "status": "deleted" if variant["status_deleted"] else ticket["status"],
            "priority": ticket["priority"],
            "via_channel": VIA[ticket["channel"] or ""],
            "organization_id": f"org_{ticket['account_id']}",
            "requester_id": requester,
            "submitter_id": requester,
            "subject": f"Ticket {ticket_id}",
            "_fivetran_deleted": deleted and not variant["status_deleted"],
            "_fivetran_synced": ticket["deleted_at"]
            if deleted and not variant["status_deleted"]
            else self.synced,
        }
        custom = {name: None for name in self.fields}
        custom["product_field"] = ticket["product_id"]
        if not variant["category_tag"]:
            custom["category_field"] = ticket["category"]
        else:
            self._tag(tables, ticket_id, self.settings["category_tag_prefix"] + ticket["category"])
        if variant["vip"]:
            self._tag(tables, ticket_id, "vip")
        history = tables["ticket_field_history"]
        if not variant["metrics"]:
            for value, at in self._status_path(ticket, variant["status_deleted"]):
                history.append(self._change(ticket_id, "status", value, at, agent))
        if ticket["priority"]:
            history.append(
                self._change(
                    ticket_id, "priority", ticket["priority"], ticket["created_at"], requester
                )
            )
        if escalation is not None:
            custom |= self._escalation(tables, ticket_id, escalation, variant, agent)
        for name, value in custom.items():
            if name in self.fields and self.fields[name].column:
                row[self.fields[name].column] = value
        tables["ticket"].append(row)
        self._conversation(tables, ticket, requester, agent, variant)
        self._rating(tables, ticket, variant)

    @staticmethod
    def _status_path(ticket: dict[str, str | None], status_deleted: bool) -> list[tuple]:
        """Status changes that end in the ticket's status, at the times the ticket records."""
        path = [("new", ticket["created_at"])]
        if ticket["is_deleted"] == "true":
            if ticket["status"] != "new":  # the status it had when deleted
                path.append((ticket["status"], ticket["created_at"]))
            return path + ([("deleted", ticket["deleted_at"])] if status_deleted else [])
        if ticket["first_response_at"] and ticket["status"] != "new":
            path.append(("open", ticket["first_response_at"]))
        if ticket["status"] == "pending":
            path.append(("pending", ticket["updated_at"]))
        if ticket["solved_at"]:
            path.append(("solved", ticket["solved_at"]))
        if ticket["status"] == "closed":
            path.append(("closed", ticket["updated_at"]))
        if path[-1][0] != ticket["status"]:
            path.append((ticket["status"], ticket["updated_at"]))
        return path

    def _change(
        self, ticket_id: str, field: str, value: Any, at: str | None, user: str | None
    ) -> dict[str, Any]:
        return {
            "ticket_id": ticket_id,
            "field_name": field,
            "value": value,
            "updated": at,
            "user_id": user,
            "_fivetran_synced": self.synced,
        }

    def _tag(self, tables: dict[str, list[dict[str, Any]]], ticket_id: str, tag: str) -> None:
        tables["ticket_tag"].append(
            {"ticket_id": ticket_id, "tag": tag, "_fivetran_synced": self.synced}
        )

    def _escalation(
        self,
        tables: dict[str, list[dict[str, Any]]],
        ticket_id: str,
        escalation: dict[str, str | None],
        variant: dict[str, bool],
        agent: str,
    ) -> dict[str, Any]:
        """The escalation's tag or type field, its custom fields now and their history."""
        kind = escalation["escalation_type"] or ""
        if variant["escalation_by_tag"]:
            self._tag(tables, ticket_id, self.escalation_tags[kind] or kind)
        accepted = self.settings["escalation_accepted_value"]
        resolved = self.settings["escalation_resolved_value"]
        status = resolved if escalation["resolved_at"] else accepted
        status = status if escalation["accepted_at"] or escalation["resolved_at"] else "escalated"
        current = {
            "escalation_type_field": None if variant["escalation_by_tag"] else kind,
            "escalation_id_field": escalation["escalation_id"],
            "escalation_reason_field": escalation["reason"],
            "escalation_severity_field": escalation["severity"],
            "escalation_status_field": status,
            "escalation_outcome_field": escalation["outcome"],
        }
        escalated = escalation["escalated_at"]
        changes = [(name, current[name], escalated) for name in list(current)[:4]]
        changes.append(("escalation_status_field", "escalated", escalated))
        if escalation["accepted_at"]:
            changes.append(("escalation_status_field", accepted, escalation["accepted_at"]))
        if escalation["resolved_at"]:
            changes.append(("escalation_status_field", resolved, escalation["resolved_at"]))
            changes.append(
                ("escalation_outcome_field", escalation["outcome"], escalation["resolved_at"])
            )
        for name, value, at in changes:
            if value is not None and name in self.fields:
                tables["ticket_field_history"].append(
                    self._change(ticket_id, self.field_ids[name], value, at, agent)
                )
        return {name: value for name, value in current.items() if name in self.fields}

    def _conversation(
        self,
        tables: dict[str, list[dict[str, Any]]],
        ticket: dict[str, str | None],
        requester: str | None,
        agent: str,
        variant: dict[str, bool],
    ) -> None:
        ticket_id = ticket["ticket_id"] or ""
        comments = tables["ticket_comment"]

        def comment(number: int, user: str | None, at: str | None, public: bool) -> None:
            comments.append(
                {
                    "id": f"{ticket_id}_c{number}",
                    "ticket_id": ticket_id,
                    "user_id": user,
                    "created": at,
                    "public": public,
                    "body": "",
                    "_fivetran_deleted": False,
                    "_fivetran_synced": self.synced,
                }
            )

        comment(1, requester, ticket["created_at"], True)
        created, response = moment(ticket["created_at"]), moment(ticket["first_response_at"])
        if response is None or created is None:
            return
        if variant["note"]:
            comment(2, agent, (created + (response - created) / 2).isoformat(), False)
        if not variant["metrics"]:
            comment(3, agent, ticket["first_response_at"], True)
            return
        reply = int((response - created).total_seconds())
        tables["ticket_metrics"].append(
            {
                "id": f"{ticket_id}_m",
                "ticket_id": ticket_id,
                "created_at": ticket["created_at"],
                "updated_at": ticket["updated_at"],
                "solved_at": ticket["solved_at"],
                "reply_time_in_seconds": json.dumps({"business": reply, "calendar": reply}),
                "reply_time_in_minutes": json.dumps(
                    {"business": reply // 60, "calendar": reply // 60}
                ),
            }
        )

    def _rating(
        self,
        tables: dict[str, list[dict[str, Any]]],
        ticket: dict[str, str | None],
        variant: dict[str, bool],
    ) -> None:
        score = ticket["csat_good_bad"] or ticket["csat_rating"]
        if score is None and (not variant["offered"] or not ticket["solved_at"]):
            return
        tables["satisfaction_rating"].append(
            {
                "id": f"{ticket['ticket_id']}_r",
                "ticket_id": ticket["ticket_id"],
                "score": score or "offered",
                "created_at": ticket["solved_at"],
                "updated_at": ticket["updated_at"],
                "_fivetran_deleted": False,
                "_fivetran_synced": self.synced,
            }
        )

    # -- files
    def _write(self, out_dir: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
        for name, rows in tables.items():
            header = list(dict.fromkeys(column for row in rows for column in row))
            folder = out_dir / name
            if name == "ticket":
                write_vendor_parquet(folder / "ticket.parquet", header, rows)
            elif name == "ticket_comment":
                write_vendor_jsonl(folder / "ticket_comment.jsonl", rows)
            elif name == "ticket_field_history":
                plain = folder / "ticket_field_history.csv"
                write_vendor_csv(plain, header, rows)
                with (
                    plain.open("rb") as source,
                    gzip.open(plain.with_suffix(".csv.gz"), "wb") as gz,
                ):
                    shutil.copyfileobj(source, gz)
                plain.unlink()
            else:
                write_vendor_csv(folder / f"{name}.csv", header, rows)
