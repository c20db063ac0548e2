"""Salesforce (Sales Cloud) -> crm accounts, contacts, activities, csms and opportunities.

Reads the objects as Fivetran lands them (``account``, ``contact``, ``task``, ``event``,
``user``, ``opportunity`` and the lookups ``user_role``, ``profile``, ``record_type``; columns in
snake case, custom fields as ``region_c``). Every column also answers to its Salesforce API name
(``AccountId``, ``Region__c``), as Airbyte, the Bulk API and Data Loader export them.

Mapping decisions:

- **Ids** are normalised to the 18-character case-safe form: a 15-character id gets its checksum
  suffix, and an 18-character id whose letters a tool re-cased gets its capitals back from the
  suffix. 15-character ids are case-sensitive (``...aB`` and ``...Ab`` are two records), so
  matching case-insensitively on the first 15 would merge records; the 18-character form is what
  the API returns. Other ids (not 15/18 letters and digits) are kept as they are.
- **Versions**: per record the latest version counts (by LastModifiedDate, SystemModstamp,
  ``_fivetran_synced``, file and line); earlier ones are skipped as superseded, as are Fivetran
  history-mode rows with ``_fivetran_active`` false. A record whose latest version has IsDeleted
  or ``_fivetran_deleted`` true is skipped; references to it become empty where optional.
- **Instants** like ``2024-01-05T10:00:00.000+0000`` get a ``+00:00`` offset; a date-only value
  (Task ActivityDate) is midnight UTC; a date landed as a midnight timestamp (CloseDate) is a date.
- **csms** are the users of the CS team (``cs_team_field`` / ``cs_team_values``: Department, a
  user role or profile name, or a custom field); others are skipped, and an owner who is a known
  non-CS user (a sales rep, the integration user) leaves ``owner_csm_id`` / ``csm_id`` empty.
  Team and role come from fields named by settings; a blank role is ``manager`` for a user CS
  users report to, else ``csm``. hired_date is ``Hire_Date__c``, else the user's CreatedDate.
- **accounts**: Industry picklist labels through ``industry_map``; the country from
  BillingCountryCode, else BillingCountry (an ISO code or a country name); the region from a
  custom field, else from the country.
- **activities**: Tasks and Events; the type from Type, or when Type is blank from TaskSubtype /
  EventSubtype, through ``activity_types`` (to-dos and other unmapped types are skipped); the
  account from AccountId, else WhatId (an account, or an opportunity's account), else WhoId's
  contact; a WhoId that is a lead (``00Q``) leaves contact_id empty. Open tasks and events that
  have not started are skipped. Direction from a custom field, else CallType
  (Outbound/Inbound), else ``default_direction``.
- **opportunities**: renewal / expansion from Type, RecordType or a custom field
  (``opportunity_type_field``) through ``renewal_types`` / ``expansion_types``; other types (new
  business) are skipped. Stage from IsClosed / IsWon (StageName ``Closed Won`` / ``Closed Lost``
  when they are missing); closed_at is LastStageChangeDate, else LastModifiedDate, when closed.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cswh.vendors.base import (
    FIVETRAN_DELETED,
    Adapter,
    MappedBatch,
    NativeWorld,
    Option,
    VendorRow,
    VendorTable,
    contract_entity,
    normalise_header,
    parse_bool,
    parse_decimal,
    parse_instant,
    write_vendor_csv,
    write_vendor_jsonl,
    write_vendor_parquet,
)

FIVETRAN_ACTIVE = "_fivetran_active"  # history mode: false on every superseded version
FIVETRAN_SYNCED = "_fivetran_synced"
ELT_COLUMNS = (FIVETRAN_SYNCED, FIVETRAN_DELETED, FIVETRAN_ACTIVE)
AUDIT_COLUMNS = ("created_date", "last_modified_date", "system_modstamp")


def _columns(*names: str) -> dict[str, tuple[str, ...]]:
    """Fivetran column names; each also answers to its API name (``account_id``: AccountId,
    normalised ``accountid``), which is the Fivetran name without underscores."""
    columns: dict[str, tuple[str, ...]] = {}
    for name in (*names, *AUDIT_COLUMNS, *ELT_COLUMNS):
        api = name.replace("_", "")
        aliases = () if name.startswith("_") or name.endswith("_c") or api == name else (api,)
        columns.setdefault(name, aliases)
    return columns


ACCOUNT = VendorTable(
    "account",
    _columns(
        "id",
        "name",
        "industry",
        "number_of_employees",
        "billing_country",
        "billing_country_code",
        "owner_id",
        "is_deleted",
    ),
    required=frozenset({"id", "name", "created_date"}),
    description="Account: one row per company.",
)
CONTACT = VendorTable(
    "contact",
    _columns(
        "id",
        "account_id",
        "first_name",
        "last_name",
        "email",
        "title",
        "reports_to_id",
        "is_deleted",
    ),
    required=frozenset({"id", "account_id", "created_date"}),
    description="Contact: people at the accounts.",
)
_ACTIVITY_COLUMNS = ("id", "account_id", "what_id", "who_id", "owner_id", "type", "is_deleted")
TASK = VendorTable(
    "task",
    _columns(
        *_ACTIVITY_COLUMNS,
        "task_subtype",
        "call_type",
        "status",
        "is_closed",
        "activity_date",
        "completed_date_time",
    ),
    required=frozenset({"id"}),
    description="Task: logged calls, emails and to-dos.",
)
EVENT = VendorTable(
    "event",
    _columns(
        *_ACTIVITY_COLUMNS,
        "event_subtype",
        "activity_date",
        "activity_date_time",
        "start_date_time",
    ),
    required=frozenset({"id"}),
    description="Event: calendar events (meetings).",
)
USER = VendorTable(
    "user",
    _columns(
        "id",
        "name",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "manager_id",
        "department",
        "division",
        "title",
        "user_role_id",
        "profile_id",
    ),
    required=frozenset({"id"}),
    description="User: everyone with a Salesforce login; the CS team's users become CSMs.",
)
OPPORTUNITY = VendorTable(
    "opportunity",
    _columns(
        "id",
        "account_id",
        "owner_id",
        "type",
        "record_type_id",
        "stage_name",
        "is_closed",
        "is_won",
        "amount",
        "close_date",
        "last_stage_change_date",
        "is_deleted",
    ),
    required=frozenset({"id", "account_id", "close_date", "created_date"}),
    description="Opportunity: renewal and expansion deals.",
)
USER_ROLE = VendorTable(
    "user_role",
    _columns("id", "name", "developer_name"),
    required=frozenset({"id", "name"}),
    description="UserRole: role names, when the CS team is told by role.",
)
PROFILE = VendorTable(
    "profile",
    _columns("id", "name"),
    required=frozenset({"id", "name"}),
    description="Profile: profile names, when the CS team is told by profile.",
)
RECORD_TYPE = VendorTable(
    "record_type",
    _columns("id", "name", "developer_name", "sobject_type"),
    required=frozenset({"id", "name"}),
    description="RecordType: opportunity record types, when they tell renewals from expansions.",
)
TABLES = (ACCOUNT, CONTACT, TASK, EVENT, USER, OPPORTUNITY, USER_ROLE, PROFILE, RECORD_TYPE)
LOOKUP_TABLES = ("user_role", "profile", "record_type")

# Pseudo-fields a setting may name instead of a column: the name of a related record.
USER_ROLE_FIELD = "userrole"
PROFILE_FIELD = "profile"
RECORD_TYPE_FIELD = "recordtype"

LEAD_PREFIX = "00Q"  # WhoId of a lead: no contact of the contract
ACCOUNT_PREFIX = "001"  # WhatId of an account not delivered (yet)

SUPERSEDED = "superseded by a later version of the same record"
HISTORY_VERSION = "an earlier version kept by Fivetran history mode (_fivetran_active false)"
DELETED = "deleted in Salesforce (IsDeleted)"
FIVETRAN_GONE = "deleted in the source (_fivetran_deleted)"
PARENT_DELETED = "its account is deleted in Salesforce"

# ------------------------------------------------------------------------------------ ids

_ID_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")


def _id_suffix(id15: str) -> str:
    """The case-safe checksum: per 5 characters, a bit for each capital letter."""
    return "".join(
        _ID_SUFFIX_ALPHABET[
            sum(1 << i for i, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        ]
        for start in (0, 5, 10)
    )


def _recased(id15: str, suffix: str) -> str | None:
    """The 15 characters with the capitals the suffix names, or None if it names a digit."""
    chars = []
    for chunk, code in enumerate(suffix):
        bits = _ID_SUFFIX_ALPHABET.find(code)
        if bits < 0:
            return None
        for i, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            upper = bool(bits >> i & 1)
            if upper and not char.isalpha():
                return None
            chars.append(char.upper() if upper else char.lower())
    return "".join(chars)


def salesforce_id(value: str | None) -> str | None:
    """A record id in its 18-character case-safe form (other identifiers unchanged)."""
    if value is None or not _SALESFORCE_ID.match(value):
        return value
    if len(value) == 15:
        return value + _id_suffix(value)
    prefix, suffix = value[:15], value[15:].upper()
    if _id_suffix(prefix) == suffix:
        return prefix + suffix
    restored = _recased(prefix, suffix)  # a tool changed the case of the letters
    return restored + suffix if restored is not None else value


# ------------------------------------------------------------------------------------ values

_COMPACT_OFFSET = re.compile(r"(T[0-9:.]+)([+-][0-9]{2})([0-9]{2})$")
_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MIDNIGHT_DATE = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})([T ]00:00(:00(\.0+)?)?(Z|[+-]00:?00)?)?$"
)


def salesforce_instant(value: str | None) -> str | None:
    """Salesforce's ``2024-01-05T10:00:00.000+0000`` as contract text (``...+00:00``)."""
    if value is None:
        return None
    text = value.strip()
    if _DATE_ONLY.match(text):
        return text + "T00:00:00Z"
    return parse_instant(_COMPACT_OFFSET.sub(r"\1\2:\3", text))


