"""Chargebee (Product Catalog 2.0, as Fivetran lands it) -> the billing contract.

Customers, plans, subscriptions, subscription item versions, invoices and invoice lines come
from Chargebee; exchange rates stay native. The decisions, in brief (docs/sources/chargebee.md
has the full mapping):

- **Catalogue.** An item price is a plan (its item family is the product, the item's ``type``
  says core ``plan`` or ``add_on``, the plan tier is a key of the item's metadata). ``period`` and
  ``period_unit`` give the interval (three months is the contract's ``quarter``); prices are in
  minor units of the price's currency (``CURRENCY_MINOR_UNITS``: cents, whole yen, fils).
- **Charges are one-offs.** Charge items and their prices are no plans (skipped, counted);
  charge and ad-hoc invoice lines are ``one_off`` lines; charge subscription items make no item
  versions.
- **Statuses.** ``in_trial`` -> trialing, ``future`` -> incomplete (not started, never paid),
  ``paused``, ``non_renewing``, ``cancelled`` -> ended. Chargebee keeps a subscription in
  dunning ``active``: with dues (``due_since``) it is ``past_due``, and ``unpaid`` once one of
  its invoices since then is given up (``not_paid`` or written off).
- **Credit notes** have no contract entity. Adjustment and refundable credit notes become
  ``credit`` lines (negative) on the invoice they reference, and reduce its subtotal, tax and
  total (refundable ones also what was collected); write-off notes make the invoice
  ``uncollectible``; voided notes are skipped.
- **Item history.** Chargebee keeps only the current subscription items. The versions are
  rebuilt from the invoice lines: a line covering a whole billing period shows the items in force
  at its start (price, quantity, ``unit_amount``: the unit price for a whole period, coupon), a
  shorter one (a proration) a mid-term change; an item missing from a renewal invoice was
  removed then, and every item is removed when the subscription is cancelled. A subscription
  without invoices (a trial) takes its current items from its start. Chargebee has no
  subscription item id: an item is ``<subscription>/plan`` or ``<subscription>/<addon item>``
  (``/2`` when re-added).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cswh.contracts import CURRENCY_MINOR_UNITS
from cswh.vendors.base import (
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
    parse_json_object,
    write_vendor_csv,
    write_vendor_jsonl,
    write_vendor_parquet,
)

SYNC_COLUMNS: dict[str, tuple[str, ...]] = {"_fivetran_deleted": (), "_fivetran_synced": ()}


def _table(
    name: str, required: Iterable[str], columns: Mapping[str, tuple[str, ...]]
) -> VendorTable:
    return VendorTable(name, {**columns, **SYNC_COLUMNS}, frozenset(required))


CUSTOMER = _table(
    "customer",
    ["id"],
    {
        "id": ("customer_id",),
        "email": ("billing_email",),
        "billing_address_email": (),
        "billing_address_country": ("billing_country", "country"),
        "preferred_currency_code": ("currency_code", "currency"),
        "meta_data": ("metadata",),
        "created_at": (),
        "updated_at": (),
        "deleted": (),
    },
)
ITEM_FAMILY = _table("item_family", ["id"], {"id": (), "name": (), "status": (), "updated_at": ()})
ITEM = _table(
    "item",
    ["id"],
    {
        "id": ("item_id",),
        "name": (),
        "external_name": (),
        "item_family_id": (),
        "type": ("item_type",),
        "status": (),
        "metadata": ("meta_data",),
        "updated_at": (),
    },
)
ITEM_PRICE = _table(
    "item_price",
    ["id"],
    {
        "id": ("item_price_id",),
        "name": (),
        "external_name": (),
        "item_id": (),
        "item_family_id": (),
        "item_type": (),
        "status": (),
        "price": (),
        "price_in_decimal": (),
        "currency_code": ("currency",),
        "period": (),
        "period_unit": (),
        "metadata": ("meta_data",),
        "created_at": (),
        "updated_at": (),
    },
)
SUBSCRIPTION = _table(
    "subscription",
    ["id"],
    {
        "id": ("subscription_id",),
        "customer_id": (),
        "currency_code": (),
        "status": (),
        "billing_period": (),
        "billing_period_unit": (),
        "trial_start": (),
        "trial_end": (),
        "start_date": (),
        "started_at": (),
        "activated_at": (),
        "current_term_start": (),
        "current_term_end": (),
        "cancelled_at": ("canceled_at",),
        "cancel_schedule_created_at": (),
        "pause_date": (),
        "resume_date": (),
        "due_since": (),
        "due_invoices_count": (),
        "remaining_billing_cycles": (),
        "created_at": (),
        "updated_at": (),
        "deleted": (),
    },
)
SUBSCRIPTION_ITEM = _table(
    "subscription_item",
    ["subscription_id", "item_price_id"],
    {
        "subscription_id": (),
        "item_price_id": (),
        "item_type": (),
        "quantity": (),
        "unit_price": (),
        "unit_price_in_decimal": (),
    },
)
COUPON = _table(
    "coupon",
    ["id"],
    {
        "id": ("coupon_id",),
        "name": (),
        "discount_type": (),
        "discount_percentage": (),
        "discount_amount": (),
        "currency_code": (),
        "duration_type": (),
        "period": (),
        "period_unit": (),
        "updated_at": (),
    },
)
SUBSCRIPTION_COUPON = _table(
    "subscription_coupon",
    ["subscription_id", "coupon_id"],
    {"subscription_id": (), "coupon_id": (), "apply_till": (), "applied_count": ()},
)
INVOICE = _table(
    "invoice",
    ["id"],
    {
        "id": ("invoice_id",),
        "customer_id": (),
        "subscription_id": (),
        "status": (),
        "date": ("invoice_date",),
        "sub_total": (),
        "tax": (),
        "total": (),
        "amount_paid": (),
        "credits_applied": (),
        "write_off_amount": (),
        "currency_code": (),
        "paid_at": (),
        "updated_at": (),
        "deleted": (),
    },
)
INVOICE_LINE_ITEM = _table(
    "invoice_line_item",
    ["id", "invoice_id"],
    {
        "id": ("line_item_id",),
        "invoice_id": (),
        "subscription_id": (),
        "date_from": (),
        "date_to": (),
        "unit_amount": (),
        "quantity": (),
        "amount": (),
        "discount_amount": (),
        "description": (),
        "entity_type": (),
        "entity_id": (),
    },
)
INVOICE_LINE_ITEM_DISCOUNT = _table(
    "invoice_line_item_discount",
    ["line_item_id"],
    {
        "line_item_id": (),
        "invoice_id": (),
        "discount_type": (),
        "entity_id": (),
        "coupon_id": (),
        "discount_amount": (),
    },
)
CREDIT_NOTE = _table(
    "credit_note",
    ["id"],
    {
        "id": ("credit_note_id",),
        "customer_id": (),
        "subscription_id": (),
        "reference_invoice_id": (),
        "type": (),
        "reason_code": (),
        "create_reason_code": (),
        "status": (),
        "date": (),
        "currency_code": (),
        "sub_total": (),
        "total": (),
        "updated_at": (),
        "deleted": (),
    },
)
CREDIT_NOTE_LINE_ITEM = _table(
    "credit_note_line_item",
    ["id", "credit_note_id"],
    {
        "id": ("line_item_id",),
        "credit_note_id": (),
        "subscription_id": (),
        "date_from": (),
        "date_to": (),
        "quantity": (),
        "amount": (),
        "discount_amount": (),
        "tax_amount": (),
        "description": (),
        "entity_type": (),
        "entity_id": (),
    },
)
TABLES = (
    CUSTOMER,
    ITEM_FAMILY,
    ITEM,
    ITEM_PRICE,
    SUBSCRIPTION,
    SUBSCRIPTION_ITEM,
    COUPON,
    SUBSCRIPTION_COUPON,
    INVOICE,
    INVOICE_LINE_ITEM,
    INVOICE_LINE_ITEM_DISCOUNT,
    CREDIT_NOTE,
    CREDIT_NOTE_LINE_ITEM,
)

# ------------------------------------------------------------------------------------ vocabulary

SUBSCRIPTION_STATUSES = {
    "future": "incomplete",
    "in_trial": "trialing",
    "active": "active",
    "non_renewing": "non_renewing",
    "paused": "paused",
    "cancelled": "ended",
}
INVOICE_STATUSES = {
    "paid": "paid",
    "posted": "open",
    "payment_due": "open",
    "pending": "open",
    "not_paid": "uncollectible",
    "voided": "void",
}
# Line entity types: Product Catalog 2.0 names, and 1.0's for sites that migrated.
PLAN_LINES = frozenset({"plan_item_price", "plan"})
ADDON_LINES = frozenset({"addon_item_price", "addon"})
ONE_OFF_LINES = frozenset({"charge_item_price", "plan_setup", "adhoc"})
PERIOD_UNITS = ("day", "week", "month", "year")
COUPON_DURATIONS = {"one_time": "once", "limited_period": "repeating", "forever": "forever"}
CORE_KINDS = {"plan": "core", "addon": "add_on"}
WRITE_OFF = "write_off"
PLAN_KEY = "plan"  # the one plan item of a subscription

SUPERSEDED = "superseded by a later version of the same record"
FIVETRAN_DELETED_REASON = "deleted in the source (_fivetran_deleted)"
CHARGEBEE_DELETED_REASON = "deleted in Chargebee (deleted = true)"
CHARGE_REASON = "charge item (a one-off charge: billed as one_off invoice lines, not a plan)"

MINUTE = timedelta(minutes=1)
MAX_PERIODS = 1000  # more units in one billing period is a broken value
# Month arithmetic clamps (Jan 31 + 1 month is Feb 28): an anniversary may fall up to three days
# from the same day-of-month counted from another start.
CLAMP_SLACK = timedelta(days=3)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RowProblem(ValueError):
    """A vendor value that cannot be mapped; the message says what is wrong and what to do."""


# ------------------------------------------------------------------------------------ values


def _instant(value: str | None, column: str) -> datetime | None:
    text = parse_instant(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowProblem(f"{column}: '{value}' is not a timestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: str | None, column: str) -> Decimal | None:
    try:
        return parse_decimal(value)
    except ValueError:
        raise RowProblem(f"{column}: '{value}' is not a number") from None


def _whole(value: str | None, column: str) -> int | None:
    number = _number(value, column)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise RowProblem(f"{column}: '{value}' is not a whole number")
    return int(number)


def _flag(value: str | None, column: str) -> bool:
    try:
        return bool(parse_bool(value))
    except ValueError:
        raise RowProblem(f"{column}: '{value}' is not true or false") from None


def _currency(value: str | None, column: str = "currency_code") -> str:
    code = (value or "").strip().upper()
    if not code:
        raise RowProblem(f"{column}: empty; Chargebee always states the currency, deliver it")
    if code not in CURRENCY_MINOR_UNITS:
        raise RowProblem(
            f"{column}: {code} is not a currency the warehouse knows "
            f"({', '.join(CURRENCY_MINOR_UNITS)})"
        )
    return code


def _major(minor: int, currency: str) -> Decimal:
    """Minor units (cents, whole yen) as an amount in major units of the currency."""
    digits = CURRENCY_MINOR_UNITS[currency]
    return (Decimal(minor) / (Decimal(10) ** digits)).quantize(Decimal(1).scaleb(-digits))


def _minor_amount(row: VendorRow, column: str, *, default: int | None = None) -> int | None:
    """An amount Chargebee gives in minor units (must be whole)."""
    value = _whole(row[column], column)
    if value is None:
        return default
    return value


def _add_months(moment: datetime, months: int) -> datetime:
    """Same day and time ``months`` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month + 1, day=min(moment.day, day))
        except ValueError:
            if not 1 <= year <= 9999:
                raise
    raise AssertionError("unreachable")


