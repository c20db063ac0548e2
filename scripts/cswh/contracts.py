"""Raw extract contracts: the one definition of every entity the warehouse accepts.

The generator writes these shapes, the loader checks files against them, and the dbt sources YAML
is rendered from them (``cswh contracts``), so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Logical column types. The loader maps them to warehouse types; extracts carry them as text:
# integers and decimals in plain notation, booleans as true/false, dates as YYYY-MM-DD and
# timestamps as ISO 8601 with an offset (Z or +hh:mm), converted to UTC on load. A rate is a
# decimal kept to 12 places (an exchange rate such as 0.006712 yen in dollars).
COLUMN_TYPES = ("string", "integer", "decimal", "rate", "boolean", "date", "timestamp")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    allowed_values: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    is_pii: bool = False

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    updated_at_column: str
    # Foreign keys: column -> (entity, column). Checked by dbt relationships tests in staging.
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Freshness thresholds in hours for dbt source freshness.
    warn_after_hours: int = 36
    error_after_hours: int = 96

    @property
    def table_name(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")


def _updated_at(what: str) -> Column:
    return Column(
        "updated_at",
        "timestamp",
        f"When the source system last changed this {what}; later versions of a key supersede "
        "earlier ones.",
        required=True,
    )


SUPPORT_DESK = "support_desk"
BILLING = "billing"
CRM = "crm"
PRODUCT_USAGE = "product_usage"

SOURCES: dict[str, str] = {
    SUPPORT_DESK: "Help-desk system used by the Support team: customer tickets and the "
    "escalations Support hands to Customer Success.",
    BILLING: "Subscription billing system: billing customers, the plan catalogue, "
    "subscriptions with their item history, and invoices.",
    CRM: "Customer relationship management system where Customer Success works: accounts, "
    "contacts, activities, onboarding, goals, surveys, sentiment, the CSM roster and "
    "renewal/expansion opportunities.",
    PRODUCT_USAGE: "Product analytics: the feature catalogue and daily usage per account and "
    "feature.",
}

TOUCH_TIERS = ("high_touch", "low_touch", "tech_touch")
REGIONS = ("north_america", "emea", "apac", "latam")
# A plan bills every `interval_count` of these (every 2 weeks, every 6 months).
BILLING_INTERVALS = ("day", "week", "month", "quarter", "year")
# ISO 4217 currencies the billing entities accept, with their minor units (decimal places):
# JPY and KRW have none, BHD and KWD three. Amounts are in major units ("1200" yen, "12.50"
# dollars); an amount with more decimals than its currency allows fails a staging test, and
# adapters convert a vendor's minor units (Stripe's cents) with this table.
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "INR": 2, "SGD": 2, "HKD": 2, "CNY": 2, "BRL": 2,
    "MXN": 2, "ZAR": 2, "ILS": 2, "AED": 2, "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
    "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3,
}  # fmt: skip
CURRENCIES = tuple(CURRENCY_MINOR_UNITS)
SUBSCRIPTION_STATUSES = (
    "trialing",
    "incomplete",
    "incomplete_expired",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "non_renewing",
    "canceled",
    "ended",
)
PLAN_TIERS = ("starter", "growth", "enterprise")

ENTITIES: tuple[Entity, ...] = (
    # ---------------------------------------------------------------- support desk
    Entity(
        source=SUPPORT_DESK,
        name="tickets",
        description="One row per version of a support ticket. A ticket is re-delivered each "
        "time it changes (first response, solve, CSAT, deletion).",
        key=("ticket_id",),
        updated_at_column="updated_at",
        references={
            "account_id": ("accounts", "account_id"),
            "requester_contact_id": ("contacts", "contact_id"),
        },
        columns=(
            Column("ticket_id", "string", "Help-desk ticket identifier.", required=True),
            Column("account_id", "string", "CRM account the requester belongs to.", required=True),
            Column("requester_contact_id", "string", "CRM contact who opened the ticket."),
            Column("created_at", "timestamp", "When the ticket was opened.", required=True),
            Column("first_response_at", "timestamp", "First public reply by an agent."),
            Column("solved_at", "timestamp", "When the ticket was marked solved."),
            Column(
                "status",
                "string",
                "Ticket status at the time of this version.",
                required=True,
                allowed_values=("new", "open", "pending", "solved", "closed"),
            ),
            Column(
                "priority",
                "string",
                "Priority set by Support; empty when the help desk has none (unknown priority).",
                allowed_values=("low", "normal", "high", "urgent"),
            ),
            Column(
                "channel",
                "string",
                "How the ticket came in.",
                required=True,
                allowed_values=("email", "web", "chat", "phone"),
            ),
            Column(
                "category",
                "string",
                "What the ticket is about.",
                required=True,
                allowed_values=(
                    "how_to",
                    "bug",
                    "outage",
                    "billing",
                    "feature_request",
                    "account_admin",
                ),
            ),
            Column("product_id", "string", "Product the ticket concerns, when known."),
            Column(
                "csat_rating",
                "integer",
                "Customer satisfaction rating given after solve, 1 (bad) to 5 (great), for help "
                "desks that rate on five points. Empty when not rated or rated good/bad.",
                min_value=1,
                max_value=5,
            ),
            Column(
                "csat_good_bad",
                "string",
                "Customer satisfaction given after solve on a two-point scale (Zendesk's "
                "satisfaction rating), for help desks that rate good or bad instead of 1-5. A "
                "ticket carries csat_rating or csat_good_bad, not both. The column may be left "
                "out of an extract.",
                allowed_values=("good", "bad"),
            ),
            Column(
                "is_deleted",
                "boolean",
                "true when the ticket was deleted in the help desk (spam, duplicates, tests); "
                "empty means not deleted. The column may be left out of an extract.",
            ),
            Column(
                "deleted_at",
                "timestamp",
                "When the ticket was deleted, when the help desk says; a ticket with a deletion "
                "time is deleted. The column may be left out of an extract.",
            ),
            _updated_at("ticket"),
        ),
    ),
    Entity(
        source=SUPPORT_DESK,
        name="escalations",
        description="One row per version of an escalation from Support to Customer Success. "
        "Trouble escalations flag risk (a problem Support cannot fix); opportunity escalations "
        "flag growth (a customer asking about more seats, a longer contract, a case study).",
        key=("escalation_id",),
        updated_at_column="updated_at",
        references={
            "ticket_id": ("tickets", "ticket_id"),
            "account_id": ("accounts", "account_id"),
        },
        columns=(
            Column("escalation_id", "string", "Escalation identifier.", required=True),
            Column("ticket_id", "string", "Ticket the escalation was raised from.", required=True),
            Column("account_id", "string", "CRM account concerned.", required=True),
            Column("escalated_at", "timestamp", "When Support escalated.", required=True),
            Column(
                "escalation_type",
                "string",
                "trouble (risk) or opportunity (growth).",
                required=True,
                allowed_values=("trouble", "opportunity"),
            ),
            Column(
                "reason",
                "string",
                "Why Support escalated.",
                required=True,
                allowed_values=(
                    "product_defect",
                    "performance",
                    "outage",
                    "missing_feature",
                    "billing_dispute",
                    "unhappy_customer",
                    "seat_expansion",
                    "upgrade_interest",
                    "longer_contract",
                    "case_study",
                    "new_use_case",
                ),
            ),
            Column("product_id", "string", "Product concerned, when known."),
            Column(
                "severity",
                "string",
                "Severity assessed by Support.",
                required=True,
                allowed_values=("low", "medium", "high", "critical"),
            ),
            Column("accepted_at", "timestamp", "When Customer Success accepted the escalation."),
            Column("resolved_at", "timestamp", "When Customer Success closed it."),
            Column(
                "outcome",
                "string",
                "How it ended; empty while open.",
                allowed_values=(
                    "resolved",
                    "saved",
                    "lost",
                    "expanded",
                    "no_action",
                ),
            ),
            _updated_at("escalation"),
        ),
    ),
    # ---------------------------------------------------------------- billing
    Entity(
        source=BILLING,
        name="customers",
        description="One row per version of a billing customer (the paying entity), linked to "
        "its CRM account.",
        key=("billing_customer_id",),
        updated_at_column="updated_at",
        references={"account_id": ("accounts", "account_id")},
        columns=(
            Column("billing_customer_id", "string", "Billing customer identifier.", required=True),
            Column("account_id", "string", "CRM account this customer bills.", required=True),
            Column("billing_email", "string", "Invoice recipient address.", is_pii=True),
            Column("billing_country", "string", "ISO 3166 alpha-2 country code.", required=True),
            Column(
                "currency",
                "string",
                "ISO 4217 currency the customer is billed in.",
                required=True,
                allowed_values=CURRENCIES,
            ),
            Column("created_at", "timestamp", "When the customer was created.", required=True),
            _updated_at("customer"),
        ),
    ),
    Entity(
        source=BILLING,
        name="plans",
        description="One row per version of a price plan in the catalogue: a product sold at a "
        "per-seat list price for one billing interval.",
        key=("plan_id",),
        updated_at_column="updated_at",
        columns=(
            Column("plan_id", "string", "Plan identifier.", required=True),
            Column("product_id", "string", "Product the plan sells.", required=True),
            Column("product_name", "string", "Product display name.", required=True),
            Column("plan_name", "string", "Plan display name.", required=True),
            Column(
                "plan_tier",
                "string",
                "Edition of a core product (higher tiers include more features); empty for "
                "add-ons.",
                allowed_values=PLAN_TIERS,
            ),
            Column(
                "product_kind",
                "string",
                "core (the platform every customer buys) or add_on.",
                required=True,
                allowed_values=("core", "add_on"),
            ),
            Column(
                "billing_interval",
                "string",
                "Unit of the billing period (the plan bills every interval_count of them).",
                required=True,
                allowed_values=BILLING_INTERVALS,
            ),
            Column(
                "interval_count",
                "integer",
                "How many intervals one billing period spans (2 with week: every two weeks); "
                "empty means 1.",
                min_value=1,
                max_value=36,
            ),
            Column(
                "list_price",
                "decimal",
                "List price per seat for one billing period, in the plan currency.",
                required=True,
                min_value=0,
            ),
            Column(
                "currency",
                "string",
                "ISO 4217 currency of the list price.",
                required=True,
                allowed_values=CURRENCIES,
            ),
            Column("is_active", "boolean", "Whether the plan can still be sold.", required=True),
            _updated_at("plan"),
        ),
    ),
    Entity(
        source=BILLING,
        name="subscriptions",
        description="One row per version of a subscription: the contract under which a billing "
        "customer pays, with its trial, term and cancellation dates.",
        key=("subscription_id",),
        updated_at_column="updated_at",
        references={"billing_customer_id": ("customers", "billing_customer_id")},
        columns=(
            Column("subscription_id", "string", "Subscription identifier.", required=True),
            Column("billing_customer_id", "string", "Billing customer paying.", required=True),
            Column(
                "status",
                "string",
                "Status at the time of this version. incomplete and incomplete_expired never "
                "paid; past_due and unpaid are in dunning; paused has billing suspended "
                "(paused_at to resumes_at); non_renewing and canceled end at ended_at.",
                required=True,
                allowed_values=SUBSCRIPTION_STATUSES,
            ),
            Column(
                "billing_interval",
                "string",
                "Unit of the subscription's billing period (its term, for renewals).",
                required=True,
                allowed_values=BILLING_INTERVALS,
            ),
            Column(
                "interval_count",
                "integer",
                "How many intervals one billing period spans; empty means 1.",
                min_value=1,
                max_value=36,
            ),
            Column("trial_started_at", "timestamp", "Start of the free trial, if any."),
            Column("trial_ended_at", "timestamp", "End of the free trial, if any."),
            Column(
                "started_at",
                "timestamp",
                "Start of paid service (after any trial).",
                required=True,
            ),
            Column("current_term_started_at", "timestamp", "Start of the current billing term."),
            Column("current_term_ends_at", "timestamp", "End of the current billing term."),
            Column("canceled_at", "timestamp", "When cancellation was requested."),
            Column(
                "ended_at",
                "timestamp",
                "First instant without paid service (the end of the last paid term, exclusive). "
                "An inclusive end (23:59:59 on the last day) is read as the next midnight.",
            ),
            Column(
                "paused_at",
                "timestamp",
                "Start of the current or latest pause (billing and service suspended).",
            ),
            Column(
                "resumes_at",
                "timestamp",
                "When the latest pause ends (exclusive); empty while paused with no end date.",
            ),
            Column(
                "is_auto_renew", "boolean", "Whether the term renews automatically.", required=True
            ),
            Column("created_at", "timestamp", "When the subscription was created.", required=True),
            _updated_at("subscription"),
        ),
    ),
    Entity(
        source=BILLING,
        name="subscription_item_versions",
        description="One row per version of a subscription item: which plan, how many seats, at "
        "what unit price, currency and discount, valid from one instant to the next change. The "
        "full change history of what each subscription contains.",
        key=("item_version_id",),
        updated_at_column="updated_at",
        references={
            "subscription_id": ("subscriptions", "subscription_id"),
            "plan_id": ("plans", "plan_id"),
        },
        columns=(
            Column("item_version_id", "string", "Identifier of this version.", required=True),
            Column(
                "subscription_item_id",
                "string",
                "Subscription item (one plan line on a subscription) this versions.",
                required=True,
            ),
            Column("subscription_id", "string", "Subscription the item belongs to.", required=True),
            Column("plan_id", "string", "Plan billed on this item.", required=True),
            Column("seats", "integer", "Licensed seats (quantity).", required=True, min_value=0),
            Column(
                "unit_price",
                "decimal",
                "Contracted price per seat per billing period before discount, in the item "
                "currency.",
                required=True,
                min_value=0,
            ),
            Column(
                "currency",
                "string",
                "ISO 4217 currency of the item; empty means the plan's currency.",
                allowed_values=CURRENCIES,
            ),
            Column(
                "discount_percent",
                "decimal",
                "Percent off the item while the discount runs, 0-100.",
                min_value=0,
                max_value=100,
            ),
            Column(
                "discount_amount",
                "decimal",
                "Amount off the whole item per billing period while the discount runs, in the "
                "item currency.",
                min_value=0,
            ),
            Column(
                "discount_duration",
                "string",
                "once (the first invoice only), repeating (until discount_ends_at) or forever; "
                "empty means forever without discount_ends_at, repeating with it.",
                allowed_values=("once", "repeating", "forever"),
            ),
            Column(
                "discount_ends_at",
                "timestamp",
                "First instant without the discount; empty if open-ended.",
            ),
            Column(
                "change_reason",
                "string",
                "What created this version.",
                required=True,
                allowed_values=(
                    "new",
                    "seat_change",
                    "price_change",
                    "plan_change",
                    "discount_change",
                    "removed",
                ),
            ),
            Column("valid_from", "timestamp", "When this version took effect.", required=True),
            Column(
                "valid_to",
                "timestamp",
                "When the next version replaced it (exclusive); empty if current.",
            ),
            _updated_at("item version"),
        ),
    ),
    Entity(
        source=BILLING,
        name="invoices",
        description="One row per version of an invoice. Invoices change as they are paid or "
        "voided.",
        key=("invoice_id",),
        updated_at_column="updated_at",
        references={
            "billing_customer_id": ("customers", "billing_customer_id"),
            "subscription_id": ("subscriptions", "subscription_id"),
        },
        columns=(
            Column("invoice_id", "string", "Invoice identifier.", required=True),
            Column("billing_customer_id", "string", "Billing customer invoiced.", required=True),
            Column("subscription_id", "string", "Subscription invoiced, if any."),
            Column("issued_at", "timestamp", "When the invoice was issued.", required=True),
            Column(
                "period_start_date",
                "date",
                "First day of the service period billed.",
                required=True,
            ),
            Column(
                "period_end_date", "date", "Last day of the service period billed.", required=True
            ),
            Column(
                "subtotal",
                "decimal",
                "Sum of lines before discount and tax.",
                required=True,
                min_value=0,
            ),
            Column("discount_amount", "decimal", "Discounts applied.", required=True, min_value=0),
            Column("tax_amount", "decimal", "Tax charged.", required=True, min_value=0),
            Column(
                "total",
                "decimal",
                "Amount due: subtotal - discount + tax.",
                required=True,
                min_value=0,
            ),
            Column(
                "amount_paid", "decimal", "Amount collected so far.", required=True, min_value=0
            ),
            Column(
                "currency",
                "string",
                "ISO 4217 currency of every amount on the invoice and its lines.",
                required=True,
                allowed_values=CURRENCIES,
            ),
            Column(
                "status",
                "string",
                "Invoice status at the time of this version.",
                required=True,
                allowed_values=("open", "paid", "void", "uncollectible"),
            ),
            Column("paid_at", "timestamp", "When it was paid in full."),
            _updated_at("invoice"),
        ),
    ),
    Entity(
        source=BILLING,
        name="invoice_lines",
        description="One row per invoice line: a recurring charge, a proration, a one-off charge "
        "or a credit.",
        key=("invoice_line_id",),
        updated_at_column="updated_at",
        references={"invoice_id": ("invoices", "invoice_id"), "plan_id": ("plans", "plan_id")},
        columns=(
            Column("invoice_line_id", "string", "Invoice line identifier.", required=True),
            Column("invoice_id", "string", "Invoice the line is on.", required=True),
            Column(
                "line_type",
                "string",
                "recurring (a full term), proration (a part-term change), one_off (services, "
                "set-up) or credit.",
                required=True,
                allowed_values=("recurring", "proration", "one_off", "credit"),
            ),
            Column("plan_id", "string", "Plan charged, for recurring and proration lines."),
            Column("subscription_item_id", "string", "Subscription item charged, if any."),
            Column("description", "string", "Line text as printed on the invoice.", required=True),
            Column("seats", "integer", "Seats charged, for recurring and proration lines."),
            Column(
                "amount",
                "decimal",
                "Line amount after discount; credits are negative.",
                required=True,
            ),
            Column("period_start_date", "date", "First day of service the line covers."),
            Column("period_end_date", "date", "Last day of service the line covers."),
            _updated_at("invoice line"),
        ),
    ),
    Entity(
        source=BILLING,
        name="exchange_rates",
        description="One row per version of a daily exchange rate: how many units of the quote "
        "currency one unit of the currency buys on a day. Needed only when something is billed "
        "in a currency other than the reporting currency (dbt var reporting_currency); a day "
        "without a rate uses the latest rate before it, and the inverse pair serves when only "
        "it is delivered.",
        key=("rate_date", "currency", "quote_currency"),
        updated_at_column="updated_at",
        warn_after_hours=72,
        error_after_hours=240,
        columns=(
            Column("rate_date", "date", "Day the rate applies to (UTC).", required=True),
            Column(
                "currency",
                "string",
                "Currency converted from.",
                required=True,
                allowed_values=CURRENCIES,
            ),
            Column(
                "quote_currency",
                "string",
                "Currency converted to.",
                required=True,
                allowed_values=CURRENCIES,
            ),
            Column(
                "rate",
                "rate",
                "Units of the quote currency per unit of the currency.",
                required=True,
                min_value=0.000001,
            ),
            _updated_at("exchange rate"),
        ),
    ),
    # ---------------------------------------------------------------- CRM
    Entity(
        source=CRM,
        name="accounts",
        description="One row per version of a customer account (a company) in the CRM.",
        key=("account_id",),
        updated_at_column="updated_at",
        references={"owner_csm_id": ("csms", "csm_id")},
        columns=(
            Column("account_id", "string", "CRM account identifier.", required=True),
            Column("account_name", "string", "Company name.", required=True),
            Column(
                "industry",
                "string",
                "Industry of the company.",
                required=True,
                allowed_values=(
                    "software",
                    "financial_services",
                    "healthcare",
                    "retail",
                    "manufacturing",
                    "education",
                    "media",
                    "professional_services",
                ),
            ),
            Column(
                "employee_count", "integer", "Company head count, as last enriched.", min_value=1
            ),
            Column("region", "string", "Sales region.", required=True, allowed_values=REGIONS),
            Column(
                "country", "string", "ISO 3166 alpha-2 country code of headquarters.", required=True
            ),
            Column("owner_csm_id", "string", "CSM who owns the account."),
            Column(
                "touch_tier_override",
                "string",
                "Touch tier set by hand in the CRM; empty means the rules decide.",
                allowed_values=TOUCH_TIERS,
            ),
            Column("created_at", "timestamp", "When the account was created.", required=True),
            _updated_at("account"),
        ),
    ),
    Entity(
        source=CRM,
        name="contacts",
        description="One row per version of a person at a customer account.",
        key=("contact_id",),
        updated_at_column="updated_at",
        references={
            "account_id": ("accounts", "account_id"),
            "reports_to_contact_id": ("contacts", "contact_id"),
        },
        columns=(
            Column("contact_id", "string", "Contact identifier.", required=True),
            Column("account_id", "string", "Account the contact works for.", required=True),
            Column("first_name", "string", "Given name.", is_pii=True),
            Column("last_name", "string", "Family name.", is_pii=True),
            Column("email", "string", "Work email address.", is_pii=True),
            Column("title", "string", "Job title."),
            Column(
                "is_executive", "boolean", "Holds an executive role (C-level, VP).", required=True
            ),
            Column(
                "is_decision_maker", "boolean", "Signs off purchases and renewals.", required=True
            ),
            Column(
                "is_champion", "boolean", "Advocates for the product internally.", required=True
            ),
            Column("reports_to_contact_id", "string", "Manager, as placed in the org chart."),
            Column("created_at", "timestamp", "When the contact was created.", required=True),
            _updated_at("contact"),
        ),
    ),
    Entity(
        source=CRM,
        name="activities",
        description="One row per logged customer-facing activity: emails, calls, meetings, "
        "executive business reviews and content engagement.",
        key=("activity_id",),
        updated_at_column="updated_at",
        references={
            "account_id": ("accounts", "account_id"),
            "contact_id": ("contacts", "contact_id"),
            "csm_id": ("csms", "csm_id"),
        },
        columns=(
            Column("activity_id", "string", "Activity identifier.", required=True),
            Column("account_id", "string", "Account engaged.", required=True),
            Column("contact_id", "string", "Contact engaged, when one is named."),
            Column("csm_id", "string", "CSM who logged the activity; empty for automated ones."),
            Column(
                "activity_type",
                "string",
                "Kind of activity.",
                required=True,
                allowed_values=(
                    "email",
                    "call",
                    "meeting",
                    "executive_business_review",
                    "content_engagement",
                    "webinar",
                ),
            ),
            Column(
                "content_category",
                "string",
                "For content engagement: marketing, educational or upsell material.",
                allowed_values=("marketing", "educational", "upsell"),
            ),
            Column(
                "direction",
                "string",
                "proactive (the CS team reached out) or reactive (the customer asked).",
                required=True,
                allowed_values=("proactive", "reactive"),
            ),
            Column(
                "is_high_value",
                "boolean",
                "A high-value engagement (EBR, strategic meeting, workshop).",
                required=True,
            ),
            Column("occurred_at", "timestamp", "When the activity happened.", required=True),
            _updated_at("activity"),
        ),
    ),
    Entity(
        source=CRM,
        name="onboarding_projects",
        description="One row per version of an onboarding project run for a new account.",
        key=("onboarding_project_id",),
        updated_at_column="updated_at",
        references={"account_id": ("accounts", "account_id"), "csm_id": ("csms", "csm_id")},
        columns=(
            Column(
                "onboarding_project_id", "string", "Onboarding project identifier.", required=True
            ),
            Column("account_id", "string", "Account being onboarded.", required=True),
            Column("csm_id", "string", "CSM running the onboarding."),
            Column("started_date", "date", "Kick-off date.", required=True),
            Column("target_go_live_date", "date", "Planned go-live date.", required=True),
            Column("go_live_date", "date", "Actual go-live date; empty until live."),
            Column(
                "has_documented_objectives",
                "boolean",
                "Partnership objectives were written down and agreed.",
                required=True,
            ),
            Column(
                "onboarding_rating",
                "integer",
                "Customer's rating of the onboarding, 1 (poor) to 10 (excellent).",
                min_value=1,
                max_value=10,
            ),
            Column(
                "status",
                "string",
                "Project status at the time of this version.",
                required=True,
                allowed_values=("in_progress", "stalled", "live", "cancelled"),
            ),
            _updated_at("onboarding project"),
        ),
    ),
    Entity(
        source=CRM,
        name="success_plan_goals",
        description="One row per version of a business goal in an account's success plan.",
        key=("goal_id",),
        updated_at_column="updated_at",
        references={"account_id": ("accounts", "account_id")},
        columns=(
            Column("goal_id", "string", "Goal identifier.", required=True),
            Column("account_id", "string", "Account whose goal it is.", required=True),
            Column(
                "goal_category",
                "string",
                "What the goal is about.",
                required=True,
                allowed_values=("adoption", "efficiency", "revenue", "cost_saving", "compliance"),
            ),
            Column(
                "status",
                "string",
                "Goal status at the time of this version.",
                required=True,
                allowed_values=("on_track", "at_risk", "achieved", "missed"),
            ),
            Column("target_date", "date", "When the goal is due.", required=True),
            Column("created_at", "timestamp", "When the goal was agreed.", required=True),
            _updated_at("goal"),
        ),
    ),
    Entity(
        source=CRM,
        name="survey_responses",
        description="One row per survey answer from a contact: NPS, CSAT, onboarding and "
        "post-sales surveys.",
        key=("survey_response_id",),
        updated_at_column="updated_at",
        references={
            "account_id": ("accounts", "account_id"),
            "contact_id": ("contacts", "contact_id"),
        },
        columns=(
            Column("survey_response_id", "string", "Response identifier.", required=True),
            Column("account_id", "string", "Account of the respondent.", required=True),
            Column("contact_id", "string", "Contact who answered."),
            Column(
                "survey_type",
                "string",
                "nps (0-10), csat (1-5), onboarding (1-10) or post_sales (1-10).",
                required=True,
                allowed_values=("nps", "csat", "onboarding", "post_sales"),
            ),
            Column(
                "score",
                "integer",
                "Answer on the survey's scale.",
                required=True,
                min_value=0,
                max_value=10,
            ),
            Column("responded_at", "timestamp", "When the answer was given.", required=True),
            _updated_at("response"),
        ),
    ),
    Entity(
        source=CRM,
        name="csm_sentiment_pulses",
        description="One row per sentiment pulse: the CSM's own read of an account's health.",
        key=("pulse_id",),
        updated_at_column="updated_at",
        references={"account_id": ("accounts", "account_id"), "csm_id": ("csms", "csm_id")},
        columns=(
            Column("pulse_id", "string", "Pulse identifier.", required=True),
            Column("account_id", "string", "Account assessed.", required=True),
            Column("csm_id", "string", "CSM who gave the pulse.", required=True),
            Column(
                "sentiment_score",
                "integer",
                "1 (relationship at risk) to 5 (strong, growing).",
                required=True,
                min_value=1,
                max_value=5,
            ),
            Column("recorded_at", "timestamp", "When the pulse was recorded.", required=True),
            _updated_at("pulse"),
        ),
    ),
    Entity(
        source=CRM,
        name="csms",
        description="One row per version of a member of the Customer Success team roster.",
        key=("csm_id",),
        updated_at_column="updated_at",
        references={"manager_csm_id": ("csms", "csm_id")},
        columns=(
            Column("csm_id", "string", "CSM identifier.", required=True),
            Column("full_name", "string", "Name.", required=True, is_pii=True),
            Column("email", "string", "Work email.", is_pii=True),
            Column(
                "team",
                "string",
                "Team the CSM belongs to.",
                required=True,
                allowed_values=("enterprise", "commercial", "scale"),
            ),
            Column(
                "role",
                "string",
                "Role on the team.",
                required=True,
                allowed_values=("manager", "csm", "specialist"),
            ),
            Column("manager_csm_id", "string", "The CSM's manager."),
            Column(
                "annual_renewal_quota",
                "decimal",
                "Renewal ARR the CSM is asked to close per year, in USD.",
                min_value=0,
            ),
            Column("hired_date", "date", "Start date on the team.", required=True),
            Column("is_active", "boolean", "Still on the team.", required=True),
            _updated_at("roster entry"),
        ),
    ),
    Entity(
        source=CRM,
        name="opportunities",
        description="One row per version of a renewal or expansion opportunity.",
        key=("opportunity_id",),
        updated_at_column="updated_at",
        references={"account_id": ("accounts", "account_id"), "owner_csm_id": ("csms", "csm_id")},
        columns=(
            Column("opportunity_id", "string", "Opportunity identifier.", required=True),
            Column("account_id", "string", "Account concerned.", required=True),
            Column("owner_csm_id", "string", "CSM or owner working it."),
            Column(
                "opportunity_type",
                "string",
                "renewal or expansion.",
                required=True,
                allowed_values=("renewal", "expansion"),
            ),
            Column(
                "stage",
                "string",
                "Pipeline stage at the time of this version.",
                required=True,
                allowed_values=("open", "closed_won", "closed_lost"),
            ),
            Column(
                "amount",
                "decimal",
                "Annual recurring revenue at stake, in USD.",
                required=True,
                min_value=0,
            ),
            Column("close_date", "date", "Expected or actual close date.", required=True),
            Column("created_at", "timestamp", "When the opportunity was opened.", required=True),
            Column("closed_at", "timestamp", "When it was won or lost."),
            _updated_at("opportunity"),
        ),
    ),
    # ---------------------------------------------------------------- product usage
    Entity(
        source=PRODUCT_USAGE,
        name="features",
        description="One row per version of a product feature in the catalogue.",
        key=("feature_id",),
        updated_at_column="updated_at",
        columns=(
            Column("feature_id", "string", "Feature identifier.", required=True),
            Column("product_id", "string", "Product the feature belongs to.", required=True),
            Column("feature_name", "string", "Display name.", required=True),
            Column(
                "included_from_tier",
                "string",
                "Lowest plan tier of the product that includes the feature.",
                required=True,
                allowed_values=PLAN_TIERS,
            ),
            Column(
                "is_core_value_feature",
                "boolean",
                "One of the features that deliver the product's core value (impact features).",
                required=True,
            ),
            Column("released_date", "date", "When the feature became available.", required=True),
            _updated_at("feature"),
        ),
    ),
    Entity(
        source=PRODUCT_USAGE,
        name="daily_feature_usage",
        description="One row per account, feature and day with any use: distinct active users "
        "and events. Days without use have no row.",
        key=("account_id", "feature_id", "usage_date"),
        updated_at_column="updated_at",
        references={
            "account_id": ("accounts", "account_id"),
            "feature_id": ("features", "feature_id"),
        },
        warn_after_hours=30,
        error_after_hours=72,
        columns=(
            Column("usage_date", "date", "Day of use (UTC).", required=True),
            Column("account_id", "string", "Account using the feature.", required=True),
            Column("feature_id", "string", "Feature used.", required=True),
            Column(
                "active_users",
                "integer",
                "Distinct users of the feature that day.",
                required=True,
                min_value=0,
            ),
            Column(
                "event_count", "integer", "Tracked events that day.", required=True, min_value=0
            ),
            _updated_at("usage row"),
        ),
    ),
)

ENTITIES_BY_NAME: dict[str, Entity] = {entity.name: entity for entity in ENTITIES}


def entity(name: str) -> Entity:
    try:
        return ENTITIES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(ENTITIES_BY_NAME)}") from None