def salesforce_date(value: str | None) -> str | None:
    """A date field; ELT tools may land it as a midnight timestamp."""
    if value is None:
        return None
    found = _MIDNIGHT_DATE.match(value.strip())
    return found.group(1) if found else value


def _moment(value: str | None) -> datetime | None:
    """An instant for ordering versions (None when missing or unreadable)."""
    text = salesforce_instant(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def label(text: str) -> str:
    """A picklist value for matching: ``High-Touch``, ``high_touch`` -> ``high touch``."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def _api_name(column: str) -> str:
    """``is_won`` -> ``IsWon`` for messages (custom fields are named as configured)."""
    return column if column.endswith("_c") else "".join(p.capitalize() for p in column.split("_"))


def _allowed(entity: str, column: str) -> tuple[str, ...]:
    return contract_entity(entity).column(column).allowed_values or ()


INDUSTRIES = _allowed("accounts", "industry")
REGIONS = _allowed("accounts", "region")
TOUCH_TIERS = _allowed("accounts", "touch_tier_override")
TEAMS = _allowed("csms", "team")
ROLES = _allowed("csms", "role")
ACTIVITY_TYPES = _allowed("activities", "activity_type")
DIRECTIONS = _allowed("activities", "direction")

# Standard Industry picklist labels (and common custom ones) -> contract industry.
DEFAULT_INDUSTRY_MAP = {
    "Technology": "software",
    "Software": "software",
    "Computer Software": "software",
    "Banking": "financial_services",
    "Finance": "financial_services",
    "Financial Services": "financial_services",
    "Insurance": "financial_services",
    "Healthcare": "healthcare",
    "Biotechnology": "healthcare",
    "Pharmaceuticals": "healthcare",
    "Retail": "retail",
    "Apparel": "retail",
    "Manufacturing": "manufacturing",
    "Machinery": "manufacturing",
    "Electronics": "manufacturing",
    "Chemicals": "manufacturing",
    "Education": "education",
    "Media": "media",
    "Entertainment": "media",
    "Communications": "media",
    "Consulting": "professional_services",
    "Engineering": "professional_services",
    "Professional Services": "professional_services",
}
DEFAULT_TEAM_VALUES = {
    "Enterprise": "enterprise",
    "Strategic": "enterprise",
    "Commercial": "commercial",
    "Mid-Market": "commercial",
    "Scale": "scale",
    "SMB": "scale",
    "Digital": "scale",
}
DEFAULT_ROLE_VALUES = {
    "Manager": "manager",
    "Team Lead": "manager",
    "Head of Customer Success": "manager",
    "CSM": "csm",
    "Customer Success Manager": "csm",
    "Specialist": "specialist",
    "Onboarding Specialist": "specialist",
}
DEFAULT_ACTIVITY_TYPES = {
    "Call": "call",
    "Email": "email",
    "ListEmail": "email",
    "List Email": "email",
    "Meeting": "meeting",
    "Event": "meeting",  # EventSubtype of a calendar event without a Type
    "Executive Business Review": "executive_business_review",
    "EBR": "executive_business_review",
    "QBR": "executive_business_review",
    "Content Engagement": "content_engagement",
    "Webinar": "webinar",
}
REGION_LABELS = {
    "north america": "north_america",
    "na": "north_america",
    "namer": "north_america",
    "emea": "emea",
    "apac": "apac",
    "asia pacific": "apac",
    "latam": "latam",
    "latin america": "latam",
}
DIRECTION_LABELS = {
    "proactive": "proactive",
    "outbound": "proactive",
    "reactive": "reactive",
    "inbound": "reactive",
}

# ISO code, default region, then the names Salesforce's country picklist and people use.
_COUNTRY_TABLE = """
US north_america United States|USA|United States of America|U.S.|U.S.A.
CA north_america Canada
MX latam Mexico
BR latam Brazil
AR latam Argentina
CL latam Chile
CO latam Colombia
PE latam Peru
UY latam Uruguay
EC latam Ecuador
CR latam Costa Rica
PA latam Panama
DO latam Dominican Republic
GB emea United Kingdom|UK|Great Britain|England
IE emea Ireland
DE emea Germany
FR emea France
NL emea Netherlands|The Netherlands
BE emea Belgium
LU emea Luxembourg
CH emea Switzerland
AT emea Austria
ES emea Spain
PT emea Portugal
IT emea Italy
SE emea Sweden
NO emea Norway
DK emea Denmark
FI emea Finland
IS emea Iceland
PL emea Poland
CZ emea Czechia|Czech Republic
SK emea Slovakia
HU emea Hungary
RO emea Romania
BG emea Bulgaria
GR emea Greece
HR emea Croatia
SI emea Slovenia
RS emea Serbia
EE emea Estonia
LV emea Latvia
LT emea Lithuania
UA emea Ukraine
CY emea Cyprus
MT emea Malta
TR emea Turkey|Türkiye
IL emea Israel
AE emea United Arab Emirates|UAE
SA emea Saudi Arabia
QA emea Qatar
KW emea Kuwait
BH emea Bahrain
OM emea Oman
JO emea Jordan
EG emea Egypt
MA emea Morocco
NG emea Nigeria
KE emea Kenya
ZA emea South Africa
AU apac Australia
NZ apac New Zealand
JP apac Japan
KR apac Korea, Republic of|South Korea|Korea
CN apac China
HK apac Hong Kong
TW apac Taiwan
SG apac Singapore
MY apac Malaysia
TH apac Thailand
VN apac Viet Nam|Vietnam
PH apac Philippines
ID apac Indonesia
IN apac India
PK apac Pakistan
BD apac Bangladesh
LK apac Sri Lanka
"""


def _countries() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(code -> default region, code -> picklist label, label(any name) -> code)."""
    regions, labels, codes = {}, {}, {}
    for line in _COUNTRY_TABLE.strip().splitlines():
        code, region, names = line.split(" ", 2)
        regions[code] = region
        labels[code] = names.split("|")[0]
        codes.update({label(name): code for name in names.split("|")})
    return regions, labels, codes


COUNTRY_REGION, COUNTRY_NAME, COUNTRY_CODE = _countries()
OPEN_TASK_STATUSES = {"not started", "in progress", "open", "waiting on someone else", "deferred"}


# (table, setting) for every setting that names a field of a table.
FIELD_SETTINGS = (
    ("user", "cs_team_field"),
    ("user", "team_field"),
    ("user", "role_field"),
    ("user", "quota_field"),
    ("user", "hired_date_field"),
    ("account", "region_field"),
    ("account", "touch_tier_field"),
    ("task", "direction_field"),
    ("task", "content_category_field"),
    ("event", "direction_field"),
    ("event", "content_category_field"),
    ("opportunity", "opportunity_type_field"),
)
FLAG_TABLES = {
    "executive": ("contact",),
    "decision_maker": ("contact",),
    "champion": ("contact",),
    "high_value": ("task", "event"),
}


class RowProblem(ValueError):
    """What is wrong with one vendor row, and what to do (the quarantine reason)."""


def _vocabulary(allowed: Iterable[str]) -> dict[str, str]:
    """label -> contract value, for picklists holding the contract's own values."""
    return {label(value): value for value in allowed}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class _Flag:
    """A contact flag: a checkbox field, or ``Field__c=Value`` (a picklist holding Value)."""

    def __init__(self, spec: str) -> None:
        field, _, value = spec.partition("=")
        self.spec = spec
        self.field = field.strip()
        self.column = normalise_header(field)
        self.value = label(value) if value.strip() else None

    def __call__(self, row: VendorRow) -> bool:
        raw = row[self.column]
        if self.value is None:
            try:
                return bool(parse_bool(raw))
            except ValueError as error:
                raise RowProblem(f"{self.spec}: {error}") from None
        return raw is not None and self.value in {label(v) for v in raw.split(";")}


class SalesforceAdapter(Adapter):
    vendor = "salesforce"
    title = "Salesforce"
    source_system = "crm"
    tables = TABLES
    produces = ("accounts", "contacts", "activities", "csms", "opportunities")
    options = (
        Option(
            "cs_team_field",
            "Department",
            "User field telling the CS team's users: Department, Division, Title, UserRole or "
            "Profile (their name), or a custom field",
        ),
        Option("cs_team_values", ["Customer Success"], "values of cs_team_field for the CS team"),
        Option("team_field", "Division", "User field holding the CS team (segment)"),
        Option(
            "team_values", DEFAULT_TEAM_VALUES, "team_field value -> enterprise/commercial/scale"
        ),
        Option("role_field", "CS_Role__c", "User field holding the CSM role"),
        Option("role_values", DEFAULT_ROLE_VALUES, "role_field value -> manager/csm/specialist"),
        Option("quota_field", "Annual_Renewal_Quota__c", "User field: annual renewal quota"),
        Option("hired_date_field", "Hire_Date__c", "User field: hire date (else CreatedDate)"),
        Option("region_field", "Region__c", "Account field: sales region (else from country)"),
        Option("touch_tier_field", "Touch_Tier_Override__c", "Account field: touch-tier override"),
        Option("industry_map", DEFAULT_INDUSTRY_MAP, "Account Industry label -> contract industry"),
        Option("executive_field", "Is_Executive__c", "Contact checkbox, or Field=Value"),
        Option("decision_maker_field", "Is_Decision_Maker__c", "Contact checkbox, or Field=Value"),
        Option("champion_field", "Is_Champion__c", "Contact checkbox, or Field=Value"),
        Option(
            "activity_types",
            DEFAULT_ACTIVITY_TYPES,
            "Task/Event Type, TaskSubtype or EventSubtype -> contract activity_type",
        ),
        Option("direction_field", "Direction__c", "Task/Event field: proactive/reactive"),
        Option("default_direction", "proactive", "direction when neither field nor CallType says"),
        Option("high_value_field", "Is_High_Value__c", "Task/Event checkbox, or Field=Value"),
        Option("content_category_field", "Content_Category__c", "Task/Event content category"),
        Option(
            "opportunity_type_field",
            "Type",
            "Opportunity field telling renewals from expansions: Type, RecordType or a custom one",
        ),
        Option("renewal_types", ["Renewal", "Existing Customer - Renewal"], "renewal values"),
        Option(
            "expansion_types",
            ["Expansion", "Upsell", "Cross-sell", "Existing Customer - Upgrade"],
            "expansion values",
        ),
    )

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        s = self.settings
        self.industries = self._checked_map("industry_map", INDUSTRIES)
        self.teams = self._checked_map("team_values", TEAMS)
        self.roles = self._checked_map("role_values", ROLES)
        self.activity_types = self._checked_map("activity_types", ACTIVITY_TYPES)
        if s["default_direction"] not in DIRECTIONS:
            raise ValueError(f"{self.vendor}: default_direction must be one of {DIRECTIONS}")
        self.cs_team_values = {label(v) for v in _as_list(s["cs_team_values"])}
        self.renewal_types = {label(v) for v in _as_list(s["renewal_types"])}
        self.expansion_types = {label(v) for v in _as_list(s["expansion_types"])}
        both = self.renewal_types & self.expansion_types
        if both:
            raise ValueError(f"{self.vendor}: {sorted(both)} in both renewal and expansion types")
        self.flags = {
            name: _Flag(str(s[f"{name}_field"]))
            for name in ("executive", "decision_maker", "champion", "high_value")
        }
        # The fields the settings name become columns of the tables (instance tables, so two
        # configurations never share them).
        fields: dict[str, list[str]] = defaultdict(list)
        for table, option in FIELD_SETTINGS:
            fields[table].append(str(s[option]))
        for name, tables in FLAG_TABLES.items():
            for table in tables:
                fields[table].append(self.flags[name].field)
        self.tables = tuple(_with_fields(table, fields[table.name]) for table in TABLES)
        self.columns = {
            (table, option): _field_column(self.table(table), str(s[option]))
            for table, option in FIELD_SETTINGS
        }
        for name, tables in FLAG_TABLES.items():
            self.flags[name].column = _field_column(self.table(tables[0]), self.flags[name].field)

    def _checked_map(self, option: str, allowed: tuple[str, ...]) -> dict[str, str]:
        mapping = self.settings[option]
        if not isinstance(mapping, Mapping):
            raise ValueError(f"{self.vendor}: {option} must map values to {'/'.join(allowed)}")
        wrong = sorted(str(v) for v in mapping.values() if v not in allowed)
        if wrong:
            raise ValueError(
                f"{self.vendor}: {option} maps to {', '.join(wrong)}; use {'/'.join(allowed)}"
            )
        # The map is the whole truth (no contract value is implied), so a team can leave out
        # a type it does not want, e.g. automated emails.
        return {label(str(key)): value for key, value in mapping.items()}

    # -------------------------------------------------------------------------------- mapping

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        self.batch = batch
        self.gone: dict[str, set[str]] = defaultdict(set)  # deleted or skipped records by table
        current = {t.name: self._current(t.name, rows.get(t.name, [])) for t in TABLES}
        self.current = current
        self.lookups = {name: current[name] for name in LOOKUP_TABLES}
        self.cs_users = self._cs_users(current["user"])
        self.managers = {salesforce_id(u["manager_id"]) for u in self.cs_users.values()}
        self.contact_accounts = {
            rid: salesforce_id(row["account_id"]) for rid, row in current["contact"].items()
        }
        for record, account in self.contact_accounts.items():
            if account is None or account in self.gone["account"]:
                self.gone["contact"].add(record)  # skipped below; references to it are empty
        self.opportunity_accounts = {
            rid: salesforce_id(row["account_id"]) for rid, row in current["opportunity"].items()
        }
        self._each(self.cs_users.values(), self._csm)
        self._each(current["account"].values(), self._account)
        self._each(current["contact"].values(), self._contact)
        self._each(current["opportunity"].values(), self._opportunity)
        self._each(current["task"].values(), lambda row: self._activity(row, "task"))
        self._each(current["event"].values(), lambda row: self._activity(row, "event"))
        for name in LOOKUP_TABLES:
            for row in current[name].values():
                batch.skip(row, f"{name} not needed by the current settings")

    def _each(self, rows: Iterable[VendorRow], make: Callable[[VendorRow], None]) -> None:
        for row in rows:
            try:
                make(row)
            except RowProblem as problem:
                self.batch.quarantine(row, str(problem))

    def _current(self, table: str, rows: list[VendorRow]) -> dict[str, VendorRow]:
        """The latest version of each record that still exists; the other rows are settled."""
        versions: dict[str, list[VendorRow]] = defaultdict(list)
        for row in rows:
            try:
                if parse_bool(row[FIVETRAN_ACTIVE]) is False:
                    self.batch.skip(row, HISTORY_VERSION)
                    continue
            except ValueError as error:
                self.batch.quarantine(row, f"_fivetran_active: {error}")
                continue
            record = salesforce_id(row["id"])
            if record is None:
                self.batch.quarantine(row, "Id is empty; export the records with their Id")
                continue
            versions[record].append(row)
        current: dict[str, VendorRow] = {}
        for record, group in versions.items():
            group.sort(key=_version_order)
            for older in group[:-1]:
                self.batch.skip(older, SUPERSEDED)
            latest = group[-1]
            try:
                deleted = parse_bool(latest["is_deleted"])
                gone = parse_bool(latest[FIVETRAN_DELETED])
            except ValueError as error:
                self.batch.quarantine(latest, f"IsDeleted / _fivetran_deleted: {error}")
                continue
            if deleted or gone:
                self.batch.skip(latest, DELETED if deleted else FIVETRAN_GONE)
                self.gone[table].add(record)
            else:
                current[record] = latest
        return current

    # -- users -> csms

    def _user_value(self, row: VendorRow, option: str) -> str | None:
        """The value of the user field a setting names (a role or profile: its name)."""
        spec = normalise_header(str(self.settings[option]))
        if spec.replace("_", "") in (USER_ROLE_FIELD, PROFILE_FIELD):
            table, column = (
                ("user_role", "user_role_id")
                if spec.replace("_", "") == USER_ROLE_FIELD
                else ("profile", "profile_id")
            )
            related = salesforce_id(row[column])
            if related is None:
                return None
            found = self.lookups[table].get(related)
            if found is None:
                raise RowProblem(
                    f"{_api_name(column)} {related} is not in the {table} table; deliver "
                    f"{table} (its names tell {option})"
                )
            self.batch.used(found)
            return found["name"]
        return row[self.columns[("user", option)]]

    def _cs_users(self, users: dict[str, VendorRow]) -> dict[str, VendorRow]:
        """The CS team's users; the others are skipped (and no owner of the contract)."""
        cs: dict[str, VendorRow] = {}
        wanted = "/".join(_as_list(self.settings["cs_team_values"]))
        for record, row in users.items():
            try:
                value = self._user_value(row, "cs_team_field")
            except RowProblem as problem:
                self.batch.quarantine(row, str(problem))
                continue
            if value is not None and label(value) in self.cs_team_values:
                cs[record] = row
            else:
                self.gone["user"].add(record)
                self.batch.skip(
                    row, f"not in the CS team ({self.settings['cs_team_field']} not {wanted})"
                )
        return cs

    def _csm_ref(self, owner: str | None) -> str | None:
        """A CSM reference: empty for a known user outside the CS team."""
        owner = salesforce_id(owner)
        return None if owner in self.gone["user"] else owner

    def _csm(self, row: VendorRow) -> None:
        record = salesforce_id(row["id"])
        role_value = self._user_value(row, "role_field")
        if role_value is None:
            role = "manager" if record in self.managers else "csm"
        else:
            role = self.roles.get(label(role_value))
            if role is None:
                raise RowProblem(
                    f"{self.settings['role_field']} '{role_value}' is no CSM role; add it to "
                    f"role_values ({'/'.join(ROLES)})"
                )
        team_value = self._user_value(row, "team_field")
        team = self.teams.get(label(team_value)) if team_value is not None else None
        if team is None:
            raise RowProblem(
                f"{self.settings['team_field']} '{team_value or ''}' is no CS team; set it, or "
                f"add it to team_values ({'/'.join(TEAMS)})"
            )
        name = row["name"] or " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        hired = row[self.columns[("user", "hired_date_field")]]
        created = salesforce_instant(row["created_date"])
        self.batch.emit(
            "csms",
            {
                "csm_id": record,
                "full_name": name or None,
                "email": row["email"],
                "team": team,
                "role": role,
                "manager_csm_id": self._csm_ref(row["manager_id"]),
                "annual_renewal_quota": _decimal(row, self.columns[("user", "quota_field")]),
                "hired_date": salesforce_date(hired) if hired else (created or "")[:10] or None,
                "is_active": _bool(row, "is_active"),
                "updated_at": _updated_at(row),
            },
            row,
        )

    # -- accounts

    def _account(self, row: VendorRow) -> None:
        industry = row["industry"]
        mapped_industry = None
        if industry is not None:
            mapped_industry = self.industries.get(label(industry))
            if mapped_industry is None:
                raise RowProblem(
                    f"Industry '{industry}' has no contract industry; add it to industry_map "
                    f"({'/'.join(INDUSTRIES)})"
                )
        country = self._country(row)
        region_column = self.columns[("account", "region_field")]
        region_value = row[region_column]
        if region_value is not None:
            region = REGION_LABELS.get(label(region_value))
            if region is None:
                raise RowProblem(
                    f"{self.settings['region_field']} '{region_value}' is not {'/'.join(REGIONS)}"
                )
        else:
            region = COUNTRY_REGION.get(country or "")
            if region is None and country is not None:
                raise RowProblem(
                    f"{self.settings['region_field']} is empty and country {country} has no "
                    f"default region; fill {self.settings['region_field']}"
                )
        tier_value = row[self.columns[("account", "touch_tier_field")]]
        tier = None
        if tier_value is not None:
            tier = _vocabulary(TOUCH_TIERS).get(label(tier_value))
            if tier is None:
                raise RowProblem(
                    f"{self.settings['touch_tier_field']} '{tier_value}' is not "
                    f"{'/'.join(TOUCH_TIERS)}"
                )
        self.batch.emit(
            "accounts",
            {
                "account_id": salesforce_id(row["id"]),
                "account_name": row["name"],
                "industry": mapped_industry,
                "employee_count": _integer(row, "number_of_employees"),
                "region": region,
                "country": country,
                "owner_csm_id": self._csm_ref(row["owner_id"]),
                "touch_tier_override": tier,
                "created_at": salesforce_instant(row["created_date"]),
                "updated_at": _updated_at(row),
            },
            row,
        )

    @staticmethod
    def _country(row: VendorRow) -> str | None:
        value = row["billing_country_code"] or row["billing_country"]
        if value is None:
            return None
        if re.fullmatch(r"[A-Za-z]{2}", value):
            return value.upper()
        code = COUNTRY_CODE.get(label(value))
        if code is None:
            raise RowProblem(
                f"BillingCountry '{value}' is no country this adapter knows; deliver "
                "BillingCountryCode (State and Country Picklists) or an ISO 3166 code"
            )
        return code

    # -- contacts

    def _contact(self, row: VendorRow) -> None:
        record = salesforce_id(row["id"])
        account = salesforce_id(row["account_id"])
        if account is None:
            self.batch.skip(row, "a private contact (no AccountId)")
            return
        if account in self.gone["account"]:
            self.batch.skip(row, PARENT_DELETED)
            return
        reports_to = salesforce_id(row["reports_to_id"])
        self.batch.emit(
            "contacts",
            {
                "contact_id": record,
                "account_id": account,
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "email": row["email"],
                "title": row["title"],
                "is_executive": self.flags["executive"](row),
                "is_decision_maker": self.flags["decision_maker"](row),
                "is_champion": self.flags["champion"](row),
                "reports_to_contact_id": None if reports_to in self.gone["contact"] else reports_to,
                "created_at": salesforce_instant(row["created_date"]),
                "updated_at": _updated_at(row),
            },
            row,
        )

    # -- opportunities

    def _opportunity_kind(self, row: VendorRow) -> tuple[str | None, str]:
        """(renewal / expansion / None, the value that said so)."""
        spec = normalise_header(str(self.settings["opportunity_type_field"]))
        if spec.replace("_", "") == RECORD_TYPE_FIELD:
            record_type = salesforce_id(row["record_type_id"])
            found = self.lookups["record_type"].get(record_type) if record_type else None
            if record_type is not None and found is None:
                raise RowProblem(
                    f"RecordTypeId {record_type} is not in the record_type table; deliver "
                    "record_type (its names tell renewals from expansions)"
                )
            if found is not None:
                self.batch.used(found)
            names = [found["name"], found["developer_name"]] if found else []
        else:
            names = [row[self.columns[("opportunity", "opportunity_type_field")]]]
        for name in (n for n in names if n):
            if label(name) in self.renewal_types:
                return "renewal", name
            if label(name) in self.expansion_types:
                return "expansion", name
        return None, next((n for n in names if n), "")

    def _opportunity(self, row: VendorRow) -> None:
        kind, value = self._opportunity_kind(row)
        field = self.settings["opportunity_type_field"]
        if kind is None:
            reason = (
                f"{field} not a renewal or expansion type (new business or another pipeline)"
                if value
                else f"no {field} (not a renewal or expansion)"
            )
            self.batch.skip(row, reason)
            return
        account = salesforce_id(row["account_id"])
        if account in self.gone["account"]:
            self.batch.skip(row, PARENT_DELETED)
            return
        is_closed, is_won = _bool(row, "is_closed"), _bool(row, "is_won")
        stage_name = label(row["stage_name"] or "")
        if is_closed is None:
            is_closed = stage_name in ("closed won", "closed lost")
            is_won = stage_name == "closed won"
        stage = "open" if not is_closed else "closed_won" if is_won else "closed_lost"
        closed_at = None
        if is_closed:
            closed_at = salesforce_instant(row["last_stage_change_date"]) or _updated_at(row)
        self.batch.emit(
            "opportunities",
            {
                "opportunity_id": salesforce_id(row["id"]),
                "account_id": account,
                "owner_csm_id": self._csm_ref(row["owner_id"]),
                "opportunity_type": kind,
                "stage": stage,
                "amount": _decimal(row, "amount"),
                "close_date": salesforce_date(row["close_date"]),
                "created_at": salesforce_instant(row["created_date"]),
                "closed_at": closed_at,
                "updated_at": _updated_at(row),
            },
            row,
        )

    # -- tasks and events -> activities

    def _activity_type(self, row: VendorRow, table: str) -> tuple[str | None, str]:
        """(contract activity type or None, the skip reason): Type decides when it is filled,
        else TaskSubtype / EventSubtype."""
        if row["type"] is not None:
            return self.activity_types.get(
                label(row["type"])
            ), f"{table} Type not in activity_types"
        subtype = "task_subtype" if table == "task" else "event_subtype"
        value = self.activity_types.get(label(row[subtype] or ""))
        return value, f"{table} without Type, {_api_name(subtype)} not in activity_types"

    def _activity_account(self, row: VendorRow) -> str | None:
        account = salesforce_id(row["account_id"])
        if account is not None:
            return account
        what = salesforce_id(row["what_id"])
        if what is not None:
            if what in self.current["account"] or what in self.gone["account"]:
                return what
            if what in self.opportunity_accounts:
                return self.opportunity_accounts[what]
            if what.startswith(ACCOUNT_PREFIX):
                return what
        who = salesforce_id(row["who_id"])
        return self.contact_accounts.get(who) if who is not None else None

    def _activity(self, row: VendorRow, table: str) -> None:
        activity_type, unmapped = self._activity_type(row, table)
        if activity_type is None:
            self.batch.skip(row, unmapped)
            return
        if table == "task":
            closed = _bool(row, "is_closed")
            if closed is None:
                closed = label(row["status"] or "") not in OPEN_TASK_STATUSES
            if not closed:
                self.batch.skip(row, "an open task (not done yet)")
                return
            occurred = _first_value(row, "completed_date_time", "activity_date", "created_date")
        else:
            occurred = _first_value(row, "start_date_time", "activity_date_time", "activity_date")
            start = _moment(occurred)
            if start is not None and start > datetime.now(UTC):
                self.batch.skip(row, "an event that has not started yet")
                return
        account = self._activity_account(row)
        if account is None:
            raise RowProblem(
                "no account: AccountId, WhatId and WhoId name no account; relate the "
                f"{table} to an account or one of its contacts or opportunities"
            )
        if account in self.gone["account"]:
            self.batch.skip(row, PARENT_DELETED)
            return
        who = salesforce_id(row["who_id"])
        if who is not None and (who.startswith(LEAD_PREFIX) or who in self.gone["contact"]):
            who = None  # a lead, or a contact that is gone: no contact of the contract
        direction_column = self.columns[(table, "direction_field")]
        direction_value = row[direction_column] or row["call_type"]
        if direction_value is None:
            direction = self.settings["default_direction"]
        else:
            direction = DIRECTION_LABELS.get(label(direction_value))
            if direction is None and row[direction_column] is not None:
                raise RowProblem(
                    f"{self.settings['direction_field']} '{direction_value}' is not "
                    "proactive/reactive (or Outbound/Inbound)"
                )
            direction = direction or self.settings["default_direction"]  # CallType Internal
        category = row[self.columns[(table, "content_category_field")]]
        self.batch.emit(
            "activities",
            {
                "activity_id": salesforce_id(row["id"]),
                "account_id": account,
                "contact_id": who,
                "csm_id": self._csm_ref(row["owner_id"]),
                "activity_type": activity_type,
                "content_category": label(category).replace(" ", "_") if category else None,
                "direction": direction,
                "is_high_value": self.flags["high_value"](row),
                "occurred_at": salesforce_instant(occurred),
                "updated_at": _updated_at(row),
            },
            row,
        )

    # -------------------------------------------------------------------------------- dialect

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> None:
        _DialectWriter(self, native, out_dir).write()


# ------------------------------------------------------------------------------------ helpers


def _with_fields(table: VendorTable, fields: list[str]) -> VendorTable:
    """``table`` with the fields settings name: ``IsHighPriority`` is Fivetran's
    ``is_high_priority`` (and the API name an alias), ``Region__c`` is ``region_c``."""
    columns = dict(table.columns)
    for field in fields:
        compact = normalise_header(field)
        if compact.replace("_", "") in (USER_ROLE_FIELD, PROFILE_FIELD, RECORD_TYPE_FIELD):
            continue  # the name of a related record, not a column
        if _known_column(columns, field) is None:
            snake = normalise_header(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field))
            if field.lower().endswith("__c"):
                snake = compact  # Fivetran keeps a custom field's own words: region_c
            columns[snake] = () if snake == compact else (compact,)
    return VendorTable(table.name, columns, table.required, table.description)