def _add_period(moment: datetime, unit: str, count: int) -> datetime:
    try:
        if unit == "day":
            return moment + timedelta(days=count)
        if unit == "week":
            return moment + timedelta(weeks=count)
        return _add_months(moment, count * (12 if unit == "year" else 1))
    except (OverflowError, ValueError):
        return datetime.max.replace(tzinfo=UTC)  # beyond the calendar: never reached


def _interval(unit: str | None, count: str | None, what: str) -> tuple[str, int]:
    """Chargebee's period unit and count as the contract's billing interval and count."""
    if unit is None:
        raise RowProblem(f"{what}: empty; deliver the billing period unit (day/week/month/year)")
    unit = unit.strip().lower()
    if unit not in PERIOD_UNITS:
        raise RowProblem(f"{what}: '{unit}' is not one of {'/'.join(PERIOD_UNITS)}")
    number = _whole(count, what.replace("_unit", "")) or 1
    if not 1 <= number <= MAX_PERIODS:
        raise RowProblem(f"{what.replace('_unit', '')}: '{count}' is not 1 to {MAX_PERIODS}")
    if unit == "month" and number == 3:
        return "quarter", 1  # Chargebee has no quarter: three months is one
    return unit, number


def _inclusive_end(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second) == (23, 59, 59)


def _exclusive(moment: datetime) -> datetime:
    """An end written as the last second (23:59:59) is read as the next midnight, as staging
    reads the contract's inclusive ends."""
    if _inclusive_end(moment):
        return datetime.combine(moment.date() + timedelta(days=1), time(), UTC)
    return moment


def _last_day(end: datetime) -> date:
    """The last service day of a period ending at ``end`` (exclusive, or 23:59:59 inclusive)."""
    if _inclusive_end(end):
        return end.date()
    return (end - timedelta(days=1)).date()


def _period_end(starts: datetime, ends: datetime) -> str:
    """The last service day of a line (its first day when it covers no time, a one-off)."""
    return (_last_day(ends) if ends > starts else starts.date()).isoformat()


def _sortable(value: str | None) -> datetime:
    try:
        return _instant(value, "") or EPOCH
    except RowProblem:
        return EPOCH


# ------------------------------------------------------------------------------------ records


@dataclass
class Coupon:
    row: VendorRow
    percent: Decimal | None
    amount_minor: int | None
    currency: str | None
    duration: str | None
    period: tuple[str, int] | None = None  # how long one application of a limited coupon runs

    @property
    def whole_subscription(self) -> bool:
        """A percentage coupon takes its share off every item; an amount off only the plan."""
        return self.percent is not None


@dataclass
class Price:
    row: VendorRow
    item_type: str
    key_item: str  # the item a subscription holds it as: 'plan' or the addon item id
    period: tuple[str, int] | None
    currency: str | None
    price_minor: int | None


@dataclass
class Invoice:
    row: VendorRow
    currency: str
    status: str
    issued: datetime
    sub_total: int
    tax: int
    total: int
    paid: int
    credits_applied: int
    write_off: int
    updated: datetime | None
    credits: list[CreditNote] = field(default_factory=list)
    written_off_by: list[VendorRow] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


