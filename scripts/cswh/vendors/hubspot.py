"""HubSpot (CRM): companies, contacts, owners, engagements, deals and survey responses.

Tables are Fivetran's HubSpot schema (``company``, ``contact``, ``owner``, ``engagement`` and its
per-type tables, ``deal``...); a record's properties are ``property_<name>`` columns (Airbyte's
flattened ``properties_<name>`` and dlt's bare ``<name>`` are aliases). HubSpot writes
timestamps as epoch milliseconds in some exports and ISO 8601 in others; both are read.

Mapping decisions, briefly (docs/sources/hubspot.md has the full table):

- **companies -> accounts**: the account id is the company id unless ``account_id_property``
  names a property holding it. HubSpot's industry values (``COMPUTER_SOFTWARE``) map to the
  contract's eight industries through ``industries``; the country (a name or an ISO code) becomes
  an ISO code and, unless the ``cs_region`` property says otherwise, gives the region. The owner
  (``hubspot_owner_id`` or ``account_csm_property``) is the CSM; ``cs_touch_tier`` the override.
- **contacts**: the primary company (``associatedcompanyid``) is the account; the executive,
  decision-maker and champion flags come from HubSpot's buying roles (``hs_buying_role``), or
  from boolean properties the settings name; ``cs_reports_to`` holds the manager's contact id.
- **owners -> csms**: HubSpot owners carry no team or role: the team is the owner's HubSpot team
  (``team``/``owner_team``) mapped by name, the role the user's permission role (``users``/
  ``role``) mapped by name. Owners in no customer-success team are skipped, and references to
  them (an account or deal owned by a sales rep) are left empty. Managers and quotas exist only
  as settings.
- **engagements -> activities**: CALL, EMAIL (and incoming/forwarded e-mail), MEETING and NOTE
  engagements; other types (TASK...) are skipped. The call-and-meeting type
  (``hs_activity_type``) marks executive business reviews and webinars; notes are content
  engagement. Direction: inbound calls, incoming e-mails and meetings the customer booked through
  a meetings link are reactive. Company and contact come from the association tables.
- **deals -> opportunities**: deals in the renewal pipeline are renewals, others with an
  existing-business deal type expansions, and new business is skipped. The stage's closed flag
  and probability (1 won, 0 lost), or the stage names in the settings, give the contract stage.
- **feedback submissions -> survey responses**: NPS and CSAT surveys by type, custom surveys by
  name (``survey_types``); the account is the respondent's company, or ``cs_company_id`` for an
  anonymous response.

Every table keeps the latest version of each record (by its last-modified time, then
``_fivetran_synced``, then file and line); rows deleted in HubSpot are skipped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
    normalise_header,
    parse_bool,
    parse_decimal,
    parse_instant,
    write_vendor_csv,
    write_vendor_jsonl,
    write_vendor_parquet,
)

SYNCED = "_fivetran_synced"
SUPERSEDED = "superseded by a later version of the same record"
DELETED = "deleted in the source (_fivetran_deleted)"
DELETED_IN_HUBSPOT = "deleted or archived in HubSpot (is_deleted / archived)"

TEAMS = ("enterprise", "commercial", "scale")
ROLES = ("manager", "csm", "specialist")
ACTIVITY_TYPES = (
    "email",
    "call",
    "meeting",
    "executive_business_review",
    "content_engagement",
    "webinar",
)
EBR = "executive_business_review"
EMAIL_TYPES = ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")
# Engagement type -> the per-type table holding its properties.
DETAIL_TABLES = {
    "CALL": "engagement_call",
    "EMAIL": "engagement_email",
    "INCOMING_EMAIL": "engagement_email",
    "FORWARDED_EMAIL": "engagement_email",
    "MEETING": "engagement_meeting",
    "NOTE": "engagement_note",
}
# HubSpot's primary deal-to-company association type.
PRIMARY_DEAL_COMPANY = "5"
# A meeting booked by the customer through a HubSpot meetings link.
BOOKED_BY_CUSTOMER = "MEETINGS_PUBLIC"

DEFAULT_INDUSTRIES = {
    # HubSpot's standard industry values (the first per contract industry is what the dialect
    # writes; the industries setting adds more).
    "COMPUTER_SOFTWARE": "software",
    "INFORMATION_TECHNOLOGY_AND_SERVICES": "software",
    "INTERNET": "software",
    "COMPUTER_NETWORKING": "software",
    "FINANCIAL_SERVICES": "financial_services",
    "BANKING": "financial_services",
    "INSURANCE": "financial_services",
    "INVESTMENT_MANAGEMENT": "financial_services",
    "HOSPITAL_HEALTH_CARE": "healthcare",
    "MEDICAL_PRACTICE": "healthcare",
    "MEDICAL_DEVICES": "healthcare",
    "PHARMACEUTICALS": "healthcare",
    "RETAIL": "retail",
    "CONSUMER_GOODS": "retail",
    "SUPERMARKETS": "retail",
    "MACHINERY": "manufacturing",
    "INDUSTRIAL_AUTOMATION": "manufacturing",
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING": "manufacturing",
    "AUTOMOTIVE": "manufacturing",
    "ELECTRICAL_ELECTRONIC_MANUFACTURING": "manufacturing",
    "EDUCATION_MANAGEMENT": "education",
    "HIGHER_EDUCATION": "education",
    "E_LEARNING": "education",
    "PRIMARY_SECONDARY_EDUCATION": "education",
    "ONLINE_MEDIA": "media",
    "MEDIA_PRODUCTION": "media",
    "BROADCAST_MEDIA": "media",
    "PUBLISHING": "media",
    "ENTERTAINMENT": "media",
    "MANAGEMENT_CONSULTING": "professional_services",
    "LEGAL_SERVICES": "professional_services",
    "ACCOUNTING": "professional_services",
    "STAFFING_AND_RECRUITING": "professional_services",
}

# ISO code, region, and the names HubSpot users type (the first is what the dialect writes).
_COUNTRY_TABLE = (
    ("US", "north_america", "United States", "United States of America", "USA", "U.S."),
    ("CA", "north_america", "Canada"),
    ("MX", "latam", "Mexico", "México"),
    ("BR", "latam", "Brazil", "Brasil"),
    ("AR", "latam", "Argentina"),
    ("CL", "latam", "Chile"),
    ("CO", "latam", "Colombia"),
    ("PE", "latam", "Peru", "Perú"),
    ("UY", "latam", "Uruguay"),
    ("CR", "latam", "Costa Rica"),
    ("GB", "emea", "United Kingdom", "UK", "Great Britain", "England", "Scotland", "Wales"),
    ("IE", "emea", "Ireland"),
    ("DE", "emea", "Germany", "Deutschland"),
    ("FR", "emea", "France"),
    ("NL", "emea", "Netherlands", "The Netherlands", "Holland"),
    ("BE", "emea", "Belgium"),
    ("LU", "emea", "Luxembourg"),
    ("CH", "emea", "Switzerland"),
    ("AT", "emea", "Austria"),
    ("ES", "emea", "Spain", "España"),
    ("PT", "emea", "Portugal"),
    ("IT", "emea", "Italy"),
    ("SE", "emea", "Sweden"),
    ("NO", "emea", "Norway"),
    ("DK", "emea", "Denmark"),
    ("FI", "emea", "Finland"),
    ("IS", "emea", "Iceland"),
    ("PL", "emea", "Poland"),
    ("CZ", "emea", "Czech Republic", "Czechia"),
    ("HU", "emea", "Hungary"),
    ("RO", "emea", "Romania"),
    ("GR", "emea", "Greece"),
    ("EE", "emea", "Estonia"),
    ("LT", "emea", "Lithuania"),
    ("LV", "emea", "Latvia"),
    ("UA", "emea", "Ukraine"),
    ("TR", "emea", "Turkey", "Türkiye"),
    ("IL", "emea", "Israel"),
    ("AE", "emea", "United Arab Emirates", "UAE"),
    ("SA", "emea", "Saudi Arabia"),
    ("QA", "emea", "Qatar"),
    ("EG", "emea", "Egypt"),
    ("MA", "emea", "Morocco"),
    ("NG", "emea", "Nigeria"),
    ("KE", "emea", "Kenya"),
    ("ZA", "emea", "South Africa"),
    ("AU", "apac", "Australia"),
    ("NZ", "apac", "New Zealand"),
    ("SG", "apac", "Singapore"),
    ("JP", "apac", "Japan"),
    ("IN", "apac", "India"),
    ("CN", "apac", "China"),
    ("HK", "apac", "Hong Kong"),
    ("TW", "apac", "Taiwan"),
    ("KR", "apac", "South Korea", "Korea", "Republic of Korea"),
    ("MY", "apac", "Malaysia"),
    ("ID", "apac", "Indonesia"),
    ("PH", "apac", "Philippines"),
    ("TH", "apac", "Thailand"),
    ("VN", "apac", "Vietnam", "Viet Nam"),
)


def _key(text: str) -> str:
    """A name compared loosely: ``'Post-sales survey'`` and ``'post_sales_survey'`` match."""
    return normalise_header(text).strip("_")


COUNTRY_CODES: dict[str, str] = {}  # loose name or code -> ISO code
COUNTRY_REGIONS: dict[str, str] = {}  # ISO code -> region
COUNTRY_NAMES: dict[str, str] = {}  # ISO code -> the name the dialect writes
for _code, _region, *_names in _COUNTRY_TABLE:
    COUNTRY_REGIONS[_code] = _region
    COUNTRY_NAMES[_code] = _names[0]
    for _name in (_code, *_names):
        COUNTRY_CODES[_key(_name)] = _code


# ------------------------------------------------------------------------------------ values


_EPOCH_MS = re.compile(r"^[0-9]{12,14}(\.[0-9]+)?$")
_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


def hubspot_instant(value: str | None) -> str | None:
    """A HubSpot timestamp as contract text: epoch milliseconds (HubSpot's API and some
    exports), epoch seconds, a date (HubSpot's date pickers: midnight UTC) or ISO 8601."""
    if value is None:
        return None
    text = value.strip()
    if _EPOCH_MS.match(text):
        return (_EPOCH_START + timedelta(milliseconds=int(Decimal(text)))).isoformat()
    if _DATE_ONLY.match(text):
        return text + "T00:00:00Z"
    return parse_instant(text)


def as_datetime(value: str | None) -> datetime | None:
    """The instant of a HubSpot timestamp, or None when there is none or it is unreadable."""
    text = hubspot_instant(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_date(value: str | None) -> str | None:
    """The UTC calendar date of a HubSpot timestamp (unreadable text passes through, so the
    contract's date check names it)."""
    if value is None:
        return None
    parsed = as_datetime(value)
    return parsed.astimezone(UTC).date().isoformat() if parsed else value


def whole_number(value: str | None) -> str | None:
    """``'683.0'`` (HubSpot number properties) as ``'683'``; other text passes through."""
    if value is None:
        return None
    try:
        number = parse_decimal(value)
    except ValueError:
        return value
    return str(int(number)) if number == number.to_integral_value() else value


def decimal_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return format(parse_decimal(value), "f")
    except ValueError:
        return value  # the contract's decimal check names it


def multi_select(value: str | None) -> set[str]:
    """A HubSpot multiple-checkbox value (``'CHAMPION;DECISION_MAKER'``) as loose keys."""
    return {_key(part) for part in (value or "").split(";") if part.strip()}


def _id_order(value: str) -> tuple[int, str]:
    """HubSpot ids are numbers: order them as such (shorter first), text ids by text."""
    return (len(value), value)


def _epoch_ms(value: str | None) -> int | None:
    parsed = as_datetime(value)
    return None if parsed is None else int(parsed.timestamp() * 1000)


# ------------------------------------------------------------------------------------ tables


def prop(name: str) -> str:
    """The Fivetran column of a HubSpot property."""
    return f"property_{name}"


def _property_columns(*names: str, **extra: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Property columns with Airbyte's and dlt's names as aliases (plus ``extra`` ones)."""
    return {
        prop(name): (f"properties_{name}", name, *extra.get(name, ())) for name in names if name
    }


ELT = {FIVETRAN_DELETED: (), SYNCED: ("_airbyte_extracted_at", "_dlt_load_id")}


def build_tables(settings: Mapping[str, Any]) -> tuple[VendorTable, ...]:
    """The tables, with the custom properties the settings name among their columns."""
    account_property = settings.get("account_id_property")
    company = VendorTable(
        "company",
        {
            "id": ("company_id", "record_id", "hs_object_id"),
            **_property_columns(
                "name",
                "industry",
                "numberofemployees",
                "country",
                "hs_lastmodifieddate",
                "createdate",
                name=("company_name",),
                numberofemployees=("number_of_employees",),
                country=("country_region",),
                hs_lastmodifieddate=("last_modified_date", "updated_at"),
                createdate=("create_date", "created_at"),
            ),
            **_property_columns(
                settings["account_csm_property"],
                settings["touch_tier_property"],
                settings["region_property"],
                account_property or "",
            ),
            "is_deleted": (),
            "archived": (),
            **ELT,
        },
        required=frozenset({"id"}),
        description="HubSpot companies: one account each.",
    )
    flag_properties = [
        settings[name]
        for name in ("executive_property", "decision_maker_property", "champion_property")
        if settings.get(name)
    ]
    contact = VendorTable(
        "contact",
        {
            "id": ("contact_id", "vid", "record_id", "hs_object_id"),
            **_property_columns(
                "firstname",
                "lastname",
                "email",
                "jobtitle",
                "associatedcompanyid",
                "createdate",
                "lastmodifieddate",
                firstname=("first_name",),
                lastname=("last_name",),
                jobtitle=("job_title",),
                associatedcompanyid=("associated_company_id", "primary_associated_company_id"),
                createdate=("create_date", "created_at"),
                lastmodifieddate=(
                    "property_hs_lastmodifieddate",
                    "hs_lastmodifieddate",
                    "last_modified_date",
                    "updated_at",
                ),
            ),
            **_property_columns(
                settings["buying_role_property"], settings["reports_to_property"], *flag_properties
            ),
            "archived": (),
            **ELT,
        },
        required=frozenset({"id"}),
        description="HubSpot contacts: one contact each.",
    )
    owner = VendorTable(
        "owner",
        {
            "owner_id": ("id",),
            "first_name": ("firstname",),
            "last_name": ("lastname",),
            "email": (),
            "created_at": ("createdat",),
            "updated_at": ("updatedat",),
            "is_active": ("active",),
            "archived": (),
            "active_user_id": ("user_id", "userid"),
            **ELT,
        },
        required=frozenset({"owner_id"}),
        description="HubSpot owners (users who own records): the CSMs.",
    )
    team = VendorTable(
        "team",
        {"id": ("team_id",), "name": ("team_name",), **ELT},
        required=frozenset({"id", "name"}),
        description="HubSpot teams: their names say the CS team.",
    )
    owner_team = VendorTable(
        "owner_team",
        {"owner_id": (), "team_id": (), "is_team_primary": ("primary",), **ELT},
        required=frozenset({"owner_id", "team_id"}),
        description="Which team each owner is in.",
    )
    users = VendorTable(
        "users",
        {"id": ("user_id",), "email": (), "role_id": (), "primary_team_id": (), **ELT},
        required=frozenset({"id"}),
        description="HubSpot users: their permission role says the CSM's role.",
    )
    role = VendorTable(
        "role",
        {"id": ("role_id",), "name": ("role_name",), **ELT},
        required=frozenset({"id", "name"}),
        description="HubSpot permission roles.",
    )
    engagement = VendorTable(
        "engagement",
        {
            "id": ("engagement_id",),
            "type": ("engagement_type",),
            # Fivetran's pre-v3 columns: the v3 per-type tables hold these as properties.
            "activity_type": (),
            "owner_id": (),
            "timestamp": (),
            "created_at": (),
            "last_updated": ("updated_at",),
            **ELT,
        },
        required=frozenset({"id"}),
        description="HubSpot engagements (activities) and their type.",
    )
    custom_activity = [settings["content_category_property"], settings["high_value_property"]]

    def detail(name: str, *specific: str, **extra: tuple[str, ...]) -> VendorTable:
        return VendorTable(
            name,
            {
                "engagement_id": ("id", "hs_object_id"),
                **_property_columns(
                    "hs_timestamp",
                    "hubspot_owner_id",
                    "hs_createdate",
                    "hs_lastmodifieddate",
                    "hs_activity_type",
                    *specific,
                    hs_timestamp=("timestamp",),
                    hs_lastmodifieddate=("updated_at",),
                    **extra,
                ),
                **_property_columns(*custom_activity),
                **ELT,
            },
            required=frozenset({"engagement_id"}),
            description=f"The properties of {name.removeprefix('engagement_')} engagements.",
        )

    def association(name: str, left: str, right: str, *more: str) -> VendorTable:
        return VendorTable(
            name,
            {left: (), right: (), **{c: () for c in more}, **ELT},
            required=frozenset({left, right}),
            description=f"Links of {left.removesuffix('_id')}s to {right.removesuffix('_id')}s.",
        )

    deal = VendorTable(
        "deal",
        {
            "deal_id": ("id", "hs_object_id"),
            "deal_pipeline_id": ("property_pipeline", "properties_pipeline", "pipeline"),
            "deal_pipeline_stage_id": ("property_dealstage", "properties_dealstage", "dealstage"),
            "owner_id": ("property_hubspot_owner_id", "properties_hubspot_owner_id"),
            **_property_columns(
                "amount",
                "closedate",
                "createdate",
                "hs_lastmodifieddate",
                "dealtype",
                "dealname",
                closedate=("close_date",),
                createdate=("create_date", "created_at"),
                hs_lastmodifieddate=("last_modified_date", "updated_at"),
                dealtype=("deal_type",),
            ),
            "is_deleted": (),
            "archived": (),
            **ELT,
        },
        required=frozenset({"deal_id"}),
        description="HubSpot deals: renewal and expansion opportunities.",
    )
    pipeline = VendorTable(
        "deal_pipeline",
        {"pipeline_id": ("id",), "label": (), "active": (), **ELT},
        required=frozenset({"pipeline_id"}),
        description="Deal pipelines: the renewal pipeline is named in the settings.",
    )
    stage = VendorTable(
        "deal_pipeline_stage",
        {
            "stage_id": ("id",),
            "pipeline_id": (),
            "label": (),
            "probability": (),
            "is_closed": ("closed_won", "isclosed"),  # Fivetran's closed_won means closed
            "active": (),
            **ELT,
        },
        required=frozenset({"stage_id"}),
        description="Deal stages: closed and probability give the contract stage.",
    )
    feedback = VendorTable(
        "feedback_submission",
        {
            "id": ("hs_object_id", "submission_id"),
            **_property_columns(
                "hs_survey_type",
                "hs_survey_name",
                "hs_value",
                "hs_contact_id",
                "hs_submission_timestamp",
                "hs_createdate",
                "hs_lastmodifieddate",
                hs_value=("property_hs_response_value", "hs_response_value"),
                hs_lastmodifieddate=("updated_at",),
            ),
            **_property_columns(settings["survey_company_property"]),
            "archived": (),
            **ELT,
        },
        required=frozenset({"id"}),
        description="Survey responses (NPS, CSAT and custom surveys).",
    )
    return (
        company,
        contact,
        owner,
        team,
        owner_team,
        users,
        role,
        engagement,
        detail("engagement_call", "hs_call_direction"),
        detail("engagement_email", "hs_email_direction"),
        detail("engagement_meeting", "hs_meeting_source", hs_meeting_source=("source",)),
        detail("engagement_note"),
        association("engagement_company", "engagement_id", "company_id"),
        association("engagement_contact", "engagement_id", "contact_id"),
        deal,
        pipeline,
        stage,
        association("deal_company", "deal_id", "company_id", "type_id"),
        feedback,
    )


OPTIONS = (
    Option(
        "account_id_property",
        None,
        "company property holding the CRM account id (empty: the HubSpot company id)",
    ),
    Option(
        "account_csm_property",
        "hubspot_owner_id",
        "company property naming the account's CSM (an owner id)",
    ),
    Option(
        "touch_tier_property",
        "cs_touch_tier",
        "company property holding the touch-tier override (high_touch, low_touch, tech_touch)",
    ),
    Option(
        "region_property",
        "cs_region",
        "company property holding the sales region; empty: the region of the country",
    ),
    Option(
        "industries",
        {},
        "more HubSpot industry values -> contract industry, beside the built-in mapping of "
        "HubSpot's standard values (the contract's own values always map)",
    ),
    Option(
        "countries",
        {},
        "extra country names or codes: name -> {code: ISO code, region: contract region}",
    ),
    Option(
        "buying_role_property",
        "hs_buying_role",
        "contact multiple-checkbox property holding the buying roles",
    ),
    Option("executive_roles", ["EXECUTIVE_SPONSOR"], "buying roles that make an executive"),
    Option("decision_maker_roles", ["DECISION_MAKER"], "buying roles that make a decision maker"),
    Option("champion_roles", ["CHAMPION"], "buying roles that make a champion"),
    Option(
        "executive_property",
        None,
        "boolean contact property for the executive flag (takes precedence over buying roles)",
    ),
    Option("decision_maker_property", None, "boolean contact property for decision makers"),
    Option("champion_property", None, "boolean contact property for champions"),
    Option(
        "reports_to_property",
        "cs_reports_to",
        "contact property holding the HubSpot id of the contact's manager",
    ),
    Option(
        "team_names",
        {"Enterprise": "enterprise", "Commercial": "commercial", "Scale": "scale"},
        "HubSpot team name -> CS team; owners in no such team are not CSMs",
    ),
    Option("default_team", None, "team of owners without a mapped HubSpot team (empty: skip)"),
    Option(
        "role_names",
        {"CS Manager": "manager", "Customer Success Manager": "csm", "CS Specialist": "specialist"},
        "HubSpot permission role name -> CSM role",
    ),
    Option("default_role", "csm", "role of CSMs whose HubSpot role is not in role_names"),
    Option("csm_managers", {}, "owner id -> owner id of the CSM's manager (HubSpot has none)"),
    Option("csm_quotas", {}, "owner id -> annual renewal quota (HubSpot has none)"),
    Option(
        "activity_types",
        {
            "Executive Business Review": EBR,
            "EBR": EBR,
            "Webinar": "webinar",
            "Content engagement": "content_engagement",
        },
        "call-and-meeting type (hs_activity_type) -> contract activity type",
    ),
    Option(
        "note_activity_type", "content_engagement", "contract activity type of NOTE engagements"
    ),
    Option(
        "content_category_property",
        "cs_content_category",
        "engagement property holding the content category (marketing, educational, upsell)",
    ),
    Option(
        "high_value_property",
        "cs_high_value",
        "boolean engagement property marking high-value activities (empty: EBRs are)",
    ),
    Option("renewal_pipelines", ["Renewals"], "labels or ids of the renewal deal pipelines"),
    Option("renewal_deal_types", ["renewal"], "deal types (dealtype) that are renewals anywhere"),
    Option(
        "expansion_deal_types",
        ["existingbusiness"],
        "deal types that are expansions outside the renewal pipelines (others are new business)",
    ),
    Option("won_stages", [], "stage labels or ids that are closed won whatever their metadata"),
    Option("lost_stages", [], "stage labels or ids that are closed lost whatever their metadata"),
    Option(
        "survey_types",
        {
            "NPS": "nps",
            "CSAT": "csat",
            "Onboarding survey": "onboarding",
            "Post-sales survey": "post_sales",
        },
        "survey name or survey type -> contract survey type (others are skipped)",
    ),
    Option(
        "survey_company_property",
        "cs_company_id",
        "submission property naming the company of a response without a contact",
    ),
)


@dataclass
class _Lookups:
    """What the mapping of one table tells the mapping of the others."""

    account_of_company: dict[str, str] = field(default_factory=dict)
    company_of_contact: dict[str, str] = field(default_factory=dict)
    contacts_delivered: set[str] = field(default_factory=set)
    non_csm_owners: set[str] = field(default_factory=set)


class _Problem(Exception):
    """A value the adapter cannot map; the message says what is wrong and what to do."""


def _bool(row: VendorRow, column: str) -> bool | None:
    try:
        return parse_bool(row[column])
    except ValueError:
        raise _Problem(f"{column}: '{row[column]}' is not true or false") from None


def _loose_map(mapping: Mapping[Any, Any]) -> dict[str, str]:
    return {_key(str(k)): str(v) for k, v in (mapping or {}).items()}


def _loose_set(values: Iterable[Any]) -> set[str]:
    return {_key(str(v)) for v in values or ()}


class HubspotAdapter(Adapter):
    vendor = "hubspot"
    title = "HubSpot"
    source_system = "crm"
    options = OPTIONS
    tables = build_tables({o.name: o.default for o in OPTIONS})
    produces = ("csms", "accounts", "contacts", "activities", "opportunities", "survey_responses")

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        _check_settings(self.settings)
        # Custom properties are columns: the settings say which ones the tables read.
        self.tables = build_tables(self.settings)

    # ------------------------------------------------------------------------------ mapping

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        lookups = _Lookups()
        self._owners(rows, batch, lookups)
        self._companies(rows, batch, lookups)
        self._contacts(rows, batch, lookups)
        self._engagements(rows, batch, lookups)
        self._deals(rows, batch, lookups)
        self._feedback(rows, batch, lookups)

    # -- shared steps

    def _latest(
        self,
        rows: Iterable[VendorRow],
        key: str,
        updated: tuple[str, ...],
        batch: MappedBatch,
        what: str,
    ) -> dict[str, VendorRow]:
        """The latest version of each record; older versions are skipped, keyless rows
        quarantined."""
        versions: dict[str, list[VendorRow]] = defaultdict(list)
        for row in rows:
            if row[key] is None:
                batch.quarantine(row, f"{key}: missing; every {what} needs its HubSpot id")
            else:
                versions[row[key]].append(row)
        latest: dict[str, VendorRow] = {}
        for record, found in versions.items():
            found.sort(key=lambda r: _version_order(r, updated))
            latest[record] = found[-1]
            for older in found[:-1]:
                batch.skip(older, SUPERSEDED)
        return latest

    def _deleted(self, row: VendorRow, batch: MappedBatch, in_hubspot: bool = True) -> bool:
        """Skip a row Fivetran (or, with ``in_hubspot``, HubSpot) marks deleted."""
        checks = [(FIVETRAN_DELETED, DELETED)]
        if in_hubspot:
            checks += [("is_deleted", DELETED_IN_HUBSPOT), ("archived", DELETED_IN_HUBSPOT)]
        for column, reason in checks:
            try:
                flagged = parse_bool(row[column])
            except ValueError:
                batch.quarantine(row, f"{column}: '{row[column]}' is not true or false")
                return True
            if flagged:
                batch.skip(row, reason)
                return True
        return False

    def _links(
        self, rows: Iterable[VendorRow], left: str, right: str, batch: MappedBatch
    ) -> dict[str, list[VendorRow]]:
        """Association rows by their left id; deleted and repeated links are skipped."""
        links: dict[str, list[VendorRow]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        for row in rows:
            if self._deleted(row, batch):
                continue
            pair = (row[left], row[right])
            if None in pair:
                batch.quarantine(row, f"{left} and {right} are both needed to link two records")
            elif pair in seen:
                batch.skip(row, "the same association delivered again")
            else:
                seen.add(pair)
                links[row[left]].append(row)
        return links

    def _csm(self, owner_id: str | None, lookups: _Lookups) -> str | None:
        """An owner reference as a CSM id: owners who are no CSMs (sales reps) are left out."""
        return None if owner_id is None or owner_id in lookups.non_csm_owners else owner_id

    def _account(self, company_id: str, lookups: _Lookups) -> str:
        if company_id in lookups.account_of_company:
            return lookups.account_of_company[company_id]
        if self.settings["account_id_property"]:
            raise _Problem(
                f"company {company_id} is not in this delivery, so its account id "
                f"({prop(self.settings['account_id_property'])}) is unknown; deliver the company"
            )
        return company_id  # the company id is the account id; the loader checks it exists

    # -- owners -> csms

    def _owners(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        teams = {
            k: r
            for k, r in self._latest(rows["team"], "id", (), batch, "team").items()
            if not self._deleted(r, batch)
        }
        roles = {
            k: r
            for k, r in self._latest(rows["role"], "id", (), batch, "role").items()
            if not self._deleted(r, batch)
        }
        users = {
            k: r
            for k, r in self._latest(rows["users"], "id", (), batch, "user").items()
            if not self._deleted(r, batch)
        }
        users_by_email = {r["email"].lower(): r for r in users.values() if r["email"]}
        memberships = self._links(rows["owner_team"], "owner_id", "team_id", batch)
        team_names = _loose_map(self.settings["team_names"])
        team_names.update({t: t for t in TEAMS})
        role_names = _loose_map(self.settings["role_names"])
        role_names.update({r: r for r in ROLES})
        teams_delivered = bool(memberships) or any(u["primary_team_id"] for u in users.values())
        managers = {str(k): str(v) for k, v in (self.settings["csm_managers"] or {}).items()}
        quotas = {str(k): v for k, v in (self.settings["csm_quotas"] or {}).items()}

        owners = self._latest(rows["owner"], "owner_id", ("updated_at",), batch, "owner")
        for owner_id, row in owners.items():
            # An archived owner is a CSM who left (is_active false), not a deleted record.
            if self._deleted(row, batch, in_hubspot=False):
                continue
            user = users.get(row["active_user_id"] or "") or users_by_email.get(
                (row["email"] or "").lower()
            )
            # The team: a primary membership first, then the user's primary team.
            links = sorted(
                memberships.get(owner_id, []),
                key=lambda r: not _primary_flag(r["is_team_primary"]),
            )
            candidates = [(link, link["team_id"]) for link in links]
            if user is not None and user["primary_team_id"]:
                candidates.append((None, user["primary_team_id"]))
            team, team_link, team_row = None, None, None
            for link, team_id in candidates:
                found = teams.get(team_id or "")
                mapped = team_names.get(_key(found["name"])) if found else None
                if mapped is not None:
                    team, team_link, team_row = mapped, link, found
                    break
            if team is None and self.settings["default_team"]:
                team = self.settings["default_team"]
            if team is None:
                if teams_delivered:
                    lookups.non_csm_owners.add(owner_id)
                    batch.skip(row, "not in a customer-success team (see the team_names setting)")
                else:
                    batch.quarantine(
                        row,
                        "no team: deliver the team and owner_team tables, or set default_team",
                    )
                continue
            role_row = roles.get(user["role_id"] or "") if user is not None else None
            role = (role_names.get(_key(role_row["name"])) if role_row else None) or self.settings[
                "default_role"
            ]
            try:
                values = self._csm_values(row, owner_id, team, role, managers, quotas)
            except _Problem as problem:
                batch.quarantine(row, str(problem))
                continue
            batch.emit("csms", values, *(r for r in (row, team_link) if r is not None))
            for used in (team_row, user, role_row):
                if used is not None:
                    batch.used(used)
        for name, reason in (
            ("team", "no customer-success owner in this delivery is in this team"),
            ("owner_team", "not the team that places the owner"),
            ("users", "no customer-success owner in this delivery is this user"),
            ("role", "no customer-success owner in this delivery holds this role"),
        ):
            _settle_rest(rows[name], batch, reason)

    def _csm_values(self, row, owner_id, team, role, managers, quotas) -> dict[str, Any]:
        names = [n for n in (row["first_name"], row["last_name"]) if n]
        if not names and not row["email"]:
            raise _Problem("first_name, last_name and email are all empty; name the owner")
        active = _bool(row, "is_active")
        if active is None:
            archived = _bool(row, "archived")
            active = not archived if archived is not None else True
        created = row["created_at"]
        if created is None:
            raise _Problem("created_at: empty; the CSM's hired date is the owner's creation date")
        quota = quotas.get(owner_id)
        return {
            "csm_id": owner_id,
            "full_name": " ".join(names) or row["email"],
            "email": row["email"],
            "team": team,
            "role": role,
            "manager_csm_id": managers.get(owner_id),
            "annual_renewal_quota": None if quota is None else str(quota),
            "hired_date": utc_date(created),
            "is_active": active,
            "updated_at": hubspot_instant(row["updated_at"] or created),
        }

    # -- companies -> accounts

    def _companies(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        id_property = self.settings["account_id_property"]
        industries = _loose_map({**DEFAULT_INDUSTRIES, **(self.settings["industries"] or {})})
        industries.update({_key(v): v for v in DEFAULT_INDUSTRIES.values()})
        extra_countries = {
            _key(str(name)): spec for name, spec in (self.settings["countries"] or {}).items()
        }
        companies = self._latest(
            rows["company"], "id", (prop("hs_lastmodifieddate"),), batch, "company"
        )
        for company_id, row in companies.items():
            if self._deleted(row, batch):
                continue
            account_id = row[prop(id_property)] if id_property else company_id
            if account_id is None:
                batch.quarantine(
                    row, f"{prop(id_property)}: empty; set the company's CRM account id"
                )
                continue
            lookups.account_of_company[company_id] = account_id
            try:
                industry = row[prop("industry")]
                if industry is not None:
                    mapped = industries.get(_key(industry))
                    if mapped is None:
                        raise _Problem(
                            f"{prop('industry')}: '{industry}' is not mapped to a contract "
                            "industry; add it to the industries setting"
                        )
                    industry = mapped
                country, region = self._country_region(row, extra_countries)
                values = {
                    "account_id": account_id,
                    "account_name": row[prop("name")],
                    "industry": industry,
                    "employee_count": whole_number(row[prop("numberofemployees")]),
                    "region": region,
                    "country": country,
                    "owner_csm_id": self._csm(
                        row[prop(self.settings["account_csm_property"])], lookups
                    ),
                    "touch_tier_override": _choice(row[prop(self.settings["touch_tier_property"])]),
                    "created_at": hubspot_instant(row[prop("createdate")]),
                    "updated_at": hubspot_instant(
                        row[prop("hs_lastmodifieddate")] or row[prop("createdate")]
                    ),
                }
            except _Problem as problem:
                batch.quarantine(row, str(problem))
                continue
            batch.emit("accounts", values, row)

    def _country_region(
        self, row: VendorRow, extra: Mapping[str, Any]
    ) -> tuple[str | None, str | None]:
        country = row[prop("country")]
        code = None
        if country is not None:
            spec = extra.get(_key(country))
            if isinstance(spec, Mapping) and spec.get("code"):
                code = str(spec["code"]).upper()
            else:
                code = COUNTRY_CODES.get(_key(country))
            if code is None and re.fullmatch(r"[A-Za-z]{2}", country):
                code = country.upper()
            if code is None:
                raise _Problem(
                    f"{prop('country')}: '{country}' is no country name or ISO code the adapter "
                    "knows; use the ISO 3166 code or add it to the countries setting"
                )
        region = _choice(row[prop(self.settings["region_property"])])
        if region is None and code is not None:
            spec = extra.get(_key(country)) or extra.get(_key(code))
            region = (
                spec.get("region")
                if isinstance(spec, Mapping) and spec.get("region")
                else COUNTRY_REGIONS.get(code)
            )
            if region is None:
                raise _Problem(
                    f"region: the company has no {prop(self.settings['region_property'])} and "
                    f"country {code} has no known region; set the property or add the country "
                    "to the countries setting"
                )
        return code, region

    # -- contacts

    def _contacts(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        contacts = self._latest(
            rows["contact"], "id", (prop("lastmodifieddate"),), batch, "contact"
        )
        for contact_id, row in contacts.items():
            if self._deleted(row, batch):
                continue
            lookups.contacts_delivered.add(contact_id)
            company_id = row[prop("associatedcompanyid")]
            try:
                if company_id is None:
                    raise _Problem(
                        f"{prop('associatedcompanyid')}: empty; associate the contact with its "
                        "company (the primary company is the account)"
                    )
                lookups.company_of_contact[contact_id] = company_id
                roles = multi_select(row[prop(self.settings["buying_role_property"])])
                flags = {
                    column: self._flag(row, roles, property_setting, roles_setting)
                    for column, property_setting, roles_setting in (
                        ("is_executive", "executive_property", "executive_roles"),
                        ("is_decision_maker", "decision_maker_property", "decision_maker_roles"),
                        ("is_champion", "champion_property", "champion_roles"),
                    )
                }
                values = {
                    "contact_id": contact_id,
                    "account_id": self._account(company_id, lookups),
                    "first_name": row[prop("firstname")],
                    "last_name": row[prop("lastname")],
                    "email": row[prop("email")],
                    "title": row[prop("jobtitle")],
                    **flags,
                    "reports_to_contact_id": row[prop(self.settings["reports_to_property"])],
                    "created_at": hubspot_instant(row[prop("createdate")]),
                    "updated_at": hubspot_instant(
                        row[prop("lastmodifieddate")] or row[prop("createdate")]
                    ),
                }
            except _Problem as problem:
                batch.quarantine(row, str(problem))
                continue
            batch.emit("contacts", values, row)

    def _flag(self, row: VendorRow, roles: set[str], property_setting: str, roles_setting: str):
        name = self.settings[property_setting]
        if name and row[prop(name)] is not None:
            return _bool(row, prop(name))
        return bool(roles & _loose_set(self.settings[roles_setting]))

    # -- engagements -> activities

    def _engagements(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        parents = self._latest(rows["engagement"], "id", ("last_updated",), batch, "engagement")
        details: dict[str, VendorRow] = {}
        for table in dict.fromkeys(DETAIL_TABLES.values()):
            latest = self._latest(
                rows[table], "engagement_id", (prop("hs_lastmodifieddate"),), batch, "engagement"
            )
            for engagement_id, row in latest.items():
                if engagement_id in details:
                    batch.quarantine(
                        row,
                        f"engagement {engagement_id} is also in {details[engagement_id].table}; "
                        "an engagement has one type",
                    )
                else:
                    details[engagement_id] = row
        companies = self._links(rows["engagement_company"], "engagement_id", "company_id", batch)
        contacts = self._links(rows["engagement_contact"], "engagement_id", "contact_id", batch)
        for engagement_id in sorted(set(parents) | set(details), key=_id_order):
            parent, detail = parents.get(engagement_id), details.get(engagement_id)
            own = [r for r in (parent, detail) if r is not None]
            links = companies.pop(engagement_id, []) + contacts.pop(engagement_id, [])
            if any(self._deleted(r, batch) for r in own):
                _settle_all(own + links, batch, DELETED)
                continue
            kind = (parent["type"] if parent else None) or (
                _type_of_table(detail.table) if detail else None
            )
            if kind is None:
                batch.quarantine(parent, "type: empty; every engagement has a type (CALL...)")
                _settle_all(links, batch, "association of an engagement that was quarantined")
                continue
            kind = kind.upper()
            if kind not in DETAIL_TABLES:
                _settle_all(
                    own + links,
                    batch,
                    f"engagement type {kind} is no customer-facing activity (CALL, EMAIL, "
                    "MEETING and NOTE are)",
                )
                continue
            if detail is not None and detail.table != DETAIL_TABLES[kind]:
                batch.quarantine(
                    detail, f"engagement {engagement_id} is a {kind}, not in {detail.table}"
                )
                detail = None
                own = [parent]
            try:
                values, chosen = self._activity(engagement_id, kind, parent, detail, links, lookups)
            except _Problem as problem:
                for row in own:
                    batch.quarantine(row, str(problem))
                _settle_all(links, batch, "association of an engagement that was quarantined")
                continue
            batch.emit("activities", values, *own, *chosen)
            _settle_all(
                [r for r in links if r not in chosen],
                batch,
                "another association of the activity (it takes one company and one contact)",
            )
        for remaining in (*companies.values(), *contacts.values()):
            _settle_all(remaining, batch, "association of an engagement not in this delivery")

    def _activity(self, engagement_id, kind, parent, detail, links, lookups):
        def value(property_name: str, legacy: str | None = None) -> str | None:
            found = detail[prop(property_name)] if detail is not None else None
            if found is None and parent is not None and legacy:
                found = parent[legacy]
            return found

        contact_links = sorted(
            (r for r in links if r.table == "engagement_contact"),
            key=lambda r: _id_order(r["contact_id"]),
        )
        company_links = sorted(
            (r for r in links if r.table == "engagement_company"),
            key=lambda r: _id_order(r["company_id"]),
        )
        contact_link = contact_links[0] if contact_links else None
        contact_id = contact_link["contact_id"] if contact_link else None
        contact_company = lookups.company_of_contact.get(contact_id or "")
        company_link = next(
            (r for r in company_links if r["company_id"] == contact_company),
            company_links[0] if company_links else None,
        )
        company_id = company_link["company_id"] if company_link else contact_company
        if company_id is None:
            raise _Problem(
                "no associated company (engagement_company), nor a contact whose company is "
                "known; associate the activity with the customer's company"
            )
        activity_types = _loose_map(self.settings["activity_types"])
        label = value("hs_activity_type", "activity_type")
        base = self.settings["note_activity_type"] if kind == "NOTE" else _base_type(kind)
        activity_type = activity_types.get(_key(label), base) if label else base
        high_value_column = prop(self.settings["high_value_property"])
        high_value = _bool(detail, high_value_column) if detail is not None else None
        if high_value is None:
            high_value = activity_type == EBR
        occurred = value("hs_timestamp", "timestamp")
        updated = (
            value("hs_lastmodifieddate", "last_updated")
            or value("hs_createdate", "created_at")
            or occurred
        )
        values = {
            "activity_id": engagement_id,
            "account_id": self._account(company_id, lookups),
            "contact_id": contact_id,
            "csm_id": self._csm(value("hubspot_owner_id", "owner_id"), lookups),
            "activity_type": activity_type,
            "content_category": _choice(value(self.settings["content_category_property"])),
            "direction": _direction(kind, detail),
            "is_high_value": high_value,
            "occurred_at": hubspot_instant(occurred),
            "updated_at": hubspot_instant(updated),
        }
        return values, [r for r in (company_link, contact_link) if r is not None]

    # -- deals -> opportunities

    def _deals(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        pipelines = {
            k: r
            for k, r in self._latest(
                rows["deal_pipeline"], "pipeline_id", (), batch, "pipeline"
            ).items()
            if not self._deleted(r, batch)
        }
        stages = {
            k: r
            for k, r in self._latest(
                rows["deal_pipeline_stage"], "stage_id", (), batch, "stage"
            ).items()
            if not self._deleted(r, batch)
        }
        companies = self._links(rows["deal_company"], "deal_id", "company_id", batch)
        renewal_pipelines = _loose_set(self.settings["renewal_pipelines"])
        renewal_types = _loose_set(self.settings["renewal_deal_types"])
        expansion_types = _loose_set(self.settings["expansion_deal_types"])
        deals = self._latest(rows["deal"], "deal_id", (prop("hs_lastmodifieddate"),), batch, "deal")
        for deal_id, row in deals.items():
            links = companies.pop(deal_id, [])
            if self._deleted(row, batch):
                _settle_all(links, batch, "association of a deleted deal")
                continue
            pipeline_id = row["deal_pipeline_id"]
            pipeline = pipelines.get(pipeline_id or "")
            pipeline_names = {_key(pipeline_id or "")} | (
                {_key(pipeline["label"])} if pipeline is not None and pipeline["label"] else set()
            )
            deal_type = _key(row[prop("dealtype")] or "")
            if pipeline_names & renewal_pipelines or deal_type in renewal_types:
                opportunity_type = "renewal"
            elif deal_type in expansion_types:
                opportunity_type = "expansion"
            else:
                reason = (
                    f"deal type {row[prop('dealtype')] or '(empty)'} outside the renewal "
                    "pipeline: new business, not a customer-success opportunity"
                )
                _settle_all([row, *links], batch, reason)
                continue
            links.sort(
                key=lambda r: (r["type_id"] != PRIMARY_DEAL_COMPANY, _id_order(r["company_id"]))
            )
            try:
                if not links:
                    raise _Problem(
                        "no associated company (deal_company); associate the deal with the "
                        "customer's company"
                    )
                stage_row = stages.get(row["deal_pipeline_stage_id"] or "")
                stage = self._stage(row, stage_row)
                closed_at = hubspot_instant(row[prop("closedate")]) if stage != "open" else None
                values = {
                    "opportunity_id": deal_id,
                    "account_id": self._account(links[0]["company_id"], lookups),
                    "owner_csm_id": self._csm(row["owner_id"], lookups),
                    "opportunity_type": opportunity_type,
                    "stage": stage,
                    "amount": decimal_text(row[prop("amount")]),
                    "close_date": utc_date(row[prop("closedate")]),
                    "created_at": hubspot_instant(row[prop("createdate")]),
                    "closed_at": closed_at,
                    "updated_at": hubspot_instant(
                        row[prop("hs_lastmodifieddate")] or row[prop("createdate")]
                    ),
                }
            except _Problem as problem:
                batch.quarantine(row, str(problem))
                _settle_all(links, batch, "association of a deal that was quarantined")
                continue
            batch.emit("opportunities", values, row, links[0])
            _settle_all(links[1:], batch, "another company of the deal (it takes the primary one)")
            for used in (pipeline, stage_row):
                if used is not None:
                    batch.used(used)
        for remaining in companies.values():
            _settle_all(remaining, batch, "association of a deal not in this delivery")
        _settle_rest(rows["deal_pipeline"], batch, "no deal in this delivery is in this pipeline")
        _settle_rest(
            rows["deal_pipeline_stage"], batch, "no deal in this delivery is at this stage"
        )

    def _stage(self, deal: VendorRow, stage: VendorRow | None) -> str:
        stage_id = deal["deal_pipeline_stage_id"]
        if stage_id is None:
            raise _Problem("deal_pipeline_stage_id: empty; every deal is at a stage")
        if stage is None:
            raise _Problem(
                f"deal_pipeline_stage_id: '{stage_id}' is not in deal_pipeline_stage; deliver "
                "that table with the deal's stage"
            )
        names = {_key(stage_id or ""), _key(stage["label"] or "")}
        if names & _loose_set(self.settings["won_stages"]):
            return "closed_won"
        if names & _loose_set(self.settings["lost_stages"]):
            return "closed_lost"
        closed = _bool(stage, "is_closed")
        try:
            probability = parse_decimal(stage["probability"])
        except ValueError:
            raise _Problem(f"probability: '{stage['probability']}' is not a number") from None
        label = _key(stage["label"] or "")
        if closed is False:
            return "open"
        if probability is not None and probability >= 1:
            return "closed_won"
        if closed and probability is not None and probability <= 0:
            return "closed_lost"
        if "won" in label.split("_"):
            return "closed_won"
        if "lost" in label.split("_"):
            return "closed_lost"
        if closed:
            raise _Problem(
                f"stage '{stage['label'] or stage_id}' is closed with probability "
                f"{stage['probability']}: name it in won_stages or lost_stages"
            )
        return "open"

    # -- feedback submissions -> survey responses

    def _feedback(self, rows, batch: MappedBatch, lookups: _Lookups) -> None:
        survey_types = _loose_map(self.settings["survey_types"])
        company_column = prop(self.settings["survey_company_property"])
        submissions = self._latest(
            rows["feedback_submission"],
            "id",
            (prop("hs_lastmodifieddate"),),
            batch,
            "feedback submission",
        )
        for submission_id, row in submissions.items():
            if self._deleted(row, batch):
                continue
            name, kind = row[prop("hs_survey_name")], row[prop("hs_survey_type")]
            survey_type = survey_types.get(_key(name or "")) or survey_types.get(_key(kind or ""))
            if survey_type is None:
                batch.skip(
                    row,
                    f"survey {name or kind or '(unnamed)'} is mapped to no contract survey type "
                    "(survey_types setting)",
                )
                continue
            contact_id = row[prop("hs_contact_id")]
            company_id = row[company_column] or lookups.company_of_contact.get(contact_id or "")
            try:
                if company_id is None:
                    if contact_id is not None and contact_id not in lookups.contacts_delivered:
                        raise _Problem(
                            f"contact {contact_id} is not in this delivery, so the response's "
                            f"company is unknown; deliver the contact or set {company_column}"
                        )
                    raise _Problem(
                        f"no contact with a company and no {company_column}; name the company "
                        "of the response"
                    )
                values = {
                    "survey_response_id": submission_id,
                    "account_id": self._account(company_id, lookups),
                    "contact_id": contact_id,
                    "survey_type": survey_type,
                    "score": _score(row[prop("hs_value")], survey_type),
                    "responded_at": hubspot_instant(
                        row[prop("hs_submission_timestamp")] or row[prop("hs_createdate")]
                    ),
                    "updated_at": hubspot_instant(
                        row[prop("hs_lastmodifieddate")]
                        or row[prop("hs_submission_timestamp")]
                        or row[prop("hs_createdate")]
                    ),
                }
            except _Problem as problem:
                batch.quarantine(row, str(problem))
                continue
            batch.emit("survey_responses", values, row)

    # ------------------------------------------------------------------------------ dialect

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> dict[str, Any]:
        settings = self.settings
        csms = native.rows("csms")
        self._write_owners(csms, out_dir)
        # HubSpot has no manager or quota field: the world's go into the settings, as a team's
        # would.
        world_settings = {
            "csm_managers": {
                c["csm_id"]: c["manager_csm_id"] for c in csms if c.get("manager_csm_id")
            },
            "csm_quotas": {
                c["csm_id"]: c["annual_renewal_quota"]
                for c in csms
                if c.get("annual_renewal_quota")
            },
        }
        write_vendor_csv(
            out_dir / "company" / "company.csv",
            [
                "id",
                prop("name"),
                prop("industry"),
                prop("numberofemployees"),
                prop("country"),
                prop(settings["region_property"]),
                prop(settings["account_csm_property"]),
                prop(settings["touch_tier_property"]),
                prop("createdate"),
                prop("hs_lastmodifieddate"),
                "is_deleted",
                FIVETRAN_DELETED,
            ],
            (self._company_record(a) for a in native.rows("accounts")),
        )
        write_vendor_jsonl(
            out_dir / "contact" / "contact.jsonl",
            (self._contact_record(c) for c in native.rows("contacts")),
        )
        self._write_engagements(native.rows("activities"), out_dir)
        self._write_deals(native.rows("opportunities"), out_dir)
        write_vendor_parquet(
            out_dir / "feedback_submission" / "feedback_submission.parquet",
            [
                "id",
                prop("hs_survey_type"),
                prop("hs_survey_name"),
                prop("hs_value"),
                prop("hs_contact_id"),
                prop(settings["survey_company_property"]),
                prop("hs_submission_timestamp"),
                prop("hs_lastmodifieddate"),
                FIVETRAN_DELETED,
            ],
            (self._submission_record(s) for s in native.rows("survey_responses")),
        )
        return world_settings

    def _write_owners(self, csms: list[dict[str, str | None]], out_dir: Path) -> None:
        team_names = _first_names(self.settings["team_names"], TEAMS)
        role_names = _first_names(self.settings["role_names"], ROLES)
        team_ids = {team: str(101 + i) for i, team in enumerate(TEAMS)}
        role_ids = {role: str(201 + i) for i, role in enumerate(ROLES)}
        owners, memberships, users = [], [], []
        for csm in csms:
            first, _, last = (csm["full_name"] or "").partition(" ")
            active = csm["is_active"] == "true"
            user_id = f"u{csm['csm_id']}"
            owners.append(
                {
                    "owner_id": csm["csm_id"],
                    "first_name": first or None,
                    "last_name": last or None,
                    "email": csm["email"],
                    "created_at": f"{csm['hired_date']}T00:00:00Z",
                    "updated_at": csm["updated_at"],
                    "is_active": csm["is_active"],
                    "active_user_id": user_id if active else None,
                    "type": "PERSON",
                }
            )
            memberships.append(
                {
                    "owner_id": csm["csm_id"],
                    "team_id": team_ids[csm["team"]],
                    "is_team_primary": True,
                }
            )
            users.append({"id": user_id, "email": csm["email"], "role_id": role_ids[csm["role"]]})
        write_vendor_csv(
            out_dir / "owner" / "owner.csv",
            [
                "owner_id",
                "first_name",
                "last_name",
                "email",
                "created_at",
                "updated_at",
                "is_active",
                "active_user_id",
                "type",
            ],
            owners,
        )
        write_vendor_csv(
            out_dir / "team" / "team.csv",
            ["id", "name"],
            ({"id": team_ids[t], "name": team_names[t]} for t in TEAMS),
        )
        write_vendor_csv(
            out_dir / "owner_team" / "owner_team.csv",
            ["owner_id", "team_id", "is_team_primary"],
            memberships,
        )
        write_vendor_csv(out_dir / "users" / "users.csv", ["id", "email", "role_id"], users)
        write_vendor_csv(
            out_dir / "role" / "role.csv",
            ["id", "name"],
            ({"id": role_ids[r], "name": role_names[r]} for r in ROLES),
        )

    def _company_record(self, account: dict[str, str | None]) -> dict[str, Any]:
        settings = self.settings
        extra = settings["industries"] or {}
        merged = {**DEFAULT_INDUSTRIES, **extra}
        # The team's own names first: the dialect writes the values its settings map.
        ordered = {name: merged[name] for name in [*extra, *DEFAULT_INDUSTRIES]}
        industry_names = _first_names(ordered, DEFAULT_INDUSTRIES.values())
        country = account["country"]
        region = account["region"]
        return {
            "id": account["account_id"],
            prop("name"): account["account_name"],
            prop("industry"): industry_names.get(account["industry"] or "", account["industry"]),
            prop("numberofemployees"): account["employee_count"],
            prop("country"): COUNTRY_NAMES.get(country or "", country),
            # The region is written only where the country does not already say it.
            prop(settings["region_property"]): (
                None if COUNTRY_REGIONS.get(country or "") == region else region
            ),
            prop(settings["account_csm_property"]): account["owner_csm_id"],
            prop(settings["touch_tier_property"]): account["touch_tier_override"],
            prop("createdate"): _epoch_ms(account["created_at"]),
            prop("hs_lastmodifieddate"): account["updated_at"],
            "is_deleted": False,
            FIVETRAN_DELETED: False,
        }

    def _contact_record(self, contact: dict[str, str | None]) -> dict[str, Any]:
        settings = self.settings
        roles = [
            settings[roles_setting][0]
            for column, roles_setting in (
                ("is_executive", "executive_roles"),
                ("is_decision_maker", "decision_maker_roles"),
                ("is_champion", "champion_roles"),
            )
            if contact[column] == "true"
        ]
        return {
            "id": contact["contact_id"],
            prop("firstname"): contact["first_name"],
            prop("lastname"): contact["last_name"],
            prop("email"): contact["email"],
            prop("jobtitle"): contact["title"],
            prop("associatedcompanyid"): contact["account_id"],
            prop(settings["buying_role_property"]): ";".join(roles) or None,
            prop(settings["reports_to_property"]): contact["reports_to_contact_id"],
            prop("createdate"): _epoch_ms(contact["created_at"]),
            prop("lastmodifieddate"): _epoch_ms(contact["updated_at"]),
            FIVETRAN_DELETED: False,
        }

    def _write_engagements(self, activities: list[dict[str, str | None]], out_dir: Path) -> None:
        settings = self.settings
        labels = _first_names(settings["activity_types"], {EBR, "webinar", "content_engagement"})
        category = prop(settings["content_category_property"])
        high_value = prop(settings["high_value_property"])
        parents: list[dict[str, Any]] = []
        details: dict[str, list[dict[str, Any]]] = defaultdict(list)
        company_links, contact_links = [], []
        for activity in activities:
            kind, specific = _engagement_shape(activity, settings["note_activity_type"])
            engagement_id = activity["activity_id"]
            parents.append({"id": engagement_id, "type": kind, FIVETRAN_DELETED: False})
            is_high_value = activity["is_high_value"] == "true"
            record = {
                "engagement_id": engagement_id,
                prop("hs_timestamp"): _epoch_ms(activity["occurred_at"]),
                prop("hs_createdate"): activity["updated_at"],
                prop("hs_lastmodifieddate"): activity["updated_at"],
                prop("hubspot_owner_id"): activity["csm_id"],
                prop("hs_activity_type"): labels.get(activity["activity_type"] or ""),
                category: activity["content_category"],
                # Written only where it differs from the rule for an empty value (EBRs are).
                high_value: (
                    None
                    if is_high_value == (activity["activity_type"] == EBR)
                    else str(is_high_value).lower()
                ),
                **specific,
            }
            details[DETAIL_TABLES[kind]].append(record)
            company_links.append(
                {"engagement_id": engagement_id, "company_id": activity["account_id"]}
            )
            if activity["contact_id"]:
                contact_links.append(
                    {"engagement_id": engagement_id, "contact_id": activity["contact_id"]}
                )
        write_vendor_parquet(
            out_dir / "engagement" / "engagement.parquet",
            ["id", "type", FIVETRAN_DELETED],
            parents,
        )
        for table, records in details.items():
            path = out_dir / table / f"{table}.jsonl"
            if table == "engagement_email":
                write_vendor_jsonl(path, records)
            else:
                header = sorted({column for record in records for column in record})
                write_vendor_csv(path.with_suffix(".csv"), header, records)
        write_vendor_csv(
            out_dir / "engagement_company" / "engagement_company.csv",
            ["engagement_id", "company_id"],
            company_links,
        )
        write_vendor_csv(
            out_dir / "engagement_contact" / "engagement_contact.csv",
            ["engagement_id", "contact_id"],
            contact_links,
        )

    def _write_deals(self, opportunities: list[dict[str, str | None]], out_dir: Path) -> None:
        settings = self.settings
        renewal_label = settings["renewal_pipelines"][0]
        expansion_type = settings["expansion_deal_types"][0]
        pipelines = {"renewal": "renewals", "expansion": "default"}
        stage_ids = {
            (pipeline, stage): f"{pipeline}_{stage}"
            for pipeline in pipelines.values()
            for stage in ("open", "closed_won", "closed_lost")
        }
        deals, links = [], []
        for opportunity in opportunities:
            pipeline = pipelines[opportunity["opportunity_type"] or "expansion"]
            closed = opportunity["stage"] != "open"
            deals.append(
                {
                    "deal_id": opportunity["opportunity_id"],
                    "deal_pipeline_id": pipeline,
                    "deal_pipeline_stage_id": stage_ids[(pipeline, opportunity["stage"])],
                    "owner_id": opportunity["owner_csm_id"],
                    prop("dealtype"): expansion_type,
                    prop("amount"): opportunity["amount"],
                    prop("closedate"): (
                        opportunity["closed_at"]
                        if closed
                        else f"{opportunity['close_date']}T00:00:00Z"
                    ),
                    prop("createdate"): opportunity["created_at"],
                    prop("hs_lastmodifieddate"): opportunity["updated_at"],
                    "is_deleted": False,
                    FIVETRAN_DELETED: False,
                }
            )
            links.append(
                {
                    "deal_id": opportunity["opportunity_id"],
                    "company_id": opportunity["account_id"],
                    "type_id": PRIMARY_DEAL_COMPANY,
                }
            )
        write_vendor_csv(
            out_dir / "deal" / "deal.csv", list(deals[0]) if deals else ["deal_id"], deals
        )
        write_vendor_csv(
            out_dir / "deal_company" / "deal_company.csv",
            ["deal_id", "company_id", "type_id"],
            links,
        )
        write_vendor_csv(
            out_dir / "deal_pipeline" / "deal_pipeline.csv",
            ["pipeline_id", "label", "active"],
            [
                {"pipeline_id": "renewals", "label": renewal_label, "active": True},
                {"pipeline_id": "default", "label": "Sales Pipeline", "active": True},
            ],
        )
        stage_shapes = {
            "open": ("Negotiation", "0.6", False),
            "closed_won": ("Closed won", "1.0", True),
            "closed_lost": ("Closed lost", "0.0", True),
        }
        write_vendor_csv(
            out_dir / "deal_pipeline_stage" / "deal_pipeline_stage.csv",
            ["stage_id", "pipeline_id", "label", "probability", "is_closed"],
            [
                {
                    "stage_id": stage_id,
                    "pipeline_id": pipeline,
                    "label": stage_shapes[stage][0],
                    "probability": stage_shapes[stage][1],
                    "is_closed": stage_shapes[stage][2],
                }
                for (pipeline, stage), stage_id in stage_ids.items()
            ],
        )

    def _submission_record(self, response: dict[str, str | None]) -> dict[str, Any]:
        survey_type = response["survey_type"] or ""
        # NPS and CSAT are HubSpot survey types; the others are custom surveys known by name.
        names = _first_names(self.settings["survey_types"], {"onboarding", "post_sales"})
        standard = survey_type.upper() if survey_type in ("nps", "csat") else None
        return {
            "id": response["survey_response_id"],
            prop("hs_survey_type"): standard or "CUSTOM",
            prop("hs_survey_name"): names.get(survey_type),
            prop("hs_value"): response["score"],
            prop("hs_contact_id"): response["contact_id"],
            prop(self.settings["survey_company_property"]): (
                None if response["contact_id"] else response["account_id"]
            ),
            prop("hs_submission_timestamp"): _epoch_ms(response["responded_at"]),
            prop("hs_lastmodifieddate"): response["updated_at"],
            FIVETRAN_DELETED: False,
        }


# ------------------------------------------------------------------------------------ helpers

# Settings whose values are contract values: (setting, allowed values, what they are).
_MAPPED_SETTINGS = (
    ("industries", frozenset(DEFAULT_INDUSTRIES.values()), "contract industry"),
    ("team_names", frozenset(TEAMS), "CS team"),
    ("role_names", frozenset(ROLES), "CSM role"),
    ("activity_types", frozenset(ACTIVITY_TYPES), "activity type"),
    ("survey_types", frozenset(("nps", "csat", "onboarding", "post_sales")), "survey type"),
)
_LIST_SETTINGS = (
    "executive_roles",
    "decision_maker_roles",
    "champion_roles",
    "renewal_pipelines",
    "renewal_deal_types",
    "expansion_deal_types",
    "won_stages",
    "lost_stages",
)


def _check_settings(settings: dict[str, Any]) -> None:
    """Refuse settings the mapping cannot use (ValueError names the setting and the fix)."""
    for name, allowed, what in _MAPPED_SETTINGS:
        mapping = settings[name] or {}
        if not isinstance(mapping, Mapping):
            raise ValueError(f"hubspot: {name} must map names to a {what}, e.g. 'Name: value'")
        wrong = sorted({str(v) for v in mapping.values()} - allowed)
        if wrong:
            raise ValueError(
                f"hubspot: {name}: {', '.join(wrong)} is no {what} ({', '.join(sorted(allowed))})"
            )
    for name, allowed in (
        ("default_team", TEAMS),
        ("default_role", ROLES),
        ("note_activity_type", ACTIVITY_TYPES),
    ):
        if settings[name] is not None and settings[name] not in allowed:
            raise ValueError(f"hubspot: {name}: '{settings[name]}' is not one of {allowed}")
    for name in _LIST_SETTINGS:
        if isinstance(settings[name], str):
            settings[name] = [settings[name]]  # one value written without brackets
        elif not isinstance(settings[name], list):
            raise ValueError(f"hubspot: {name} must be a list, e.g. [{name.split('_')[0]}]")
    for name in ("countries", "csm_managers", "csm_quotas"):
        if not isinstance(settings[name] or {}, Mapping):
            raise ValueError(f"hubspot: {name} must be a mapping")


def _primary_flag(value: str | None) -> bool:
    try:
        return bool(parse_bool(value))
    except ValueError:
        return False


def _version_order(row: VendorRow, updated: tuple[str, ...]) -> tuple:
    stamp = next((as_datetime(row[c]) for c in updated if row[c] is not None), None)
    synced = as_datetime(row[SYNCED])
    floor = datetime.min.replace(tzinfo=UTC)
    return (stamp or floor, synced or floor, row.file, row.line)


def _settle_all(rows: Iterable[VendorRow], batch: MappedBatch, reason: str) -> None:
    for row in rows:
        batch.skip(row, reason)


def _settle_rest(rows: Iterable[VendorRow], batch: MappedBatch, reason: str) -> None:
    """Skip the rows of a lookup table no mapped record used."""
    for row in rows:
        if batch.outcome(row) is None:
            batch.skip(row, reason)


def _choice(value: str | None) -> str | None:
    """A dropdown value as a contract value: ``'High touch'`` is ``high_touch``."""
    return None if value is None else _key(value)


def _type_of_table(table: str) -> str:
    return table.removeprefix("engagement_").upper()


def _base_type(kind: str) -> str:
    return "email" if kind in EMAIL_TYPES else kind.lower()


def _direction(kind: str, detail: VendorRow | None) -> str:
    """Reactive: an inbound call, an e-mail from the customer, a meeting the customer booked."""

    def says(column: str, value: str) -> bool:
        return detail is not None and _key(detail[prop(column)] or "") == _key(value)

    reactive = (
        kind == "INCOMING_EMAIL"
        or says("hs_email_direction", "INCOMING_EMAIL")
        or says("hs_call_direction", "INBOUND")
        or says("hs_meeting_source", BOOKED_BY_CUSTOMER)
    )
    return "reactive" if reactive else "proactive"


def _score(value: str | None, survey_type: str) -> str | None:
    if value is None:
        return None  # the contract's required check names it
    try:
        number = parse_decimal(value)
    except ValueError:
        raise _Problem(f"{prop('hs_value')}: '{value}' is not a score") from None
    if number != number.to_integral_value():
        raise _Problem(f"{prop('hs_value')}: '{value}' is not a whole-number score")
    if survey_type == "nps" and not 0 <= number <= 10:
        raise _Problem(f"{prop('hs_value')}: NPS score {value} is outside 0-10")
    return str(int(number))


def _first_names(mapping: Mapping[Any, Any], values: Iterable[str]) -> dict[str, str]:
    """Contract value -> the first vendor name mapping to it (the contract value if none)."""
    names: dict[str, str] = {}
    for name, value in (mapping or {}).items():
        names.setdefault(str(value), str(name))
    return {value: names.get(value, value) for value in values}


def _engagement_shape(
    activity: Mapping[str, str | None], note_type: str
) -> tuple[str, dict[str, str]]:
    """The engagement type of a native activity and its direction property."""
    activity_type = activity["activity_type"]
    reactive = activity["direction"] == "reactive"
    if activity_type == "email":
        kind = "INCOMING_EMAIL" if reactive else "EMAIL"
        return kind, {prop("hs_email_direction"): kind}
    if activity_type == "call":
        return "CALL", {prop("hs_call_direction"): "INBOUND" if reactive else "OUTBOUND"}
    if activity_type == note_type and not reactive:
        return "NOTE", {}
    # Meetings, EBRs and webinars (reactive ones: booked by the customer).
    return "MEETING", {prop("hs_meeting_source"): BOOKED_BY_CUSTOMER if reactive else "CRM_UI"}