def _known_column(columns: Mapping[str, tuple[str, ...]], field: str) -> str | None:
    wanted = normalise_header(field)
    for column, aliases in columns.items():
        if wanted == column or wanted in (normalise_header(a) for a in aliases):
            return column
    return None


def _field_column(table: VendorTable | None, field: str) -> str:
    """The column of ``table`` a setting's field name (Fivetran or API name) stands for."""
    assert table is not None
    return _known_column(table.columns, field) or normalise_header(field)


def _version_order(row: VendorRow) -> tuple:
    never = datetime.min.replace(tzinfo=UTC)
    return (
        _moment(row["last_modified_date"]) or never,
        _moment(row["system_modstamp"]) or never,
        _moment(row[FIVETRAN_SYNCED]) or never,
        row.file,
        row.line,
    )


def _first_value(row: VendorRow, *columns: str) -> str | None:
    return next((row[c] for c in columns if row[c] is not None), None)


def _updated_at(row: VendorRow) -> str | None:
    return salesforce_instant(_first_value(row, "last_modified_date", "system_modstamp"))


def _bool(row: VendorRow, column: str) -> bool | None:
    try:
        return parse_bool(row[column])
    except ValueError as error:
        raise RowProblem(f"{_api_name(column)}: {error}") from None


def _decimal(row: VendorRow, column: str) -> str | None:
    try:
        value = parse_decimal(row[column])
    except ValueError as error:
        raise RowProblem(f"{_api_name(column)}: {error}") from None
    return None if value is None else format(value, "f")