@dataclass
class CreditNote:
    row: VendorRow
    invoice: Invoice
    write_off: bool
    refundable: bool
    sub_total: int
    total: int
    updated: datetime | None
    issued: datetime | None
    lines: list[tuple[VendorRow, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Line:
    row: VendorRow
    invoice: Invoice
    subscription_id: str | None
    kind: str  # plan / addon / one_off
    price_id: str | None
    starts: datetime
    ends: datetime
    quantity: int | None
    unit_minor: int | None
    amount_minor: int
    discount_minor: int
    coupons: list[str] = field(default_factory=list)
    coupon_rows: list[VendorRow] = field(default_factory=list)
    whole_period: bool = False
    later_at_instant: bool = False  # a second whole-period line of its item at one instant
    subscription_item_id: str | None = None

    @property
    def order(self) -> tuple:
        return (
            self.starts,
            self.invoice.issued,
            self.invoice.row["id"],
            self.row.file,
            self.row.line,
        )


@dataclass
class Subscription:
    row: VendorRow
    status: str
    paid_start: datetime
    created: datetime | None
    updated: datetime | None
    ended: datetime | None
    values: dict[str, Any]


# ------------------------------------------------------------------------------------ the adapter


class ChargebeeAdapter(Adapter):
    vendor = "chargebee"
    title = "Chargebee"
    source_system = "billing"
    tables = TABLES
    produces = (
        "customers",
        "plans",
        "subscriptions",
        "subscription_item_versions",
        "invoices",
        "invoice_lines",
    )
    options = (
        Option(
            "account_id_field",
            "cf_account_id",
            "where a customer's CRM account id is: a customer column (a custom field such as "
            "cf_account_id), 'meta_data.<key>' for a key of the customer's meta_data, or 'id' "
            "when the Chargebee customer id is the CRM account id",
        ),
        Option(
            "tier_metadata_key",
            "tier",
            "key of an item's (or item price's) metadata holding the plan tier "
            "(starter/growth/enterprise); empty tier when absent",
        ),
    )

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        field_name = str(self.settings["account_id_field"]).strip()
        if not field_name:
            raise ValueError("chargebee: account_id_field must name a customer field")
        self.settings["account_id_field"] = field_name
        if field_name != "id" and not field_name.startswith("meta_data."):
            # A custom field is a column of its own: the customer table reads it too.
            column = normalise_header(field_name)
            customer = VendorTable(
                CUSTOMER.name,
                {**CUSTOMER.columns, column: ()},
                CUSTOMER.required,
                CUSTOMER.description,
            )
            self.tables = tuple(customer if t.name == CUSTOMER.name else t for t in TABLES)

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        _Mapping(self, rows, batch).run()

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> None:
        _DialectWriter(self, native, out_dir).run()


class _Mapping:
    """One delivery of Chargebee tables, mapped to contract rows."""

    def __init__(
        self, adapter: ChargebeeAdapter, rows: dict[str, list[VendorRow]], batch: MappedBatch
    ) -> None:
        self.adapter = adapter
        self.settings = adapter.settings
        self.rows = rows
        self.batch = batch
        self.prices: dict[str, Price] = {}
        self.coupons: dict[str, Coupon] = {}
        self.invoices: dict[str, Invoice] = {}
        self.subscriptions: dict[str, Subscription] = {}

    # -------------------------------------------------------------- settling helpers
    def quarantine(self, row: VendorRow, reason: str) -> None:
        self.batch.quarantine(row, reason)

    def latest(
        self, table: str, key_columns: tuple[str, ...], time_column: str | None = "updated_at"
    ) -> dict[tuple[str, ...], VendorRow]:
        """The latest version of each record; older ones and deleted records are skipped."""
        groups: dict[tuple[str, ...], list[VendorRow]] = defaultdict(list)
        for row in self.rows.get(table, []):
            key = tuple(row[c] for c in key_columns)
            missing = [c for c, v in zip(key_columns, key, strict=True) if v is None]
            if missing:
                self.quarantine(row, f"{', '.join(missing)}: empty; every {table} row needs it")
                continue
            groups[key].append(row)
        latest: dict[tuple[str, ...], VendorRow] = {}
        for key, group in groups.items():
            group.sort(
                key=lambda r: (
                    _sortable(r[time_column]) if time_column else EPOCH,
                    _sortable(r["_fivetran_synced"]),
                    r.file,
                    r.line,
                )
            )
            for older in group[:-1]:
                self.batch.skip(older, SUPERSEDED)
            newest = group[-1]
            try:
                if _flag(newest["_fivetran_deleted"], "_fivetran_deleted"):
                    self.batch.skip(newest, FIVETRAN_DELETED_REASON)
                    continue
                if "deleted" in self.table_columns(table) and _flag(newest["deleted"], "deleted"):
                    self.batch.skip(newest, CHARGEBEE_DELETED_REASON)
                    continue
            except RowProblem as problem:
                self.quarantine(newest, str(problem))
                continue
            latest[key] = newest
        return latest

    def table_columns(self, table: str) -> Mapping[str, tuple[str, ...]]:
        return next(t for t in self.adapter.tables if t.name == table).columns

    def by_id(self, table: str) -> dict[str, VendorRow]:
        return {key[0]: row for key, row in self.latest(table, ("id",)).items()}

    # -------------------------------------------------------------- the run
    def run(self) -> None:
        families = self.by_id("item_family")
        items = self.by_id("item")
        item_prices = self.by_id("item_price")
        self.map_plans(item_prices, items, families)
        self.read_coupons()
        subscriptions = self.by_id("subscription")
        invoices = self.by_id("invoice")
        self.read_invoices(invoices)
        self.read_credit_notes()
        self.read_lines(subscriptions)
        self.map_customers(subscriptions)
        self.map_subscriptions(subscriptions)
        self.map_item_versions()
        self.map_invoices()

    # -------------------------------------------------------------- catalogue
    def map_plans(
        self,
        item_prices: dict[str, VendorRow],
        items: dict[str, VendorRow],
        families: dict[str, VendorRow],
    ) -> None:
        used_items: set[str] = set()
        used_families: set[str] = set()
        tier_key = str(self.settings["tier_metadata_key"])
        for price_id, row in item_prices.items():
            item = items.get(row["item_id"] or "")
            item_type = (row["item_type"] or (item["type"] if item else None) or "").lower()
            if item_type == "charge":
                self.batch.skip(row, "charge item price (one-off: billed as one_off invoice lines)")
                continue
            try:
                if item_type not in CORE_KINDS:
                    raise RowProblem(
                        f"item_type: '{item_type or 'empty'}' is not plan, addon or charge; "
                        "deliver item_price.item_type (or the item table)"
                    )
                currency = _currency(row["currency_code"])
                interval = _interval(row["period_unit"], row["period"], "period_unit")
                if row["price_in_decimal"] is not None:
                    list_price = _number(row["price_in_decimal"], "price_in_decimal")
                    price_minor = None
                else:
                    price_minor = _whole(row["price"], "price")
                    if price_minor is None:
                        raise RowProblem("price: empty; deliver the item price's price")
                    list_price = _major(price_minor, currency)
                metadata = {}
                for source in (item, row):
                    if source is not None:
                        metadata |= parse_json_object(source["metadata"])
                family_id = row["item_family_id"] or (item["item_family_id"] if item else None)
                if family_id is None:
                    raise RowProblem(
                        "item_family_id: empty; deliver item_price.item_family_id or the item "
                        "table (the item family is the product)"
                    )
            except (RowProblem, ValueError) as problem:
                self.quarantine(row, str(problem))
                continue
            family = families.get(family_id)
            tier = metadata.get(tier_key)
            key_item = PLAN_KEY if item_type == "plan" else (row["item_id"] or price_id)
            self.prices[price_id] = Price(row, item_type, key_item, interval, currency, price_minor)
            self.batch.emit(
                "plans",
                {
                    "plan_id": price_id,
                    "product_id": family_id,
                    "product_name": (family["name"] if family else None) or family_id,
                    "plan_name": row["external_name"] or row["name"] or price_id,
                    "plan_tier": None if tier is None else str(tier).strip().lower(),
                    "product_kind": CORE_KINDS[item_type],
                    "billing_interval": interval[0],
                    "interval_count": interval[1],
                    "list_price": list_price,
                    "currency": currency,
                    "is_active": (row["status"] or "active").lower() == "active",
                    "updated_at": parse_instant(row["updated_at"] or row["created_at"]),
                },
                row,
            )
            if item is not None:
                self.batch.used(item)
                used_items.add(item["id"])
            if family is not None:
                self.batch.used(family)
                used_families.add(family_id)
        for item_id, item in items.items():
            if item_id not in used_items:
                charge = (item["type"] or "").lower() == "charge"
                self.batch.skip(item, CHARGE_REASON if charge else "no item price of this item")
        for family_id, family in families.items():
            if family_id not in used_families:
                self.batch.skip(family, "no plan of this item family")

    def read_coupons(self) -> None:
        for (coupon_id,), row in self.latest("coupon", ("id",)).items():
            try:
                kind = (row["discount_type"] or "").lower()
                percent = amount = currency = None
                if kind == "percentage":
                    percent = _number(row["discount_percentage"], "discount_percentage")
                elif kind == "fixed_amount":
                    currency = _currency(row["currency_code"]) if row["currency_code"] else None
                    amount = _whole(row["discount_amount"], "discount_amount")
                else:
                    raise RowProblem(
                        f"discount_type: '{kind or 'empty'}' is not percentage or fixed_amount "
                        "(the contract holds percent and amount discounts)"
                    )
                duration = (row["duration_type"] or "").lower()
                if duration and duration not in COUPON_DURATIONS:
                    raise RowProblem(
                        f"duration_type: '{duration}' is not one_time, limited_period or forever"
                    )
                period = None
                if duration == "limited_period" and row["period_unit"] is not None:
                    period = _interval(row["period_unit"], row["period"], "period_unit")
                    period = ("month", 3) if period[0] == "quarter" else period
            except RowProblem as problem:
                self.quarantine(row, str(problem))
                continue
            self.coupons[coupon_id] = Coupon(
                row, percent, amount, currency, COUPON_DURATIONS.get(duration), period
            )

    # -------------------------------------------------------------- invoices
    def read_invoices(self, invoices: dict[str, VendorRow]) -> None:
        for invoice_id, row in invoices.items():
            try:
                status = (row["status"] or "").lower()
                if status not in INVOICE_STATUSES:
                    raise RowProblem(
                        f"status: '{status or 'empty'}' is not one of {'/'.join(INVOICE_STATUSES)}"
                    )
                issued = _instant(row["date"], "date")
                if issued is None:
                    raise RowProblem("date: empty; every invoice has its issue date")
                amounts = {
                    column: _minor_amount(row, column, default=0)
                    for column in (
                        "sub_total",
                        "tax",
                        "total",
                        "amount_paid",
                        "credits_applied",
                        "write_off_amount",
                    )
                }
                if row["total"] is None or row["sub_total"] is None:
                    raise RowProblem("sub_total and total: required; deliver them")
                self.invoices[invoice_id] = Invoice(
                    row,
                    _currency(row["currency_code"]),
                    status,
                    issued,
                    amounts["sub_total"],
                    amounts["tax"],
                    amounts["total"],
                    amounts["amount_paid"],
                    amounts["credits_applied"],
                    amounts["write_off_amount"],
                    _instant(row["updated_at"], "updated_at"),
                )
            except RowProblem as problem:
                self.quarantine(row, str(problem))

    def read_credit_notes(self) -> None:
        """Credit notes: a write-off makes its invoice uncollectible; any other (adjustment or
        refundable) credits the invoice it references, line by line."""
        notes: dict[str, CreditNote] = {}
        for (note_id,), row in self.latest("credit_note", ("id",)).items():
            if (row["status"] or "").lower() == "voided":
                self.batch.skip(row, "voided credit note (it credits nothing)")
                continue
            invoice = self.invoices.get(row["reference_invoice_id"] or "")
            if invoice is None:
                self.skip_or_quarantine_orphan(
                    row, "reference_invoice_id", "invoice", row["reference_invoice_id"]
                )
                continue
            try:
                note = CreditNote(
                    row,
                    invoice,
                    (row["reason_code"] or row["create_reason_code"] or "").lower() == WRITE_OFF,
                    (row["type"] or "adjustment").lower() == "refundable",
                    _minor_amount(row, "sub_total", default=0),
                    _minor_amount(row, "total", default=0),
                    _instant(row["updated_at"], "updated_at"),
                    _instant(row["date"], "date"),
                )
                if row["currency_code"] and _currency(row["currency_code"]) != invoice.currency:
                    raise RowProblem(
                        f"currency_code: {row['currency_code']} differs from its invoice's "
                        f"{invoice.currency}; a credit note credits in its invoice's currency"
                    )
            except RowProblem as problem:
                self.quarantine(row, str(problem))
                continue
            notes[note_id] = note
            if note.write_off:
                invoice.written_off_by.append(row)
            else:
                invoice.credits.append(note)
        for (note_id, line_id), row in self.latest(
            "credit_note_line_item", ("credit_note_id", "id"), None
        ).items():
            note = notes.get(note_id)
            if note is None:
                self.skip_or_quarantine_orphan(row, "credit_note_id", "credit_note", note_id)
                continue
            if note.write_off:
                self.batch.skip(row, "write-off credit note line (the invoice is uncollectible)")
                continue
            try:
                starts = _instant(row["date_from"], "date_from") or note.issued
                if starts is None:
                    raise RowProblem("date_from: empty, and the credit note has no date")
                ends = _instant(row["date_to"], "date_to") or starts
                amount = _minor_amount(row, "amount", default=0)
                discount = _minor_amount(row, "discount_amount", default=0)
                tax = _minor_amount(row, "tax_amount", default=0)
            except RowProblem as problem:
                self.quarantine(row, str(problem))
                continue
            item_line = (row["entity_type"] or "").lower() in PLAN_LINES | ADDON_LINES
            note.lines.append(
                (
                    row,
                    {
                        "line_id": line_id,
                        "starts": starts,
                        "ends": ends,
                        "amount": amount - discount,
                        "tax": tax,
                        "price_id": row["entity_id"] if item_line else None,
                    },
                )
            )

    def skip_or_quarantine_orphan(
        self, row: VendorRow, column: str, parent: str, parent_id: str | None
    ) -> None:
        """A child row whose parent was skipped goes with it; one without any parent is wrong."""
        parents = [r for r in self.rows.get(parent, []) if parent_id and r["id"] == parent_id]
        outcomes = {self.batch.outcome(r)[0] for r in parents if self.batch.outcome(r)}
        if parents and outcomes <= {"skipped"}:
            self.batch.skip(row, f"its {parent} is skipped (deleted, voided or superseded)")
        elif parents:
            self.quarantine(row, f"{column}: its {parent} '{parent_id}' is quarantined")
        else:
            self.quarantine(
                row,
                f"{column}: no {parent} '{parent_id or ''}' in this delivery; deliver the "
                f"{parent} table with it",
            )

    def read_lines(self, subscriptions: dict[str, VendorRow]) -> None:
        coupons_of: dict[tuple[str, str], list[VendorRow]] = defaultdict(list)
        for row in self.rows.get("invoice_line_item_discount", []):
            # The coupon is the discount's entity (coupon_id in older API versions).
            row.values["entity_id"] = row["entity_id"] or row["coupon_id"]
        for (line_id, _coupon), row in self.latest(
            "invoice_line_item_discount", ("line_item_id", "entity_id"), None
        ).items():
            coupons_of[(row["invoice_id"] or "", line_id)].append(row)
        for (line_id, invoice_id), row in self.latest(
            "invoice_line_item", ("id", "invoice_id"), None
        ).items():
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                self.skip_or_quarantine_orphan(row, "invoice_id", "invoice", invoice_id)
                continue
            try:
                line = self.read_line(row, invoice, subscriptions)
            except RowProblem as problem:
                self.quarantine(row, str(problem))
                continue
            for discount in coupons_of.pop((invoice_id, line_id), []) + coupons_of.pop(
                ("", line_id), []
            ):
                coupon = discount["entity_id"] or discount["coupon_id"]
                if coupon in self.coupons:
                    line.coupons.append(coupon)
                    line.coupon_rows.append(discount)
                else:
                    self.batch.skip(discount, "not a coupon in this delivery (another discount)")
            invoice.lines.append(line)
        for discounts in coupons_of.values():
            for discount in discounts:
                self.batch.skip(discount, "its invoice line is not in this delivery")

    def read_line(
        self, row: VendorRow, invoice: Invoice, subscriptions: dict[str, VendorRow]
    ) -> Line:
        entity_type = (row["entity_type"] or "").lower()
        if entity_type in PLAN_LINES:
            kind = "plan"
        elif entity_type in ADDON_LINES:
            kind = "addon"
        elif entity_type in ONE_OFF_LINES:
            kind = "one_off"
        else:
            raise RowProblem(
                f"entity_type: '{entity_type or 'empty'}' is not plan_item_price, "
                "addon_item_price, charge_item_price or adhoc"
            )
        starts = _instant(row["date_from"], "date_from") or invoice.issued
        ends = _instant(row["date_to"], "date_to") or starts
        amount = _minor_amount(row, "amount")
        if amount is None:
            raise RowProblem("amount: empty; every invoice line has its amount")
        quantity = _whole(row["quantity"], "quantity")
        unit = _whole(row["unit_amount"], "unit_amount")
        discount = _minor_amount(row, "discount_amount", default=0)
        subscription_id = row["subscription_id"] or invoice.row["subscription_id"]
        price_id = row["entity_id"] if kind != "one_off" else None
        line = Line(
            row,
            invoice,
            subscription_id,
            kind,
            price_id,
            starts,
            ends,
            quantity,
            unit,
            amount,
            discount,
        )
        if kind != "one_off":
            if price_id is None:
                raise RowProblem("entity_id: empty; a plan or addon line names its item price")
            price = self.prices.get(price_id)
            unit_name = price.period if price and price.period else None
            if unit_name is None and subscription_id in subscriptions:
                sub = subscriptions[subscription_id]
                try:
                    unit_name = _interval(
                        sub["billing_period_unit"], sub["billing_period"], "billing_period_unit"
                    )
                except RowProblem:
                    unit_name = None
            if unit_name is not None:
                period = ("month", 3) if unit_name[0] == "quarter" else unit_name
                line.whole_period = ends >= _add_period(starts, *period) - MINUTE
        return line

    # -------------------------------------------------------------- customers
    def account_id(self, row: VendorRow) -> str | None:
        field_name = self.settings["account_id_field"]
        if field_name == "id":
            return row["id"]
        if field_name.startswith("meta_data."):
            value = parse_json_object(row["meta_data"]).get(field_name.split(".", 1)[1])
            return None if value in (None, "") else str(value)
        return row[normalise_header(field_name)]

    def map_customers(self, subscriptions: dict[str, VendorRow]) -> None:
        """Customers; one without a preferred currency bills in its subscriptions' currency."""
        currencies: dict[str, str] = {}
        for source in (*subscriptions.values(), *(i.row for i in self.invoices.values())):
            if source["customer_id"] and source["currency_code"]:
                currencies.setdefault(source["customer_id"], source["currency_code"].upper())
        field_name = self.settings["account_id_field"]
        for (customer_id,), row in self.latest("customer", ("id",)).items():
            try:
                account = self.account_id(row)
                if account is None:
                    raise RowProblem(
                        f"no CRM account id: set the customer's {field_name} in Chargebee (or "
                        "name the field holding it with the account_id_field setting)"
                    )
                currency = row["preferred_currency_code"] or currencies.get(customer_id)
                if currency is None:
                    raise RowProblem(
                        "preferred_currency_code: empty, and no subscription or invoice of the "
                        "customer states a currency; set the customer's preferred currency"
                    )
                currency = _currency(currency, "preferred_currency_code")
                created = _instant(row["created_at"], "created_at")
                updated = _instant(row["updated_at"], "updated_at") or created
            except (RowProblem, ValueError) as problem:
                self.quarantine(row, str(problem))
                continue
            self.batch.emit(
                "customers",
                {
                    "billing_customer_id": customer_id,
                    "account_id": account,
                    "billing_email": row["email"] or row["billing_address_email"],
                    "billing_country": (row["billing_address_country"] or "").upper() or None,
                    "currency": currency,
                    "created_at": _iso(created),
                    "updated_at": _iso(updated),
                },
                row,
            )

    # -------------------------------------------------------------- subscriptions
    def map_subscriptions(self, subscriptions: dict[str, VendorRow]) -> None:
        given_up: dict[str, list[datetime]] = defaultdict(list)
        for invoice in self.invoices.values():
            if self.invoice_status(invoice) == "uncollectible":
                given_up[invoice.row["subscription_id"] or ""].append(invoice.issued)
        for subscription_id, row in subscriptions.items():
            try:
                self.subscriptions[subscription_id] = self.read_subscription(
                    row, given_up.get(subscription_id, [])
                )
            except RowProblem as problem:
                self.quarantine(row, str(problem))
                continue
            self.batch.emit("subscriptions", self.subscriptions[subscription_id].values, row)

    def read_subscription(self, row: VendorRow, given_up: list[datetime]) -> Subscription:
        raw_status = (row["status"] or "").lower()
        if raw_status not in SUBSCRIPTION_STATUSES:
            raise RowProblem(
                f"status: '{raw_status or 'empty'}' is not one of {'/'.join(SUBSCRIPTION_STATUSES)}"
            )
        times = {
            column: _instant(row[column], column)
            for column in (
                "trial_start",
                "trial_end",
                "start_date",
                "started_at",
                "activated_at",
                "current_term_start",
                "current_term_end",
                "cancelled_at",
                "cancel_schedule_created_at",
                "pause_date",
                "resume_date",
                "due_since",
                "created_at",
                "updated_at",
            )
        }
        status = SUBSCRIPTION_STATUSES[raw_status]
        due_since = times["due_since"]
        dues = _whole(row["due_invoices_count"], "due_invoices_count") or 0
        if status == "active" and (due_since is not None or dues > 0):
            # Dunning: dues outstanding; given up when an invoice since then was not paid.
            since = due_since or EPOCH
            status = "unpaid" if any(t >= since for t in given_up) else "past_due"
        # Paid service starts when the trial ends; Chargebee's started_at is the trial's start.
        paid_start = times["trial_end"] or times["started_at"] or times["start_date"]
        if paid_start is None:
            raise RowProblem("started_at, start_date and trial_end: all empty; deliver one")
        cancelled = times["cancelled_at"]
        ended = cancelled if raw_status == "cancelled" else None
        requested = times["cancel_schedule_created_at"]
        if requested is None and raw_status == "cancelled" and cancelled is not None:
            # A trial that ran out (cancelled right at its end) is no cancellation request.
            lapsed_trial = times["trial_end"] is not None and cancelled == times["trial_end"]
            requested = None if lapsed_trial else cancelled
        remaining = _whole(row["remaining_billing_cycles"], "remaining_billing_cycles")
        auto_renew = raw_status not in ("non_renewing", "cancelled") and remaining is None
        interval = _interval(
            row["billing_period_unit"], row["billing_period"], "billing_period_unit"
        )
        created = times["created_at"]
        values = {
            "subscription_id": row["id"],
            "billing_customer_id": row["customer_id"],
            "status": status,
            "billing_interval": interval[0],
            "interval_count": interval[1],
            "trial_started_at": _iso(times["trial_start"]),
            "trial_ended_at": _iso(times["trial_end"]),
            "started_at": _iso(paid_start),
            "current_term_started_at": _iso(times["current_term_start"]),
            "current_term_ends_at": _iso(times["current_term_end"]),
            "canceled_at": _iso(requested),
            "ended_at": _iso(ended),
            "paused_at": _iso(times["pause_date"]),
            "resumes_at": _iso(times["resume_date"]),
            "is_auto_renew": auto_renew,
            "created_at": _iso(created),
            "updated_at": _iso(times["updated_at"] or created),
        }
        return Subscription(
            row, raw_status, paid_start, created, times["updated_at"], ended, values
        )

    # -------------------------------------------------------------- item versions
    def map_item_versions(self) -> None:
        current: dict[str, list[VendorRow]] = defaultdict(list)
        for (subscription_id, _price), row in self.latest(
            "subscription_item", ("subscription_id", "item_price_id"), None
        ).items():
            if (row["item_type"] or "").lower() == "charge":
                self.batch.skip(row, CHARGE_REASON)
                continue
            if subscription_id not in self.subscriptions:
                self.skip_or_quarantine_orphan(
                    row, "subscription_id", "subscription", subscription_id
                )
                continue
            current[subscription_id].append(row)
        lines: dict[str, list[Line]] = defaultdict(list)
        for invoice in self.invoices.values():
            for line in invoice.lines:
                if line.kind != "one_off" and line.subscription_id:
                    lines[line.subscription_id].append(line)
        applied: dict[str, dict[str, VendorRow]] = defaultdict(dict)
        for (subscription_id, coupon_id), row in self.latest(
            "subscription_coupon", ("subscription_id", "coupon_id"), None
        ).items():
            if subscription_id not in self.subscriptions:
                self.skip_or_quarantine_orphan(
                    row, "subscription_id", "subscription", subscription_id
                )
            elif coupon_id not in self.coupons:
                self.quarantine(
                    row, f"coupon_id: no coupon '{coupon_id}' in this delivery; deliver the coupon"
                )
            else:
                applied[subscription_id][coupon_id] = row
        used_coupons: set[str] = set()
        for subscription_id, subscription in self.subscriptions.items():
            history = _ItemHistory(
                self,
                subscription,
                sorted(lines.get(subscription_id, []), key=lambda line: line.order),
                current.get(subscription_id, []),
                applied.get(subscription_id, {}),
            )
            try:
                history.run()
            except RowProblem as problem:
                for row in current.get(subscription_id, []):
                    self.quarantine(row, str(problem))
                continue
            used_coupons |= history.coupons_used
        for coupon_id, coupon in self.coupons.items():
            if coupon_id in used_coupons:
                self.batch.used(coupon.row)
            else:
                self.batch.skip(coupon.row, "no delivered subscription item used this coupon")
        for rows in applied.values():
            for row in rows.values():
                if self.batch.outcome(row) is None:
                    self.batch.skip(row, "no item version needed it (told by the invoice lines)")

    # -------------------------------------------------------------- invoices and lines
    def invoice_status(self, invoice: Invoice) -> str:
        status = INVOICE_STATUSES[invoice.status]
        if status != "void" and (invoice.write_off > 0 or invoice.written_off_by):
            return "uncollectible"
        return status

    def map_invoices(self) -> None:
        for invoice_id, invoice in self.invoices.items():
            currency = invoice.currency
            credited = invoice.credits
            sub_total = invoice.sub_total - sum(n.sub_total for n in credited)
            total = invoice.total - sum(n.total for n in credited)
            tax = invoice.tax - sum(t["tax"] for n in credited for _, t in n.lines)
            refunded = sum(n.total for n in credited if n.refundable)
            paid = max(0, invoice.paid + invoice.credits_applied - refunded)
            starts = [line.starts for line in invoice.lines] or [
                values["starts"] for n in credited for _, values in n.lines
            ]
            ends = [line.ends for line in invoice.lines] or [
                values["ends"] for n in credited for _, values in n.lines
            ]
            updated = max(
                [t for t in (invoice.updated, *(n.updated for n in credited)) if t is not None],
                default=invoice.issued,
            )
            status = self.invoice_status(invoice)
            row = invoice.row
            self.batch.emit(
                "invoices",
                {
                    "invoice_id": invoice_id,
                    "billing_customer_id": row["customer_id"],
                    "subscription_id": row["subscription_id"],
                    "issued_at": _iso(invoice.issued),
                    "period_start_date": min(starts, default=invoice.issued).date().isoformat(),
                    "period_end_date": _last_day(
                        max(ends, default=invoice.issued + timedelta(1))
                    ).isoformat(),
                    "subtotal": _major(sub_total, currency),
                    "discount_amount": _major(sub_total + tax - total, currency),
                    "tax_amount": _major(tax, currency),
                    "total": _major(total, currency),
                    "amount_paid": _major(paid, currency),
                    "currency": currency,
                    "status": status,
                    "paid_at": parse_instant(row["paid_at"]),
                    "updated_at": _iso(updated),
                },
                row,
            )
            for note in credited:
                self.batch.used(note.row)
            for note_row in invoice.written_off_by:
                self.batch.used(note_row)
            for line in invoice.lines:
                self.emit_line(invoice, line)
            for note in credited:
                for line_row, values in note.lines:
                    price = self.prices.get(values["price_id"] or "")
                    self.batch.emit(
                        "invoice_lines",
                        {
                            "invoice_line_id": values["line_id"],
                            "invoice_id": invoice_id,
                            "line_type": "credit",
                            "plan_id": values["price_id"] if price else None,
                            "subscription_item_id": None,
                            "description": line_row["description"] or "Credit note",
                            "seats": None,
                            "amount": _major(-values["amount"], currency),
                            "period_start_date": values["starts"].date().isoformat(),
                            "period_end_date": _period_end(values["starts"], values["ends"]),
                            "updated_at": _iso(note.issued or invoice.issued),
                        },
                        line_row,
                    )

    def emit_line(self, invoice: Invoice, line: Line) -> None:
        if line.kind == "one_off":
            line_type = "credit" if line.amount_minor < 0 else "one_off"
        else:
            line_type = (
                "recurring" if line.whole_period and not line.later_at_instant else "proration"
            )
        recurring = line.kind != "one_off"
        self.batch.emit(
            "invoice_lines",
            {
                "invoice_line_id": line.row["id"],
                "invoice_id": invoice.row["id"],
                "line_type": line_type,
                "plan_id": line.price_id if recurring else None,
                "subscription_item_id": line.subscription_item_id if recurring else None,
                "description": line.row["description"] or line.price_id or "Charge",
                "seats": line.quantity if recurring else None,
                "amount": _major(line.amount_minor - line.discount_minor, invoice.currency),
                "period_start_date": line.starts.date().isoformat(),
                "period_end_date": _period_end(line.starts, line.ends),
                "updated_at": _iso(invoice.issued),
            },
            line.row,
        )
        for discount in line.coupon_rows:
            self.batch.used(discount)


# ------------------------------------------------------------------------------------ item history

REASON_PRIORITY = {
    "new": 5,
    "removed": 4,
    "plan_change": 3,
    "seat_change": 2,
    "price_change": 1,
    "discount_change": 0,
}


@dataclass
class _Window:
    """One run of a coupon on a subscription: from its first invoice until it stops showing."""

    coupon: str
    starts: datetime
    ends: datetime | None = None
    runs_out: datetime | None = None  # a limited-period application's end, if its period is known


@dataclass
class _State:
    price_id: str
    seats: int
    unit: int | None
    coupon: str | None
    window: _Window | None


@dataclass
class _Version:
    key: str
    subscription_item_id: str
    state: _State
    reason: str
    valid_from: datetime
    source: VendorRow
    valid_to: datetime | None = None


class _ItemHistory:
    """The item versions of one subscription, rebuilt from its invoice lines and current items."""

    def __init__(
        self,
        mapping: _Mapping,
        subscription: Subscription,
        lines: list[Line],
        current: list[VendorRow],
        applied: dict[str, VendorRow],
    ) -> None:
        self.mapping = mapping
        self.subscription = subscription
        self.subscription_id = subscription.row["id"]
        self.lines = lines
        self.current = current
        self.applied = applied
        self.versions: list[_Version] = []
        self.open: dict[str, _Version] = {}
        self.effective: dict[str, _State] = {}  # what holds now (a spent coupon is gone)
        self.lives: dict[str, int] = defaultdict(int)
        self.windows: dict[str, _Window] = {}  # running coupon windows
        self.coupons_used: set[str] = set()

    # -------------------------------------------------------------- identity
    def key_of(self, price_id: str, kind: str) -> str:
        price = self.mapping.prices.get(price_id)
        if price is not None:
            return price.key_item
        return PLAN_KEY if kind in ("plan", *PLAN_LINES) else price_id

    def item_id(self, key: str) -> str:
        life = max(self.lives[key], 1)
        suffix = "" if life == 1 else f"/{life}"
        return f"{self.subscription_id}/{key}{suffix}"

    def coupon(self, coupon_id: str | None) -> Coupon | None:
        return self.mapping.coupons.get(coupon_id or "")

    def new_window(self, coupon_id: str, starts: datetime) -> _Window:
        period = (self.coupon(coupon_id) or _NO_COUPON).period
        return _Window(coupon_id, starts, runs_out=_add_period(starts, *period) if period else None)

    # -------------------------------------------------------------- the rebuild
    def run(self) -> None:
        if self.lines:
            self.from_lines()
            self.reconcile_current()
        else:
            self.from_current()
        if self.subscription.ended is not None:
            end = _exclusive(self.subscription.ended)
            targets: dict[str, _State | None] = {key: None for key in self.open}
            self.commit(end, targets, {key: self.subscription.row for key in targets})
        self.resolve_units()
        self.emit()

    def from_current(self) -> None:
        """No invoice yet (a trial, a future start): the current items hold from the start."""
        start = self.subscription.paid_start
        for coupon_id in self.applied:
            self.windows[coupon_id] = self.new_window(coupon_id, start)
        targets: dict[str, _State | None] = {}
        sources: dict[str, VendorRow] = {}
        for row in self.current:
            state = self.current_state(row)
            if state is None:
                continue
            key = self.key_of(state.price_id, (row["item_type"] or "").lower())
            running = [
                w
                for w in self.windows.values()
                if key == PLAN_KEY or self.coupon(w.coupon).whole_subscription
            ]
            if running:
                state.coupon, state.window = running[0].coupon, running[0]
            targets[key] = state
            sources[key] = row
        self.commit(start, targets, sources)

    def current_state(self, row: VendorRow) -> _State | None:
        try:
            seats = _whole(row["quantity"], "quantity")
            unit = _whole(row["unit_price"], "unit_price")
            if unit is None and row["unit_price_in_decimal"] is not None:
                price = self.mapping.prices.get(row["item_price_id"])
                decimal = _number(row["unit_price_in_decimal"], "unit_price_in_decimal")
                if price is not None and price.currency is not None:
                    unit = int(decimal * 10 ** CURRENCY_MINOR_UNITS[price.currency])
        except RowProblem as problem:
            self.mapping.quarantine(row, str(problem))
            return None
        self.mapping.batch.used(row)
        return _State(row["item_price_id"], seats if seats is not None else 1, unit, None, None)

    def from_lines(self) -> None:
        by_instant: dict[datetime, list[Line]] = defaultdict(list)
        for line in self.lines:
            by_instant[line.starts].append(line)
        for instant in sorted(by_instant):
            self.at_instant(instant, by_instant[instant])

    def at_instant(self, instant: datetime, lines: list[Line]) -> None:
        targets: dict[str, _State | None] = {}
        sources: dict[str, VendorRow] = {}
        forced: set[str] = set()
        renewal_invoice = next((line.invoice for line in lines if line.whole_period), None)
        if renewal_invoice is not None:
            for coupon_id, window in list(self.windows.items()):
                if window.runs_out is not None and instant >= window.runs_out - CLAMP_SLACK:
                    # One application ran its period; still showing, the coupon was applied anew.
                    window.ends = instant
                    del self.windows[coupon_id]
                    forced |= set(self.open)
        renewal: dict[str, Line] = {}
        changes: list[Line] = []
        for line in lines:
            key = self.key_of(line.price_id or "", line.kind)
            if line.whole_period and line.invoice is renewal_invoice and key not in renewal:
                renewal[key] = line
            else:
                line.later_at_instant = line.whole_period
                changes.append(line)
        if renewal:
            seen: set[str] = set()
            for key, line in renewal.items():
                targets[key] = self.renewed(key, line, seen)
                sources[key] = line.row
            for coupon_id, window in list(self.windows.items()):
                if coupon_id not in seen:
                    window.ends = instant  # the coupon no longer shows: it ended here
                    del self.windows[coupon_id]
                    if (self.coupon(coupon_id) or _NO_COUPON).duration != "once":
                        # The subscription's discount ended: a change of every item's terms.
                        forced |= set(self.open)
            renewal_row = next(iter(renewal.values())).row
            for key in self.open:
                if key not in renewal:
                    targets[key] = None  # not billed at the renewal: removed then
                    sources[key] = renewal_row
        for line in changes:
            key = self.key_of(line.price_id or "", line.kind)
            targets[key] = self.changed(key, line, targets)
            sources[key] = line.row
        self.commit(instant, targets, sources, forced)
        for line in lines:
            key = self.key_of(line.price_id or "", line.kind)
            line.subscription_item_id = self.item_id(key)

    def renewed(self, key: str, line: Line, seen: set[str]) -> _State:
        """The state a whole-period line shows; a coupon that stopped showing has ended."""
        coupon_id = next(iter(line.coupons), None)
        window = None
        if coupon_id is not None:
            seen.add(coupon_id)
            window = self.windows.get(coupon_id)
            if window is None:
                window = self.windows[coupon_id] = self.new_window(coupon_id, line.starts)
        before = self.open.get(key)
        if (
            before is not None
            and before.state.unit is None
            and before.state.price_id == line.price_id
        ):
            self.backfill_unit(key, line.price_id, line.unit_minor)
        return _State(line.price_id or "", line.quantity or 0, line.unit_minor, coupon_id, window)

    def changed(self, key: str, line: Line, targets: dict[str, _State | None]) -> _State:
        """A mid-term change (a proration): more seats, another plan, or a new item."""
        state = targets[key] if key in targets else self.effective.get(key)
        window = self.windows.get(next(iter(line.coupons), ""))
        if window is None and line.coupons:
            window = self.windows[line.coupons[0]] = self.new_window(line.coupons[0], line.starts)
        if state is None:
            # A new item: a running whole-subscription coupon applies to it too.
            if window is None:
                window = next(
                    (w for w in self.windows.values() if self.coupon(w.coupon).whole_subscription),
                    None,
                )
            coupon = window.coupon if window else None
            return _State(line.price_id or "", line.quantity or 0, line.unit_minor, coupon, window)
        if window is None:
            coupon, window = state.coupon, state.window
        else:
            coupon = window.coupon
        if state.price_id != line.price_id:
            # Another plan: the line bills the new plan for all seats.
            return _State(line.price_id or "", line.quantity or 0, line.unit_minor, coupon, window)
        seats = state.seats + (line.quantity or 0)
        return _State(state.price_id, seats, line.unit_minor or state.unit, coupon, window)

    def backfill_unit(self, key: str, price_id: str | None, unit: int | None) -> None:
        for version in reversed([v for v in self.versions if v.key == key]):
            if version.state.price_id != price_id or version.state.unit is not None:
                break
            version.state.unit = unit
        if key in self.effective and self.effective[key].price_id == price_id:
            self.effective[key].unit = self.effective[key].unit or unit

    def reconcile_current(self) -> None:
        """Changes after the last invoice show only in the current items: dated when the
        subscription last changed."""
        if not self.current or self.subscription.ended is not None:
            for row in self.current:
                self.mapping.batch.used(row)
            return
        last = max(line.starts for line in self.lines)
        when = max(last, self.subscription.updated or last)
        targets: dict[str, _State | None] = {}
        sources: dict[str, VendorRow] = {}
        present: set[str] = set()
        for row in self.current:
            state = self.current_state(row)
            if state is None:
                continue
            key = self.key_of(state.price_id, (row["item_type"] or "").lower())
            present.add(key)
            now = self.effective.get(key)
            if now is not None and now.unit is None and now.price_id == state.price_id:
                self.backfill_unit(key, state.price_id, state.unit)
            if now is None or (now.price_id, now.seats) != (state.price_id, state.seats):
                if now is not None:
                    state.coupon, state.window = now.coupon, now.window
                targets[key] = state
                sources[key] = row
        for key in self.open:
            if key not in present:
                targets[key] = None
                sources[key] = self.subscription.row
        if targets:
            self.commit(when, targets, sources)

    def commit(
        self,
        instant: datetime,
        targets: dict[str, _State | None],
        sources: dict[str, VendorRow],
        forced: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """Close and open versions for what changed at ``instant`` (one version per item);
        ``forced`` items change terms even when nothing of theirs shows it."""
        for key, target in targets.items():
            old = self.open.get(key)
            if target is None:
                if old is None:
                    continue
                now = self.effective[key]
                # A coupon that stopped showing at this very renewal no longer applies.
                ended_here = now.window is not None and now.window.ends == instant
                coupon, window = (None, None) if ended_here else (now.coupon, now.window)
                gone = _State(now.price_id, 0, now.unit, coupon, window)
                self.open_version(key, gone, "removed", instant, sources[key], old)
                del self.open[key]
                del self.effective[key]
                continue
            if old is None:
                self.lives[key] += 1
                self.open_version(key, target, "new", instant, sources[key], None)
                continue
            reason = self.reason(old.state, target)
            if reason is None and key in forced:
                reason = "discount_change"
            self.effective[key] = target
            if reason is None:
                continue
            if old.valid_from == instant and old.reason != "removed":
                old.state = target  # several changes at one instant make one version
                if REASON_PRIORITY[reason] > REASON_PRIORITY[old.reason]:
                    old.reason = reason
                continue
            self.open_version(key, target, reason, instant, sources[key], old)

    def open_version(
        self,
        key: str,
        state: _State,
        reason: str,
        instant: datetime,
        source: VendorRow,
        old: _Version | None,
    ) -> None:
        if old is not None:
            old.valid_to = instant
        version = _Version(key, self.item_id(key), state, reason, instant, source)
        self.versions.append(version)
        if reason != "removed":
            self.open[key] = version
            self.effective[key] = state

    def reason(self, old: _State, new: _State) -> str | None:
        found = []
        if old.price_id != new.price_id:
            found.append("plan_change")
        if old.seats != new.seats:
            found.append("seat_change")
        if old.unit is not None and new.unit is not None and old.unit != new.unit:
            found.append("price_change")
        spent = new.coupon is None and (self.coupon(old.coupon) or _NO_COUPON).duration == "once"
        if (old.coupon, old.window) != (new.coupon, new.window) and not spent:
            # A one-time coupon is spent on its first invoice: no change of contract.
            found.append("discount_change")
        return max(found, key=REASON_PRIORITY.__getitem__, default=None)

    def resolve_units(self) -> None:
        current = {row["item_price_id"]: row for row in self.current}
        for version in self.versions:
            if version.state.unit is not None:
                continue
            row = current.get(version.state.price_id)
            try:
                unit = _whole(row["unit_price"], "unit_price") if row is not None else None
            except RowProblem:
                unit = None  # the row is quarantined for it already
            if unit is None:
                price = self.mapping.prices.get(version.state.price_id)
                unit = price.price_minor if price is not None else None
            version.state.unit = unit

    # -------------------------------------------------------------- emitting
    def emit(self) -> None:
        subscription = self.subscription
        for version in self.versions:
            state = version.state
            price = self.mapping.prices.get(state.price_id)
            currency = price.currency if price is not None else None
            coupon = self.coupon(state.coupon)
            percent = amount = duration = ends = None
            if coupon is not None:
                self.coupons_used.add(state.coupon)
                percent = coupon.percent
                if coupon.amount_minor is not None and (coupon.currency or currency):
                    amount = _major(coupon.amount_minor, coupon.currency or currency)
                duration = coupon.duration
                if duration not in ("once", "forever"):
                    ends = self.coupon_end(state)
            created = (
                subscription.created
                if version.reason == "new" and version.valid_from == subscription.paid_start
                else version.valid_from
            )
            suffix = "/removed" if version.reason == "removed" else ""
            self.mapping.batch.emit(
                "subscription_item_versions",
                {
                    "item_version_id": f"{version.subscription_item_id}@"
                    f"{_iso(version.valid_from)}{suffix}",
                    "subscription_item_id": version.subscription_item_id,
                    "subscription_id": self.subscription_id,
                    "plan_id": state.price_id,
                    "seats": state.seats,
                    "unit_price": _major(state.unit, currency)
                    if state.unit is not None and currency
                    else None,
                    "currency": currency,
                    "discount_percent": percent,
                    "discount_amount": amount,
                    "discount_duration": duration,
                    "discount_ends_at": _iso(ends),
                    "change_reason": version.reason,
                    "valid_from": _iso(version.valid_from),
                    "valid_to": _iso(version.valid_to),
                    "updated_at": _iso(version.valid_to or created),
                },
                version.source,
            )
        for coupon_id in self.coupons_used:
            if coupon_id in self.applied:
                self.mapping.batch.used(self.applied[coupon_id])

    def coupon_end(self, state: _State) -> datetime | None:
        """A limited-period coupon ends where it stopped showing (or where its period ran out,
        when no invoice came then: a pause), else at its apply_till."""
        window = state.window
        if window is not None and window.ends is not None:
            if window.runs_out is not None and window.runs_out < window.ends - CLAMP_SLACK:
                return window.runs_out
            return window.ends
        row = self.applied.get(state.coupon or "")
        if row is None:
            return None
        try:
            return _instant(row["apply_till"], "apply_till")
        except RowProblem as problem:
            self.mapping.quarantine(row, str(problem))
            return None


_NO_COUPON = Coupon(None, None, None, None, None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ dialect

# The contract's invoice statuses, subscription statuses and durations in Chargebee's words.
DIALECT_INVOICE_STATUSES = {
    "paid": "paid",
    "open": "payment_due",
    "void": "voided",
    "uncollectible": "not_paid",
}
DIALECT_SUBSCRIPTION_STATUSES = {
    "trialing": "in_trial",
    "incomplete": "future",
    "incomplete_expired": "cancelled",
    "active": "active",
    "past_due": "active",
    "unpaid": "active",
    "paused": "paused",
    "non_renewing": "non_renewing",
    "canceled": "non_renewing",
    "ended": "cancelled",
}
DIALECT_DURATIONS = {"once": "one_time", "repeating": "limited_period", "forever": "forever"}
DUNNING = ("past_due", "unpaid")


def _native_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _to_minor(value: str | None, currency: str) -> int | None:
    if value is None:
        return None
    return int((Decimal(value) * 10 ** CURRENCY_MINOR_UNITS[currency]).to_integral_value())


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _naive(moment: datetime | None) -> str | None:
    """Fivetran's UTC timestamps without an offset."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _latest_rows(rows: list[dict[str, str | None]], key: str) -> dict[str, dict[str, str | None]]:
    """The latest version of each native record: Chargebee (and Fivetran) keep one."""
    latest: dict[str, dict[str, str | None]] = {}
    for row in rows:
        known = latest.get(row[key] or "")
        if known is None or (row.get("updated_at") or "") >= (known.get("updated_at") or ""):
            latest[row[key] or ""] = row
    return latest


def _application(version: dict[str, str | None]) -> tuple:
    return (
        version["subscription_id"],
        version["discount_percent"],
        version["discount_amount"],
        version["discount_ends_at"],
    )


class _DialectWriter:
    """A native world's billing entities as Chargebee tables (the adapter's default settings)."""

    def __init__(self, adapter: ChargebeeAdapter, native: NativeWorld, out_dir: Path) -> None:
        self.adapter = adapter
        self.native = native
        self.out = out_dir
        self.plans = _latest_rows(native.rows("plans"), "plan_id")
        self.customers = _latest_rows(native.rows("customers"), "billing_customer_id")
        self.subscriptions = _latest_rows(native.rows("subscriptions"), "subscription_id")
        self.versions = _latest_rows(native.rows("subscription_item_versions"), "item_version_id")
        self.invoices = _latest_rows(native.rows("invoices"), "invoice_id")
        self.lines = _latest_rows(native.rows("invoice_lines"), "invoice_line_id")
        self.versions_of: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        for version in sorted(self.versions.values(), key=lambda v: v["valid_from"] or ""):
            self.versions_of[version["subscription_item_id"] or ""].append(version)
        self.coupons: dict[str, dict[str, Any]] = {}
        self._application_starts: dict[tuple, datetime] | None = None

    def run(self) -> None:
        self.write_catalogue()
        self.write_customers()
        self.write_subscriptions()
        self.write_invoices()
        self.write_coupons()

    # -------------------------------------------------------------- catalogue
    def item_of(self, plan: dict[str, str | None]) -> str:
        tier = plan["plan_tier"] if plan["product_kind"] == "core" else None
        return f"{plan['product_id']}_{tier}" if tier else plan["product_id"] or ""

    def write_catalogue(self) -> None:
        families: dict[str, dict[str, Any]] = {}
        items: dict[str, dict[str, Any]] = {}
        prices = []
        for plan_id, plan in sorted(self.plans.items()):
            family_id = plan["product_id"] or ""
            updated = plan["updated_at"] or ""
            family = families.setdefault(
                family_id, {"id": family_id, "name": plan["product_name"], "updated_at": updated}
            )
            family["updated_at"] = max(family["updated_at"], updated)
            item_id = self.item_of(plan)
            item_type = "plan" if plan["product_kind"] == "core" else "addon"
            tier = plan["plan_tier"] if item_type == "plan" else None
            item = items.setdefault(
                item_id,
                {
                    "id": item_id,
                    "name": " ".join(filter(None, (plan["product_name"], (tier or "").title()))),
                    "item_family_id": family_id,
                    "type": item_type,
                    "status": "active",
                    "metadata": json.dumps({"tier": tier}) if tier else None,
                    "updated_at": updated,
                },
            )
            item["updated_at"] = max(item["updated_at"], updated)
            unit, count = plan["billing_interval"] or "month", int(plan["interval_count"] or 1)
            if unit == "quarter":
                unit, count = "month", 3 * count
            currency = plan["currency"] or "USD"
            prices.append(
                {
                    "id": plan_id,
                    "name": plan["plan_name"],
                    "external_name": plan["plan_name"],
                    "item_id": item_id,
                    "item_family_id": family_id,
                    "item_type": item_type,
                    "status": "active" if plan["is_active"] == "true" else "archived",
                    "pricing_model": "per_unit",
                    "price": _to_minor(plan["list_price"], currency),
                    "currency_code": currency,
                    "period": count,
                    "period_unit": unit,
                    "updated_at": plan["updated_at"],
                }
            )
        write_vendor_csv(
            self.out / "item_family" / "item_family.csv",
            ["id", "name", "status", "updated_at", "_fivetran_deleted"],
            [f | {"status": "active", "_fivetran_deleted": False} for f in families.values()],
        )
        write_vendor_csv(
            self.out / "item" / "item.csv",
            ["id", "name", "item_family_id", "type", "status", "metadata", "updated_at"],
            items.values(),
        )
        write_vendor_csv(self.out / "item_price" / "item_price.csv", list(prices[0]), prices)

    # -------------------------------------------------------------- customers
    def write_customers(self) -> None:
        field_name = self.adapter.settings["account_id_field"]
        rows = []
        for customer in self.customers.values():
            row: dict[str, Any] = {
                "id": customer["billing_customer_id"],
                "email": customer["billing_email"],
                "billing_address_country": customer["billing_country"],
                "preferred_currency_code": customer["currency"],
                "created_at": _naive(_native_instant(customer["created_at"])),
                "updated_at": _naive(_native_instant(customer["updated_at"])),
                "deleted": False,
            }
            if field_name.startswith("meta_data."):
                row["meta_data"] = json.dumps({field_name.split(".", 1)[1]: customer["account_id"]})
            elif field_name != "id":
                row[normalise_header(field_name)] = customer["account_id"]
            rows.append(row)
        header = list(rows[0]) if rows else ["id"]
        write_vendor_csv(self.out / "customer" / "customer.csv", header, rows)

    # -------------------------------------------------------------- subscriptions
    def write_subscriptions(self) -> None:
        currency_of = {c["billing_customer_id"]: c["currency"] for c in self.customers.values()}
        given_up: dict[str, list[datetime]] = defaultdict(list)
        for invoice in self.invoices.values():
            if invoice["status"] == "uncollectible":
                issued = _native_instant(invoice["issued_at"])
                given_up[invoice["subscription_id"] or ""].append(issued)
        rows = []
        for subscription_id, sub in sorted(self.subscriptions.items()):
            status = sub["status"] or "active"
            at = {
                name: _native_instant(sub[name])
                for name in (
                    "trial_started_at",
                    "trial_ended_at",
                    "started_at",
                    "current_term_started_at",
                    "current_term_ends_at",
                    "canceled_at",
                    "ended_at",
                    "paused_at",
                    "resumes_at",
                    "created_at",
                    "updated_at",
                )
            }
            chargebee_status = DIALECT_SUBSCRIPTION_STATUSES[status]
            unit, count = sub["billing_interval"] or "month", int(sub["interval_count"] or 1)
            if unit == "quarter":
                unit, count = "month", 3 * count
            due_since = None
            if status == "past_due":
                due_since = at["updated_at"]  # overdue since the version began
            elif status == "unpaid":
                written_off = [t for t in given_up[subscription_id] if t <= at["updated_at"]]
                due_since = max(written_off, default=at["updated_at"])
            if chargebee_status == "cancelled":
                cancelled = at["ended_at"]
            elif chargebee_status == "non_renewing":
                cancelled = at["current_term_ends_at"]  # Chargebee: when it is set to cancel
            else:
                cancelled = None
            renews = sub["is_auto_renew"] == "true"
            rows.append(
                {
                    "id": subscription_id,
                    "customer_id": sub["billing_customer_id"],
                    "currency_code": currency_of.get(sub["billing_customer_id"]),
                    "status": chargebee_status,
                    "billing_period": count,
                    "billing_period_unit": unit,
                    "trial_start": _epoch(at["trial_started_at"]),
                    "trial_end": _epoch(at["trial_ended_at"]),
                    "start_date": _epoch(at["trial_started_at"] or at["started_at"]),
                    "started_at": _epoch(at["trial_started_at"] or at["started_at"]),
                    "activated_at": None
                    if status in ("trialing", "incomplete")
                    else _epoch(at["started_at"]),
                    "current_term_start": _epoch(at["current_term_started_at"]),
                    "current_term_end": _epoch(at["current_term_ends_at"]),
                    "cancelled_at": _epoch(cancelled),
                    "cancel_schedule_created_at": _epoch(at["canceled_at"]),
                    "pause_date": _epoch(at["paused_at"]),
                    "resume_date": _epoch(at["resumes_at"]),
                    "due_since": _epoch(due_since),
                    "due_invoices_count": 1 if status in DUNNING else 0,
                    "remaining_billing_cycles": None
                    if renews or chargebee_status in ("cancelled", "non_renewing")
                    else 1,
                    "created_at": _epoch(at["created_at"]),
                    "updated_at": _epoch(at["updated_at"]),
                    "deleted": False,
                }
            )
        write_vendor_jsonl(self.out / "subscription" / "subscriptions.jsonl", rows)
        self.write_subscription_items()

    def write_subscription_items(self) -> None:
        rows = []
        for versions in self.versions_of.values():
            sub = self.subscriptions.get(versions[0]["subscription_id"] or "")
            if sub is None:
                continue
            last = versions[-1]
            if last["change_reason"] == "removed":
                ended = _native_instant(sub["ended_at"])
                removed_at = _native_instant(last["valid_from"])
                # A cancelled subscription keeps the items it ended with; a removed one is gone.
                if ended is None or len(versions) < 2 or removed_at != _exclusive(ended):
                    continue
                last = versions[-2]
            plan = self.plans.get(last["plan_id"] or "")
            if plan is None:
                continue
            currency = last["currency"] or plan["currency"] or "USD"
            unit = _to_minor(last["unit_price"], currency) or 0
            seats = int(last["seats"] or 0)
            rows.append(
                {
                    "subscription_id": last["subscription_id"],
                    "item_price_id": last["plan_id"],
                    "item_type": "plan" if plan["product_kind"] == "core" else "addon",
                    "quantity": seats,
                    "unit_price": unit,
                    "amount": unit * seats,
                }
            )
        header = [
            "subscription_id",
            "item_price_id",
            "item_type",
            "quantity",
            "unit_price",
            "amount",
        ]
        write_vendor_csv(self.out / "subscription_item" / "subscription_item.csv", header, rows)

    # -------------------------------------------------------------- coupons
    def coupon_of(self, version: dict[str, str | None] | None) -> str | None:
        if version is None or not (version["discount_percent"] or version["discount_amount"]):
            return None
        duration = version["discount_duration"] or (
            "repeating" if version["discount_ends_at"] else "forever"
        )
        currency = version["currency"] or "USD"
        period = self.coupon_period(version) if duration == "repeating" else None
        suffix = f"_{period[1]}{period[0]}" if period else ""
        if version["discount_percent"]:
            percent = Decimal(version["discount_percent"]).normalize()
            coupon_id = f"pct{percent:f}_{duration}{suffix}".replace(".", "_")
            values = {"discount_type": "percentage", "discount_percentage": f"{percent:f}"}
        else:
            amount = _to_minor(version["discount_amount"], currency)
            coupon_id = f"off{amount}{currency.lower()}_{duration}{suffix}"
            values = {
                "discount_type": "fixed_amount",
                "discount_amount": amount,
                "currency_code": currency,
            }
        coupon = self.coupons.setdefault(
            coupon_id,
            {
                "id": coupon_id,
                "name": coupon_id.replace("_", " "),
                **values,
                "duration_type": DIALECT_DURATIONS[duration],
                "period": period[1] if period else None,
                "period_unit": period[0] if period else None,
                "status": "active",
                "applied": {},
            },
        )
        # The subscription's coupon runs until the latest version using it says.
        applied = coupon["applied"]
        subscription_id = version["subscription_id"]
        known = applied.get(subscription_id)
        if known is None or (version["valid_from"] or "") >= known[0]:
            applied[subscription_id] = (version["valid_from"] or "", version["discount_ends_at"])
        return coupon_id

    def application_starts(self) -> dict[tuple, datetime]:
        """When each coupon application (a subscription's discount with one end) began."""
        if self._application_starts is None:
            self._application_starts = {}
            for versions in self.versions_of.values():
                for version in versions:
                    key, starts = _application(version), _native_instant(version["valid_from"])
                    known = self._application_starts.get(key)
                    self._application_starts[key] = min(known or starts, starts)
        return self._application_starts

    def coupon_period(self, version: dict[str, str | None]) -> tuple[str, int] | None:
        """How long the application a version belongs to runs: months when it is whole months
        from its first version (allowing for month-end clamping), else days."""
        ends = _native_instant(version["discount_ends_at"])
        if ends is None:
            return None
        starts = self.application_starts()[_application(version)]
        months = round((ends - starts).days / 30.4375)
        if months and abs(_add_months(starts, months) - ends) <= CLAMP_SLACK:
            return "month", months
        return "day", max(1, round((ends - starts) / timedelta(days=1)))

    def write_coupons(self) -> None:
        for versions in self.versions_of.values():
            for version in versions:
                self.coupon_of(version)
        header = [
            "id",
            "name",
            "discount_type",
            "discount_percentage",
            "discount_amount",
            "currency_code",
            "duration_type",
            "period",
            "period_unit",
            "status",
        ]
        write_vendor_csv(
            self.out / "coupon" / "coupon.csv", header, sorted(self.coupons.values(), key=str)
        )
        applied = [
            {"subscription_id": subscription_id, "coupon_id": coupon_id, "apply_till": ends}
            for coupon_id, coupon in sorted(self.coupons.items())
            for subscription_id, (_, ends) in sorted(coupon["applied"].items())
        ]
        write_vendor_csv(
            self.out / "subscription_coupon" / "subscription_coupon.csv",
            ["subscription_id", "coupon_id", "apply_till"],
            applied,
        )

    # -------------------------------------------------------------- invoices
    def version_for(
        self, line: dict[str, str | None], starts: datetime
    ) -> dict[str, str | None] | None:
        """The item version a line billed: in force at its start (before a change made then)."""
        candidates = [
            v
            for v in self.versions_of.get(line["subscription_item_id"] or "", [])
            if v["change_reason"] != "removed"
            and _native_instant(v["valid_from"]) <= starts
            and (v["valid_to"] is None or _native_instant(v["valid_to"]) >= starts)
        ]
        matching = [
            v for v in candidates if v["plan_id"] == line["plan_id"] and v["seats"] == line["seats"]
        ]
        return (matching or candidates or [None])[-1]

    def line_discount(
        self, line: dict[str, str | None], amount: int, starts: datetime, currency: str
    ) -> tuple[int, dict[str, str | None] | None]:
        """(discount in minor units, the version it came from) of a native line (net amount)."""
        version = self.version_for(line, starts)
        if version is None or line["line_type"] not in ("recurring", "proration"):
            return 0, None
        if line["line_type"] == "recurring":
            gross = int(version["seats"] or 0) * (_to_minor(version["unit_price"], currency) or 0)
            return max(0, gross - amount), version
        percent = Decimal(version["discount_percent"] or 0)
        if not percent or version["discount_duration"] == "once":
            return 0, version
        estimate = int(Decimal(amount) / (1 - percent / 100))
        for gross in range(max(0, estimate - 3), estimate + 4):
            if gross - round(gross * float(percent) / 100) == amount:
                return gross - amount, version
        return 0, version

    def write_invoices(self) -> None:
        lines_of: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        for line in self.lines.values():
            lines_of[line["invoice_id"] or ""].append(line)
        invoices, line_rows, discounts, notes, note_lines = [], [], [], [], []
        for invoice_id, invoice in sorted(self.invoices.items()):
            currency = invoice["currency"] or "USD"
            sub = self.subscriptions.get(invoice["subscription_id"] or "")
            anchor = _native_instant(sub["started_at"]) if sub else None
            issued = _native_instant(invoice["issued_at"])
            credit_total = 0
            sub_total = 0
            billed: list[tuple[dict[str, Any], int]] = []
            for line in sorted(lines_of[invoice_id], key=lambda r: r["invoice_line_id"] or ""):
                starts, ends = self.line_period(line, issued, anchor)
                amount = _to_minor(line["amount"], currency) or 0
                if line["line_type"] == "credit":
                    credit_total += -amount
                    note_id = f"cn_{line['invoice_line_id']}"
                    notes.append(self.credit_note(note_id, invoice, line, -amount, issued))
                    note_lines.append(
                        {
                            "id": line["invoice_line_id"],
                            "credit_note_id": note_id,
                            "subscription_id": invoice["subscription_id"],
                            "date_from": _iso(starts),
                            "date_to": _iso(ends),
                            "unit_amount": -amount,
                            "quantity": 1,
                            "amount": -amount,
                            "discount_amount": 0,
                            "tax_amount": 0,
                            "description": line["description"],
                            "entity_type": "adhoc",
                            "entity_id": None,
                        }
                    )
                    continue
                discount, version = self.line_discount(line, amount, starts, currency)
                unit = _to_minor(version["unit_price"], currency) if version else None
                row = self.invoice_line(invoice, line, starts, ends, amount, discount, unit)
                billed.append((row, discount))
                line_rows.append(row)
                sub_total += amount + discount
                coupon = self.coupon_of(version) if discount else None
                if coupon:
                    discounts.append(
                        {
                            "line_item_id": line["invoice_line_id"],
                            "invoice_id": invoice_id,
                            "discount_type": "item_level_coupon",
                            "entity_id": coupon,
                            "coupon_id": coupon,
                            "discount_amount": discount,
                        }
                    )
            # Chargebee's sub_total adds the lines before discount: what the per-line split
            # leaves over goes on the largest line, so the invoice's discount stays exact.
            native_discount = _to_minor(invoice["discount_amount"], currency) or 0
            leftover = native_discount - sum(d for _, d in billed)
            if leftover and billed:
                row, _ = max(billed, key=lambda pair: pair[0]["amount"])
                row["amount"] += leftover
                row["discount_amount"] += leftover
                row["item_level_discount_amount"] = row["discount_amount"]
                sub_total += leftover
            total = (_to_minor(invoice["total"], currency) or 0) + credit_total
            paid = _to_minor(invoice["amount_paid"], currency) or 0
            invoices.append(
                {
                    "id": invoice_id,
                    "customer_id": invoice["billing_customer_id"],
                    "subscription_id": invoice["subscription_id"],
                    "recurring": True,
                    "status": DIALECT_INVOICE_STATUSES[invoice["status"] or "open"],
                    "date": _iso(issued),
                    "sub_total": sub_total,
                    "tax": _to_minor(invoice["tax_amount"], currency),
                    "total": total,
                    "amount_paid": paid,
                    "amount_adjusted": credit_total,
                    "credits_applied": 0,
                    "write_off_amount": 0,
                    "amount_due": max(0, total - paid - credit_total),
                    "currency_code": currency,
                    "paid_at": invoice["paid_at"],
                    "updated_at": invoice["updated_at"],
                    "deleted": False,
                }
            )
        write_vendor_parquet(self.out / "invoice" / "invoices.parquet", list(invoices[0]), invoices)
        write_vendor_csv(
            self.out / "invoice_line_item" / "invoice_line_item.csv", list(line_rows[0]), line_rows
        )
        write_vendor_jsonl(self.out / "invoice_line_item_discount" / "discounts.jsonl", discounts)
        note_header = list(notes[0]) if notes else ["id"]
        write_vendor_csv(self.out / "credit_note" / "credit_note.csv", note_header, notes)
        line_header = list(note_lines[0]) if note_lines else ["id", "credit_note_id"]
        write_vendor_csv(
            self.out / "credit_note_line_item" / "credit_note_line_item.csv",
            line_header,
            note_lines,
        )

    def line_period(
        self, line: dict[str, str | None], issued: datetime, anchor: datetime | None
    ) -> tuple[datetime, datetime]:
        """A native line's service days as Chargebee's instants: from the issue (or the day),
        to the billing anniversary after its last day."""
        first = date.fromisoformat(line["period_start_date"] or issued.date().isoformat())
        last = date.fromisoformat(line["period_end_date"] or first.isoformat())
        day_time = anchor.timetz() if anchor else time(tzinfo=UTC)
        starts = issued if issued.date() == first else datetime.combine(first, day_time)
        return starts, datetime.combine(last + timedelta(days=1), day_time)

    def invoice_line(
        self,
        invoice: dict[str, str | None],
        line: dict[str, str | None],
        starts: datetime,
        ends: datetime,
        amount: int,
        discount: int,
        unit: int | None,
    ) -> dict[str, Any]:
        """A native line as Chargebee's: ``unit_amount`` is the item's unit price for a whole
        period, ``amount`` what the line bills before discount (a part of it when prorated)."""
        plan = self.plans.get(line["plan_id"] or "")
        if line["line_type"] in ("recurring", "proration") and plan is not None:
            core = plan["product_kind"] == "core"
            entity_type = "plan_item_price" if core else "addon_item_price"
            quantity = int(line["seats"] or 1)
            entity_id = line["plan_id"]
        else:
            entity_type, quantity, entity_id = "adhoc", 1, None
        gross = amount + discount
        return {
            "id": line["invoice_line_id"],
            "invoice_id": invoice["invoice_id"],
            "subscription_id": invoice["subscription_id"],
            "customer_id": invoice["billing_customer_id"],
            "date_from": _iso(starts),
            "date_to": _iso(ends),
            "unit_amount": unit if unit is not None else round(gross / quantity),
            "quantity": quantity,
            "amount": gross,
            "discount_amount": discount,
            "item_level_discount_amount": discount,
            "tax_amount": 0,
            "is_taxed": False,
            "pricing_model": "per_unit",
            "description": line["description"],
            "entity_type": entity_type,
            "entity_id": entity_id,
        }

    def credit_note(
        self,
        note_id: str,
        invoice: dict[str, str | None],
        line: dict[str, str | None],
        amount: int,
        issued: datetime,
    ) -> dict[str, Any]:
        incident = "incident" in (line["description"] or "").lower()
        return {
            "id": note_id,
            "customer_id": invoice["billing_customer_id"],
            "subscription_id": invoice["subscription_id"],
            "reference_invoice_id": invoice["invoice_id"],
            "type": "adjustment",
            "reason_code": "service_unsatisfactory" if incident else "other",
            "status": "adjusted",
            "date": _iso(issued),
            "currency_code": invoice["currency"],
            "sub_total": amount,
            "total": amount,
            "amount_allocated": amount,
            "amount_refunded": 0,
            "updated_at": _iso(issued),
            "deleted": False,
        }