def _integer(row: VendorRow, column: str) -> str | None:
    value = _decimal(row, column)
    if value is None:
        return None
    number = Decimal(value)
    if number != number.to_integral_value():
        raise RowProblem(f"{_api_name(column)}: '{row[column]}' is not a whole number")
    return str(int(number))


# ------------------------------------------------------------------------------------ dialect


def _api_instant(value: str | None) -> str | None:
    """Contract text as the Salesforce API writes instants: ``2024-01-05T10:00:00.000+0000``."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _first_label(mapping: Mapping[str, str]) -> dict[str, str]:
    """contract value -> the first label mapping to it (the writer's picklist value)."""
    labels: dict[str, str] = {}
    for key, value in mapping.items():
        labels.setdefault(value, key)
    return labels


INTEGRATION_USER = "integration_user"  # owns records no CSM owns, as in every org


class _DialectWriter:
    """A native world's CRM rows as Fivetran (and, for some tables, Airbyte) would land them."""

    def __init__(self, adapter: SalesforceAdapter, native: NativeWorld, out_dir: Path) -> None:
        self.adapter = adapter
        self.native = native
        self.out = out_dir
        s = adapter.settings
        self.field = {
            option: normalise_header(str(s[option]))
            for option in (
                "region_field",
                "touch_tier_field",
                "direction_field",
                "content_category_field",
                "opportunity_type_field",
            )
        }
        self.flag_field = {
            name: adapter.flags[name].column
            for name in ("executive", "decision_maker", "champion", "high_value")
        }
        self.industry_label = _first_label(s["industry_map"])
        self.team_label = _first_label(s["team_values"])
        self.role_label = _first_label(s["role_values"])
        self.type_label = _first_label(s["activity_types"])

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self._users()
        self._accounts()
        self._contacts()
        self._opportunities()
        self._activities()

    def _owner(self, csm: str | None) -> str:
        return csm or INTEGRATION_USER

    def _users(self) -> None:
        """User as a Data Loader export: API-name headers (the settings' field names) and
        Salesforce instants; plus the integration user that owns what no CSM owns."""
        s = self.adapter.settings
        rows = []
        for csm in self.native.rows("csms"):
            first_name, _, last_name = (csm["full_name"] or "").partition(" ")
            rows.append(
                {
                    "Id": csm["csm_id"],
                    "Name": csm["full_name"],
                    "FirstName": first_name or None,
                    "LastName": last_name or None,
                    "Email": csm["email"],
                    "IsActive": csm["is_active"],
                    "ManagerId": csm["manager_csm_id"],
                    s["cs_team_field"]: _as_list(s["cs_team_values"])[0],
                    s["team_field"]: self.team_label.get(csm["team"], csm["team"]),
                    s["role_field"]: self.role_label.get(csm["role"], csm["role"]),
                    s["quota_field"]: csm["annual_renewal_quota"],
                    s["hired_date_field"]: csm["hired_date"],
                    "CreatedDate": _api_instant(f"{csm['hired_date']}T00:00:00Z"),
                    "LastModifiedDate": _api_instant(csm["updated_at"]),
                    "SystemModstamp": _api_instant(csm["updated_at"]),
                }
            )
        earliest = min((r["CreatedDate"] for r in rows), default="2020-01-01T00:00:00.000+0000")
        rows.append(
            {
                "Id": INTEGRATION_USER,
                "Name": "Integration User",
                "LastName": "Integration User",
                "IsActive": "true",
                s["cs_team_field"]: "Systems",
                "CreatedDate": earliest,
                "LastModifiedDate": earliest,
                "SystemModstamp": earliest,
            }
        )
        write_vendor_csv(self.out / "user" / "user.csv", _header(rows), rows)

    def _accounts(self) -> None:
        rows = []
        for account in self.native.rows("accounts"):
            country = account["country"]
            rows.append(
                {
                    "id": account["account_id"],
                    "name": account["account_name"],
                    "industry": self.industry_label.get(account["industry"], account["industry"]),
                    "number_of_employees": account["employee_count"],
                    "billing_country": COUNTRY_NAME.get(country or "", country),
                    "billing_country_code": country,
                    "owner_id": self._owner(account["owner_csm_id"]),
                    "is_deleted": "false",
                    self.field["region_field"]: _region_label(account["region"]),
                    self.field["touch_tier_field"]: _title(account["touch_tier_override"]),
                    "created_date": account["created_at"],
                    "last_modified_date": account["updated_at"],
                    "system_modstamp": account["updated_at"],
                    FIVETRAN_SYNCED: account["updated_at"],
                    FIVETRAN_DELETED: "false",
                }
            )
        write_vendor_csv(self.out / "account" / "account.csv", _header(rows), rows)

    def _contacts(self) -> None:
        """Contact as gzip CSV, as a warehouse unload writes it."""
        rows = []
        for contact in self.native.rows("contacts"):
            rows.append(
                {
                    "id": contact["contact_id"],
                    "account_id": contact["account_id"],
                    "first_name": contact["first_name"],
                    "last_name": contact["last_name"],
                    "email": contact["email"],
                    "title": contact["title"],
                    "reports_to_id": contact["reports_to_contact_id"],
                    self.flag_field["executive"]: contact["is_executive"],
                    self.flag_field["decision_maker"]: contact["is_decision_maker"],
                    self.flag_field["champion"]: contact["is_champion"],
                    "is_deleted": "false",
                    "created_date": contact["created_at"],
                    "last_modified_date": contact["updated_at"],
                    "system_modstamp": contact["updated_at"],
                    FIVETRAN_SYNCED: contact["updated_at"],
                }
            )
        plain = self.out / "contact" / "contact.csv"
        write_vendor_csv(plain, _header(rows), rows)
        plain.with_name("contact.csv.gz").write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
        plain.unlink()

    def _opportunities(self) -> None:
        renewal_types = _as_list(self.adapter.settings["renewal_types"])
        expansion_types = _as_list(self.adapter.settings["expansion_types"])
        # Type as teams fill it; the record types carry the plain names.
        type_value = {"renewal": renewal_types[0], "expansion": expansion_types[-1]}
        record_types = {"renewal": "record_type_renewal", "expansion": "record_type_expansion"}
        write_vendor_csv(
            self.out / "record_type" / "record_type.csv",
            ["id", "name", "developer_name", "sobject_type"],
            [
                {
                    "id": record_types[kind],
                    "name": name,
                    "developer_name": name.replace(" ", "_"),
                    "sobject_type": "Opportunity",
                }
                for kind, name in (("renewal", renewal_types[0]), ("expansion", expansion_types[0]))
            ],
        )
        stage_names = {"open": "Negotiation/Review", "closed_won": "Closed Won"}
        rows = []
        for opportunity in self.native.rows("opportunities"):
            kind, stage = opportunity["opportunity_type"], opportunity["stage"]
            rows.append(
                {
                    "id": opportunity["opportunity_id"],
                    "account_id": opportunity["account_id"],
                    "owner_id": self._owner(opportunity["owner_csm_id"]),
                    self.field["opportunity_type_field"]: type_value[kind or "renewal"],
                    "record_type_id": record_types[kind or "renewal"],
                    "stage_name": stage_names.get(stage or "", "Closed Lost"),
                    "is_closed": "false" if stage == "open" else "true",
                    "is_won": "true" if stage == "closed_won" else "false",
                    "amount": opportunity["amount"],
                    "close_date": opportunity["close_date"],
                    "last_stage_change_date": opportunity["closed_at"],
                    "is_deleted": "false",
                    "created_date": opportunity["created_at"],
                    "last_modified_date": opportunity["updated_at"],
                    "system_modstamp": opportunity["updated_at"],
                    FIVETRAN_SYNCED: opportunity["updated_at"],
                }
            )
        write_vendor_csv(self.out / "opportunity" / "opportunity.csv", _header(rows), rows)

    def _activities(self) -> None:
        """Calls, emails and content as Tasks (Parquet); meetings, reviews and webinars as
        Events (JSON lines as Airbyte lands them: API names inside ``_airbyte_data``)."""
        tasks, events = [], []
        for activity in self.native.rows("activities"):
            kind = activity["activity_type"] or ""
            common = {
                "id": activity["activity_id"],
                "account_id": activity["account_id"],
                "what_id": activity["account_id"],
                "who_id": activity["contact_id"],
                "owner_id": self._owner(activity["csm_id"]),
                "type": self.type_label.get(kind, kind),
                self.field["content_category_field"]: _title(activity["content_category"]),
                self.field["direction_field"]: _title(activity["direction"]),
                self.flag_field["high_value"]: activity["is_high_value"],
                "is_deleted": "false",
                "created_date": activity["updated_at"],
                "last_modified_date": activity["updated_at"],
                "system_modstamp": activity["updated_at"],
            }
            occurred = activity["occurred_at"]
            if kind in ("meeting", "executive_business_review", "webinar"):
                events.append(
                    {
                        **common,
                        "event_subtype": "Event",
                        "activity_date": (occurred or "")[:10] or None,
                        "activity_date_time": occurred,
                        "start_date_time": occurred,
                    }
                )
                continue
            task = {
                **common,
                "task_subtype": {"call": "Call", "email": "Email"}.get(kind, "Task"),
                "status": "Completed",
                "is_closed": "true",
                "activity_date": (occurred or "")[:10] or None,
                "completed_date_time": occurred,
                "call_type": None,
            }
            if kind == "call":  # the standard field, as Salesforce's Log a Call fills it
                task["call_type"] = {"proactive": "Outbound", "reactive": "Inbound"}.get(
                    activity["direction"] or ""
                )
                task[self.field["direction_field"]] = None
            tasks.append(task)
        write_vendor_parquet(self.out / "task" / "task.parquet", _header(tasks), tasks)
        write_vendor_jsonl(
            self.out / "event" / "event.jsonl",
            (
                {
                    "_airbyte_ab_id": event["id"],
                    "_airbyte_emitted_at": 0,
                    "_airbyte_data": _api_record(event),
                }
                for event in events
            ),
        )


def _api_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Fivetran-named row with Salesforce API names and instants (as Airbyte lands it)."""
    record: dict[str, Any] = {}
    for column, value in row.items():
        name = column if column.endswith("_c") else _api_name(column)
        if column.endswith("_c"):  # custom fields keep their API spelling: Direction__c
            name = "_".join(p.capitalize() for p in column[:-2].split("_")) + "__c"
        if isinstance(value, str) and re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T", value):
            value = _api_instant(value)
        elif value in ("true", "false"):
            value = value == "true"
        record[name] = value
    return record


def _header(rows: list[dict[str, Any]]) -> list[str]:
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))
    return list(header) or ["id"]


def _title(value: str | None) -> str | None:
    """``high_touch`` -> ``High Touch`` (a picklist label)."""
    return None if value is None else " ".join(p.capitalize() for p in value.split("_"))


def _region_label(region: str | None) -> str | None:
    labels = {"north_america": "North America", "emea": "EMEA", "apac": "APAC", "latam": "LATAM"}
    return labels.get(region or "", region)
