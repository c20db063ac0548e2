"""Stripe (billing): customers, plans, subscriptions, item history, invoices and invoice lines.

Tables are Fivetran's Stripe schema (``customer``, ``product``, ``price`` or the older ``plan``,
``subscription`` or its history-mode ``subscription_history``, ``subscription_item`` and
``subscription_item_history``, ``invoice``, ``invoice_line_item``, ``coupon``, ``discount``).
The dashboard's CSV exports of customers, subscriptions and invoices are read too: their headers
(``Customer ID``, ``Created (UTC)``, ``Amount Due``) are aliases. Exchange rates stay native:
Stripe has no rate table.

Mapping decisions, briefly (docs/sources/stripe.md has the full table):

- **Money**: Stripe amounts are integers in the currency's minor unit (cents; whole yen; fils
  /1000) and currency codes are lower case; they become major units with
  ``CURRENCY_MINOR_UNITS``. A currency outside the contract's list is quarantined. Dashboard
  invoice exports (recognised by their ``Created (UTC)`` / ``Date (UTC)`` column) already show
  major units.
- **customer -> customers**: the CRM account id is ``metadata[account_metadata_key]`` (or the
  dashboard's ``<key> (metadata)`` column); a customer without it is quarantined naming the key.
- **price / plan + product -> plans**: recurring prices only; Stripe has no quarter, so
  ``month`` x 3 is read as ``quarter``. Tier and product kind come from metadata keys.
- **subscription(_history) -> subscriptions**: Stripe's ``canceled`` is the contract's
  ``ended``; ``cancel_at_period_end`` is ``non_renewing`` and a ``cancel_at`` date ``canceled``;
  ``pause_collection`` (or Stripe's own ``paused``) is ``paused``, dated by the history's pause
  spell; the paid start is the trial end. The billing period is the items' price's.
- **subscription_item_history -> subscription_item_versions**: each history row is a version
  (``_fivetran_start`` to the next row's), a quantity of 0 or a deletion is ``removed``, and
  the change reason is the strongest change from the previous version. Without a history, the
  versions are rebuilt from the item's current state and its non-proration invoice lines (what
  cannot be recovered is listed in the docs). Coupons give the discount of each version.
- **invoice / invoice_line_item**: drafts and upcoming-invoice lines (temporary ``sub_`` /
  ``il_tmp_`` ids) are skipped; prorations are ``proration`` lines and never make item
  versions; a line's amount is net of its ``discount_amounts``; the invoice's discount is
  subtotal + tax - total and its period the span of its lines (Stripe dates a subscription
  invoice's own period one period back).

Every table keeps the latest version of each record (by its change time, then
``_fivetran_synced``, then file and line); test-mode rows (``livemode = false``) and rows deleted
in Stripe or by Fivetran are skipped with counted reasons.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cswh.contracts import CURRENCY_MINOR_UNITS
from cswh.vendors.base import (
    FIVETRAN_DELETED,
    Adapter,
    MappedBatch,
    NativeWorld,
    Option,
    VendorRow,
    VendorTable,
    parse_bool,
    parse_decimal,
    parse_instant,
    parse_json_object,
    write_vendor_csv,
    write_vendor_jsonl,
    write_vendor_parquet,
)

SYNCED = "_fivetran_synced"
START, END, ACTIVE = "_fivetran_start", "_fivetran_end", "_fivetran_active"

SUPERSEDED = "superseded by a later version of the same record"
DELETED = "deleted in the source (_fivetran_deleted)"
DELETED_IN_STRIPE = "deleted in Stripe (is_deleted)"
TEST_MODE = "livemode=false (test mode)"
EARLIER_HISTORY = "an earlier version in subscription_history"
HISTORY_DELIVERED = "the subscription's history is delivered (subscription_history)"
ITEM_HISTORY_DELIVERED = "the item's history is delivered (subscription_item_history)"
SAME_INSTANT = "replaced by a later change at the same instant"
NO_CHANGE = "repeats the item's previous version (no contract column changed)"
ONE_TIME_PRICE = "one-time price (not a recurring plan)"
UNUSED_PRODUCT = "no recurring price of this product is delivered"
UNUSED_COUPON = "not applied to any delivered subscription item version"
UNUSED_DISCOUNT = "applies to no delivered subscription item version"
DRAFT = "draft invoice (not finalized, not issued)"
UPCOMING = "upcoming-invoice line (temporary id that changes between syncs; not issued yet)"
INVOICE_SKIPPED = "its invoice was skipped (draft or test mode)"

# Stripe's subscription statuses that keep their contract name.
KEPT_STATUSES = ("trialing", "incomplete", "incomplete_expired", "active", "past_due", "unpaid")
# The contract's change reasons, strongest first (several changes at one instant are one version).
REASON_PRIORITY = (
    "new",
    "removed",
    "plan_change",
    "seat_change",
    "price_change",
    "discount_change",
)
STRIPE_INTERVALS = ("day", "week", "month", "year")
OPEN_END = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)

ELT = {FIVETRAN_DELETED: (), SYNCED: ("_airbyte_extracted_at", "_dlt_load_id")}
HISTORY = {START: (), END: (), ACTIVE: ()}


class Bad(ValueError):
    """A value of a vendor row that cannot be mapped; the message names column and fix."""


# ------------------------------------------------------------------------------------ tables


def build_tables(settings: Mapping[str, Any]) -> tuple[VendorTable, ...]:
    """Stripe's tables, with the dashboard's ``<key> (metadata)`` column for the account key."""
    key = str(settings.get("account_metadata_key") or "account_id")
    customer = VendorTable(
        "customer",
        {
            "id": ("customer_id",),
            "email": (),
            "address_country": ("billing_address_country", "country"),
            "shipping_address_country": (),
            "currency": (),
            "created": ("created_utc", "created_at"),
            "metadata": (),
            # The dashboard export writes each metadata key as a column of its own.
            "account_metadata": (f"{key} (metadata)", f"metadata_{key}", f"metadata.{key}"),
            "livemode": (),
            "is_deleted": ("deleted",),
            **ELT,
        },
        required=frozenset({"id"}),
        description="Stripe customers (Fivetran) or the dashboard's customers export",
    )
    product = VendorTable(
        "product",
        {
            "id": (),
            "name": (),
            "active": (),
            "created": (),
            "updated": (),
            "metadata": (),
            "livemode": (),
            "is_deleted": ("deleted",),
            **ELT,
        },
        required=frozenset({"id"}),
    )
    price_columns: dict[str, tuple[str, ...]] = {
        "id": (),
        "product_id": ("product",),
        "nickname": (),
        "currency": (),
        "unit_amount": ("amount",),
        "recurring_interval": ("interval",),
        "recurring_interval_count": ("interval_count",),
        "type": (),
        "active": (),
        "created": (),
        "metadata": (),
        "livemode": (),
        "is_deleted": ("deleted",),
        **ELT,
    }
    price = VendorTable("price", price_columns, required=frozenset({"id"}))
    plan = VendorTable("plan", price_columns, required=frozenset({"id"}))
    subscription_columns: dict[str, tuple[str, ...]] = {
        "id": ("subscription_id",),
        "customer_id": ("customer",),
        "status": (),
        "created": ("created_utc",),
        "start_date": ("start_date_utc", "start_utc", "start"),
        "trial_start": ("trial_start_utc",),
        "trial_end": ("trial_end_utc",),
        "current_period_start": ("current_period_start_utc",),
        "current_period_end": ("current_period_end_utc",),
        "cancel_at_period_end": (),
        "cancel_at": ("cancel_at_utc",),
        "canceled_at": ("canceled_at_utc",),
        "ended_at": ("ended_at_utc",),
        "pause_collection_behavior": (),
        "pause_collection_resumes_at": ("pause_collection_resumes_at_utc",),
        "plan_id": ("plan", "price_id", "price"),
        "metadata": (),
        "livemode": (),
        **ELT,
    }
    subscription = VendorTable(
        "subscription",
        subscription_columns,
        required=frozenset({"id"}),
        description="Stripe subscriptions (Fivetran) or the dashboard's subscriptions export",
    )
    subscription_history = VendorTable(
        "subscription_history",
        {**subscription_columns, **HISTORY},
        required=frozenset({"id", START}),
    )
    item_columns: dict[str, tuple[str, ...]] = {
        "id": ("subscription_item_id",),
        "subscription_id": ("subscription",),
        "plan_id": ("price_id", "plan", "price"),
        "quantity": (),
        "created": (),
        "metadata": (),
        "discounts": (),
        # The item's embedded price, as Stripe Data Pipeline and Airbyte flatten it.
        "price_unit_amount": ("plan_amount",),
        **ELT,
    }
    subscription_item = VendorTable(
        "subscription_item", item_columns, required=frozenset({"id", "subscription_id"})
    )
    subscription_item_history = VendorTable(
        "subscription_item_history",
        {**item_columns, **HISTORY},
        required=frozenset({"id", "subscription_id", START}),
    )
    invoice = VendorTable(
        "invoice",
        {
            "id": ("invoice_id",),
            "customer_id": ("customer",),
            "subscription_id": ("subscription",),
            "created": ("date",),
            # Only the dashboard export has these; its amounts are in major units.
            "created_utc": ("date_utc",),
            "period_start": ("period_start_utc",),
            "period_end": ("period_end_utc",),
            "subtotal": (),
            "tax": (),
            "total": (),
            "amount_paid": (),
            "amount_due": (),
            "currency": (),
            "status": (),
            "status_transitions_finalized_at": ("finalized_at", "finalized_at_utc"),
            "status_transitions_paid_at": ("paid_at", "paid_at_utc"),
            "status_transitions_voided_at": ("voided_at", "voided_at_utc"),
            "status_transitions_marked_uncollectible_at": (
                "marked_uncollectible_at",
                "marked_uncollectible_at_utc",
            ),
            "livemode": (),
            "is_deleted": ("deleted",),
            **ELT,
        },
        required=frozenset({"id"}),
        description="Stripe invoices (Fivetran) or the dashboard's invoices export",
    )
    invoice_line_item = VendorTable(
        "invoice_line_item",
        {
            "id": (),
            "invoice_id": ("invoice",),
            "type": (),
            "proration": (),
            "plan_id": ("price_id", "plan", "price"),
            "subscription_id": ("subscription",),
            "subscription_item_id": ("subscription_item",),
            "quantity": (),
            "amount": (),
            "currency": (),
            "description": (),
            "period_start": (),
            "period_end": (),
            "discount_amounts": (),
            "livemode": (),
            **ELT,
        },
        required=frozenset({"id", "amount"}),
    )
    coupon = VendorTable(
        "coupon",
        {
            "id": (),
            "percent_off": (),
            "amount_off": (),
            "currency": (),
            "duration": (),
            "duration_in_months": (),
            "created": (),
            "livemode": (),
            **ELT,
        },
        required=frozenset({"id"}),
    )
    discount = VendorTable(
        "discount",
        {
            "id": (),
            "type": (),
            "type_id": (),
            "coupon_id": ("coupon",),
            "customer_id": ("customer",),
            "subscription_id": ("subscription",),
            "subscription_item_id": ("subscription_item",),
            "start": ("start_at",),
            "end": ("end_at",),
            **ELT,
        },
        required=frozenset({"id", "coupon_id"}),
    )
    return (
        customer,
        product,
        price,
        plan,
        subscription,
        subscription_history,
        subscription_item,
        subscription_item_history,
        invoice,
        invoice_line_item,
        coupon,
        discount,
    )


# ------------------------------------------------------------------------------------ values


def _instant(row: VendorRow, column: str) -> datetime | None:
    """A timestamp column as an aware UTC datetime (epoch seconds, ISO, naive = UTC)."""
    text = row[column]
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(parse_instant(text))
    except ValueError:
        raise Bad(f"{column}: '{text}' is not a timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bool(row: VendorRow, column: str) -> bool | None:
    try:
        return parse_bool(row[column])
    except ValueError as error:
        raise Bad(f"{column}: {error}") from None


def _integer(row: VendorRow, column: str) -> int | None:
    try:
        value = parse_decimal(row[column])
    except ValueError as error:
        raise Bad(f"{column}: {error}") from None
    if value is None:
        return None
    if value != value.to_integral_value():
        raise Bad(f"{column}: '{row[column]}' is not a whole number")
    return int(value)


def _metadata(row: VendorRow) -> dict[str, Any]:
    try:
        return parse_json_object(row["metadata"])
    except ValueError as error:
        raise Bad(f"metadata: {error}") from None


def _currency(row: VendorRow, column: str = "currency") -> str | None:
    text = row[column]
    if text is None:
        return None
    code = text.strip().upper()
    if code not in CURRENCY_MINOR_UNITS:
        raise Bad(
            f"{column}: '{text}' is not a currency the contract accepts (its minor units are "
            "unknown); the contract's currencies are in cswh.contracts.CURRENCY_MINOR_UNITS"
        )
    return code


def _major(minor: int | Decimal, currency: str) -> str:
    """Minor units (cents, whole yen, fils) as major-unit text with the currency's decimals."""
    digits = CURRENCY_MINOR_UNITS[currency]
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def _money(row: VendorRow, column: str, currency: str, major_units: bool = False) -> str | None:
    """A Stripe amount column (minor units, or major units in dashboard exports)."""
    if major_units:
        try:
            value = parse_decimal(row[column])
        except ValueError as error:
            raise Bad(f"{column}: {error}") from None
        if value is None:
            return None
        return f"{value:.{CURRENCY_MINOR_UNITS[currency]}f}"
    minor = _integer(row, column)
    return None if minor is None else _major(minor, currency)


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _exclusive_end(moment: datetime | None) -> datetime | None:
    """An end written as its last second (23:59:59) or last millisecond read as the next
    instant, so a removal at a subscription's end starts where paid service stops."""
    if moment is None:
        return None
    if moment.microsecond == 999000:
        return moment + MILLISECOND
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (23, 59, 59, 0):
        return moment + timedelta(seconds=1)
    return moment


def _end_date(end: datetime | None) -> date | None:
    """The last day of a period that ends (exclusive) at ``end``."""
    return None if end is None else (end - timedelta(days=1)).date()


def _json_list(row: VendorRow, column: str) -> list[str] | None:
    text = row[column]
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise Bad(f"{column}: '{text[:80]}' is not a JSON array") from None
    if not isinstance(parsed, list):
        raise Bad(f"{column}: '{text[:80]}' is not a JSON array")
    # Expanded objects or bare ids.
    return [str(item.get("id") if isinstance(item, dict) else item) for item in parsed]


def _reference(row: VendorRow, column: str) -> str | None:
    """An id column, or the id of the object Airbyte and dlt land there (a nested price)."""
    text = row[column]
    if text is None or not text.startswith("{"):
        return text
    try:
        found = json.loads(text).get("id")
    except (json.JSONDecodeError, AttributeError):
        raise Bad(f"{column}: '{text[:80]}' is neither an id nor an object with an id") from None
    return str(found) if found is not None else None


def _discount_total(row: VendorRow) -> int:
    """The sum of a line's ``discount_amounts`` ([{"amount": 120, "discount": "di_..."}])."""
    text = row["discount_amounts"]
    if text is None:
        return 0
    try:
        parsed = json.loads(text)
        return sum(int(Decimal(str(item["amount"]))) for item in parsed)
    except (json.JSONDecodeError, KeyError, TypeError, ArithmeticError, ValueError):
        raise Bad(
            f"discount_amounts: '{text[:80]}' is not a JSON array of {{amount, discount}}"
        ) from None


def _sort_key(row: VendorRow, changed: datetime | None) -> tuple:
    try:
        synced = _instant(row, SYNCED)
    except Bad:
        synced = None  # a bad sync time only loses the tie-break
    floor = datetime.min.replace(tzinfo=UTC)
    return (changed or floor, synced or floor, row.file, row.line)


# ------------------------------------------------------------------------------------ records


@dataclass
class Coupon:
    row: VendorRow
    percent_off: Decimal | None
    amount_off: int | None
    currency: str | None
    duration: str | None
    duration_in_months: int | None


@dataclass
class Discount:
    row: VendorRow
    coupon: Coupon
    kind: str  # subscription_item, subscription or customer
    owner: str  # the item, subscription or customer it applies to
    subscription_id: str | None
    start: datetime | None
    end: datetime | None
    used: bool = False


@dataclass
class Price:
    row: VendorRow
    product_id: str | None
    currency: str
    unit_amount: int | None
    interval: str | None
    interval_count: int | None


@dataclass
class Subscription:
    row: VendorRow
    customer_id: str | None
    stripe_status: str
    trial_end: datetime | None
    ended_at: datetime | None
    plan_id: str | None
    history: list[VendorRow] = field(default_factory=list)


@dataclass
class Line:
    row: VendorRow
    invoice_id: str
    line_type: str
    plan_id: str | None
    item_id: str | None
    subscription_id: str | None
    quantity: int | None
    gross: int  # minor units, before discounts
    net: int
    currency: str
    start: datetime | None
    end: datetime | None


@dataclass
class Version:
    """One state of a subscription item from ``start`` on."""

    start: datetime
    plan_id: str
    seats: int
    unit: int  # minor units
    currency: str
    discount: tuple  # (percent, amount, duration, ends_at) or ()
    sources: tuple[VendorRow, ...]
    reason: str = ""
    synthetic: bool = False  # a removal the history implies (a deletion, the subscription's end)


# ------------------------------------------------------------------------------------ adapter


class StripeAdapter(Adapter):
    vendor = "stripe"
    title = "Stripe"
    source_system = "billing"
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
            "account_metadata_key",
            "account_id",
            "customer.metadata key holding the CRM account id (the dashboard export's "
            "'<key> (metadata)' column)",
        ),
        Option(
            "plan_tier_metadata_key",
            "tier",
            "price (or product) metadata key holding the plan tier: starter, growth or enterprise",
        ),
        Option(
            "product_kind_metadata_key",
            "product_kind",
            "product (or price) metadata key holding core or add_on; products without it are core",
        ),
        Option(
            "auto_renew_metadata_key",
            "auto_renew",
            "subscription metadata key set to false for contracts that do not renew "
            "automatically; without it a subscription renews unless a cancellation is scheduled",
        ),
    )
    tables = build_tables({})

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.tables = build_tables(self.settings)

    def map(self, rows: dict[str, list[VendorRow]], batch: MappedBatch) -> None:
        _Mapping(self.settings, rows, batch).run()

    def write_dialect(self, native: NativeWorld, out_dir: Path) -> None:
        _DialectWriter(self.settings, native, out_dir).write()


class _Mapping:
    """One mapping of a Stripe delivery (all tables together)."""

    def __init__(
        self, settings: Mapping[str, Any], rows: Mapping[str, list[VendorRow]], batch: MappedBatch
    ) -> None:
        self.settings = settings
        self.rows = rows
        self.batch = batch
        self.coupons: dict[str, Coupon] = {}
        self.discounts: list[Discount] = []
        self.products: dict[str, VendorRow] = {}
        self.prices: dict[str, Price] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.invoices: dict[str, VendorRow] = {}
        self.skipped_invoices: set[str] = set()
        self.lines: list[Line] = []
        self.item_subscription: dict[str, str] = {}

    def table(self, name: str) -> list[VendorRow]:
        return self.rows.get(name, [])

    def run(self) -> None:
        self.read_coupons()
        self.read_discounts()
        self.read_products()
        self.read_prices()
        self.map_customers()
        self.read_subscriptions()
        self.read_invoices()
        self.read_lines()
        self.map_items()
        self.map_subscriptions()
        self.map_invoices()
        self.map_lines()
        self.settle_lookups()

    # -- shared row handling
    def live(
        self,
        table: str,
        key: Callable[[VendorRow], Any] = lambda row: row["id"],
        changed: Callable[[VendorRow], datetime | None] = lambda row: None,
    ) -> list[VendorRow]:
        """The latest version of each record that exists in live mode; the rest settled."""
        latest: dict[Any, VendorRow] = {}
        order: dict[Any, tuple] = {}
        for row in self.table(table):
            try:
                record = key(row)
                if record is None or (isinstance(record, tuple) and None in record):
                    raise Bad("id: missing; every record needs its Stripe id")
                sort = _sort_key(row, changed(row))
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            if record in latest:
                if sort >= order[record]:
                    self.batch.skip(latest[record], SUPERSEDED)
                else:
                    self.batch.skip(row, SUPERSEDED)
                    continue
            latest[record], order[record] = row, sort
        kept = []
        for row in latest.values():
            try:
                if _bool(row, FIVETRAN_DELETED):
                    self.batch.skip(row, DELETED)
                elif _bool(row, "is_deleted"):
                    self.batch.skip(row, DELETED_IN_STRIPE)
                elif _bool(row, "livemode") is False:
                    self.batch.skip(row, TEST_MODE)
                else:
                    kept.append(row)
            except Bad as error:
                self.batch.quarantine(row, str(error))
        return sorted(kept, key=lambda row: (row.file, row.line))

    # -- coupons and discounts
    def read_coupons(self) -> None:
        for row in self.live("coupon"):
            try:
                percent = parse_decimal(row["percent_off"])
                amount = _integer(row, "amount_off")
                currency = _currency(row)
                duration = (row["duration"] or "").lower() or None
                if duration not in (None, "once", "repeating", "forever"):
                    raise Bad(f"duration: '{row['duration']}' is not once, repeating or forever")
                if amount is not None and currency is None:
                    raise Bad("currency: missing for an amount_off coupon")
                months = _integer(row, "duration_in_months")
            except (Bad, ValueError) as error:
                self.batch.quarantine(row, str(error))
                continue
            self.coupons[row["id"]] = Coupon(row, percent, amount, currency, duration, months)

    def read_discounts(self) -> None:
        for row in self.live("discount"):
            coupon = self.coupons.get(row["coupon_id"])
            if coupon is None:
                self.batch.quarantine(
                    row,
                    f"coupon_id: coupon '{row['coupon_id']}' is not delivered (or was "
                    "quarantined); deliver the coupon table",
                )
                continue
            kind = (row["type"] or "").lower()
            owner = row["type_id"]
            if kind not in ("subscription_item", "subscription", "customer"):
                # Without Fivetran's type/type_id, the most specific reference decides.
                for found_kind, column in (
                    ("subscription_item", "subscription_item_id"),
                    ("subscription", "subscription_id"),
                    ("customer", "customer_id"),
                ):
                    if row[column]:
                        kind, owner = found_kind, row[column]
                        break
                else:
                    self.batch.skip(
                        row, "applies to an invoice or invoice item, not a subscription"
                    )
                    continue
            try:
                start, end = _instant(row, "start"), _instant(row, "end")
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            if owner is None:
                self.batch.quarantine(row, f"type_id: missing for a {kind} discount")
                continue
            self.discounts.append(
                Discount(row, coupon, kind, owner, row["subscription_id"], start, end)
            )

    def discount_fields(self, discounts: Iterable[Discount], currency: str) -> tuple:
        """(percent, amount, duration, ends_at) of the discounts on a version, or ()."""
        percent = Decimal(0)
        amount = 0
        duration = ends_at = None
        found = False
        for discount in discounts:
            coupon = discount.coupon
            if coupon.amount_off is not None and coupon.currency != currency:
                continue  # Stripe applies an amount off only to invoices in its currency
            found = True
            discount.used = True
            percent += coupon.percent_off or 0
            amount += coupon.amount_off or 0
            if duration is None:
                duration = coupon.duration
                if coupon.duration == "repeating":
                    ends_at = self.discount_end(discount)
        if not found or (percent == 0 and amount == 0):
            return ()
        return (
            f"{percent:f}" if percent else None,
            _major(amount, currency) if amount else None,
            duration,
            ends_at,
        )

    def discounts_at(
        self, item_id: str, subscription_id: str, moment: datetime, before: bool = False
    ) -> list[Discount]:
        """Discounts on an item at an instant, by their start and end (``before``: the instant
        just before, for a removal at a subscription's end)."""
        customer = self.subscription_customer(subscription_id)
        found = []
        for discount in self.discounts:
            owner = {
                "subscription_item": item_id,
                "subscription": subscription_id,
                "customer": customer,
            }[discount.kind]
            if discount.owner != owner:
                continue
            start, end = discount.start, self.discount_end(discount)
            if before:
                inside = (start is None or start < moment) and (end is None or moment <= end)
            else:
                inside = (start is None or start <= moment) and (end is None or moment < end)
            if inside:
                found.append(discount)
        return found

    def subscription_customer(self, subscription_id: str) -> str | None:
        subscription = self.subscriptions.get(subscription_id)
        return subscription.customer_id if subscription else None

    def discount_changes(self, subscription_id: str, moment: datetime) -> bool:
        """Whether a discount of the subscription (or one of its items) starts or ends then:
        the contract's coupons are the whole subscription's."""
        for discount in self.discounts:
            mine = discount.subscription_id == subscription_id or (
                discount.kind == "subscription" and discount.owner == subscription_id
            )
            if mine and moment in (discount.start, discount.end):
                return True
        return False

    # -- catalogue
    def read_products(self) -> None:
        for row in self.live("product", changed=lambda r: _instant(r, "updated")):
            self.products[row["id"]] = row

    def read_prices(self) -> None:
        seen: set[str] = set()
        for table in ("price", "plan"):  # the price API supersedes the older plan API
            for row in self.live(table):
                if row["id"] in seen:
                    self.batch.skip(row, "the same id is delivered in the price table")
                    continue
                seen.add(row["id"])
                self.map_price(row)

    def map_price(self, row: VendorRow) -> None:
        try:
            interval = (row["recurring_interval"] or "").lower() or None
            if interval is None or (row["type"] or "recurring").lower() == "one_time":
                self.batch.skip(row, ONE_TIME_PRICE)
                return
            if interval not in STRIPE_INTERVALS:
                raise Bad(f"recurring_interval: '{interval}' is not day, week, month or year")
            count = _integer(row, "recurring_interval_count")
            currency = _currency(row)
            if currency is None:
                raise Bad("currency: missing; every price has a currency")
            unit = _integer(row, "unit_amount")
            price = Price(row, row["product_id"], currency, unit, interval, count)
            self.prices[row["id"]] = price
            product = self.products.get(row["product_id"] or "")
            if product is None:
                raise Bad(
                    f"product_id: product '{row['product_id']}' is not delivered (or was "
                    "skipped); deliver the product table, which names the plan's product"
                )
            if unit is None:
                raise Bad("unit_amount: missing (tiered and metered prices are not plans)")
            price_meta, product_meta = _metadata(row), _metadata(product)
            tier_key = self.settings["plan_tier_metadata_key"]
            kind_key = self.settings["product_kind_metadata_key"]
            billing_interval, interval_count = _contract_interval(interval, count)
            created = _instant(row, "created")
            updated = _instant(product, "updated")
            active = _bool(row, "active")
            product_active = _bool(product, "active")
        except Bad as error:
            self.batch.quarantine(row, str(error))
            self.prices.pop(row["id"], None)
            return
        product_name = product["name"] or product["id"]
        self.batch.used(product)
        self.batch.emit(
            "plans",
            {
                "plan_id": row["id"],
                "product_id": product["id"],
                "product_name": product_name,
                "plan_name": row["nickname"] or f"{product_name} ({billing_interval})",
                "plan_tier": price_meta.get(tier_key) or product_meta.get(tier_key),
                "product_kind": product_meta.get(kind_key) or price_meta.get(kind_key) or "core",
                "billing_interval": billing_interval,
                "interval_count": interval_count,
                "list_price": _major(unit, currency),
                "currency": currency,
                "is_active": bool(active is not False and product_active is not False),
                # Prices never change in Stripe; a product's edit changes its plans.
                "updated_at": _iso(max((t for t in (created, updated) if t), default=None)),
            },
            row,
        )

    # -- customers
    def map_customers(self) -> None:
        key = self.settings["account_metadata_key"]
        for row in self.live("customer"):
            try:
                account = row["account_metadata"] or _metadata(row).get(key)
                if account in (None, ""):
                    raise Bad(
                        f"metadata: no '{key}' key; set metadata.{key} on the Stripe customer to "
                        "its CRM account id, or name the key that holds it with "
                        "account_metadata_key in _source_systems.yml"
                    )
                country = row["address_country"] or row["shipping_address_country"]
                if country is None:
                    raise Bad(
                        "address_country: missing; set the customer's billing address country"
                    )
                currency = _currency(row) or self.customer_currency(row["id"])
                if currency is None:
                    raise Bad(
                        "currency: missing and no invoice or price of the customer tells it; "
                        "Stripe sets it with the customer's first subscription or invoice"
                    )
                created = _instant(row, "created") or _instant(row, "created_utc")
                if created is None:
                    raise Bad("created: missing")
                # Stripe keeps no change time of a customer: the sync that saw the change.
                updated = _instant(row, SYNCED) or created
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            self.batch.emit(
                "customers",
                {
                    "billing_customer_id": row["id"],
                    "account_id": str(account),
                    "billing_email": row["email"],
                    "billing_country": country.upper(),
                    "currency": currency,
                    "created_at": _iso(created),
                    "updated_at": _iso(max(created, updated)),
                },
                row,
            )

    def customer_currency(self, customer_id: str) -> str | None:
        """A customer without a currency: the currency of its invoices."""
        for row in self.table("invoice"):
            if row["customer_id"] == customer_id and row["currency"]:
                try:
                    return _currency(row)
                except Bad:
                    return None
        return None

    # -- subscriptions
    def read_subscriptions(self) -> None:
        history: dict[str, list[VendorRow]] = defaultdict(list)
        for row in self.live(
            "subscription_history",
            key=lambda r: (r["id"], _instant(r, START)),
            changed=lambda r: _instant(r, START),
        ):
            history[row["id"]].append(row)
        for rows in history.values():
            rows.sort(key=lambda r: (_instant(r, START), r.file, r.line))
            current = next((r for r in reversed(rows) if _bool(r, ACTIVE) is not False), rows[-1])
            self.read_subscription(current, rows)
        for row in self.live("subscription"):
            if row["id"] in history:
                self.batch.skip(row, HISTORY_DELIVERED)
            else:
                self.read_subscription(row, [])

    def read_subscription(self, row: VendorRow, history: list[VendorRow]) -> None:
        try:
            status = (row["status"] or "").lower()
            if status not in (*KEPT_STATUSES, "canceled", "paused"):
                raise Bad(f"status: '{row['status']}' is not a Stripe subscription status")
            subscription = Subscription(
                row,
                row["customer_id"],
                status,
                _instant(row, "trial_end"),
                _instant(row, "ended_at"),
                _reference(row, "plan_id"),
            )
        except Bad as error:
            self.batch.quarantine(row, str(error))
            return
        subscription.history = history
        self.subscriptions[row["id"]] = subscription

    def map_subscriptions(self) -> None:
        for subscription_id, subscription in self.subscriptions.items():
            row = subscription.row
            try:
                values = self.subscription_values(subscription_id, subscription)
            except Bad as error:
                self.batch.quarantine(row, str(error))
                for earlier in subscription.history:
                    if earlier is not row:
                        self.batch.skip(earlier, EARLIER_HISTORY)
                continue
            self.batch.emit("subscriptions", values, row)
            for earlier in subscription.history:
                if earlier is not row:
                    self.batch.skip(earlier, EARLIER_HISTORY)

    def subscription_values(self, subscription_id: str, subscription: Subscription) -> dict:
        row = subscription.row
        created = _instant(row, "created") or _instant(row, "start_date")
        if created is None:
            raise Bad("created: missing")
        trial_start, trial_end = _instant(row, "trial_start"), subscription.trial_end
        started = trial_end or _instant(row, "start_date") or created
        cancel_at_period_end = bool(_bool(row, "cancel_at_period_end"))
        cancel_at = _instant(row, "cancel_at")
        paused_now = row["pause_collection_behavior"] is not None or (
            subscription.stripe_status == "paused"
        )
        status = subscription.stripe_status
        if status == "canceled":
            status = "ended"  # Stripe's canceled has ended service; the contract's is requested
        elif paused_now and status in ("active", "past_due", "unpaid", "paused"):
            status = "paused"
        elif status == "active" and cancel_at_period_end:
            status = "non_renewing"
        elif status == "active" and cancel_at is not None:
            status = "canceled"
        paused_at, resumes_at = self.pause(subscription, paused_now)
        interval = self.subscription_interval(subscription_id, subscription)
        if interval is None:
            raise Bad(
                "no item or plan of the subscription is delivered with its price, so its billing "
                "period is unknown; deliver subscription_item (or its history) and price"
            )
        auto_renew = not (cancel_at_period_end or cancel_at or status in ("ended",))
        if auto_renew:
            flag = _metadata(row).get(self.settings["auto_renew_metadata_key"])
            if flag is not None:
                try:
                    auto_renew = bool(parse_bool(str(flag)))
                except ValueError as error:
                    raise Bad(f"metadata: {error}") from None
        if subscription.history:
            updated = _instant(row, START)
        else:
            updated = _instant(row, SYNCED) or max(
                t
                for t in (
                    created,
                    trial_start,
                    _instant(row, "current_period_start"),
                    _instant(row, "canceled_at"),
                    subscription.ended_at,
                )
                if t
            )
        return {
            "subscription_id": subscription_id,
            "billing_customer_id": subscription.customer_id,
            "status": status,
            "billing_interval": interval[0],
            "interval_count": interval[1],
            "trial_started_at": _iso(trial_start),
            "trial_ended_at": _iso(trial_end),
            "started_at": _iso(started),
            "current_term_started_at": _iso(_instant(row, "current_period_start")),
            "current_term_ends_at": _iso(_instant(row, "current_period_end")),
            "canceled_at": _iso(_instant(row, "canceled_at")),
            "ended_at": _iso(subscription.ended_at),
            "paused_at": _iso(paused_at),
            "resumes_at": _iso(resumes_at),
            "is_auto_renew": auto_renew,
            "created_at": _iso(created),
            "updated_at": _iso(updated),
        }

    def pause(
        self, subscription: Subscription, paused_now: bool
    ) -> tuple[datetime | None, datetime | None]:
        """(paused_at, resumes_at) of the latest pause: the history's last spell of rows with
        pause_collection (or status paused); without a history only a pause in force is known,
        dated by the sync that saw it."""
        row = subscription.row

        def paused(r: VendorRow) -> bool:
            return r["pause_collection_behavior"] is not None or (r["status"] or "") == "paused"

        if not subscription.history:
            if not paused_now:
                return None, None
            return _instant(row, SYNCED), _instant(row, "pause_collection_resumes_at")
        latest: list[VendorRow] = []
        run: list[VendorRow] = []
        for earlier in subscription.history:
            if paused(earlier):
                run.append(earlier)
            elif run:
                latest, run = run, []
        runs = run or latest
        if not runs:
            return None, None
        for used in runs:
            self.batch.used(used)
        return _instant(runs[0], START), _instant(runs[-1], "pause_collection_resumes_at")

    def subscription_interval(
        self, subscription_id: str, subscription: Subscription
    ) -> tuple[str, int | None] | None:
        candidates = [
            *self.item_plans.get(subscription_id, []),
            subscription.plan_id,
            *(line.plan_id for line in self.lines if line.subscription_id == subscription_id),
        ]
        for plan_id in candidates:
            price = self.prices.get(plan_id or "")
            if price is not None and price.interval:
                self.batch.used(price.row)
                return _contract_interval(price.interval, price.interval_count)
        return None

    # -- invoices
    def read_invoices(self) -> None:
        for row in self.live("invoice", changed=_invoice_changed):
            status = (row["status"] or "").lower()
            if status in ("draft", "deleted"):
                self.batch.skip(row, DRAFT)
                self.skipped_invoices.add(row["id"])
                continue
            self.invoices[row["id"]] = row
        for row in self.table("invoice"):
            if row["id"] not in self.invoices:  # test mode, deleted: so are its lines
                self.skipped_invoices.add(row["id"])

    def map_invoices(self) -> None:
        periods: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            periods[line.invoice_id].append(line)
        for invoice_id, row in self.invoices.items():
            try:
                values = self.invoice_values(row, periods.get(invoice_id, []))
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            self.batch.emit("invoices", values, row)

    def invoice_values(self, row: VendorRow, lines: list[Line]) -> dict:
        status = (row["status"] or "").lower()
        if status not in ("open", "paid", "void", "uncollectible"):
            raise Bad(f"status: '{row['status']}' is not open, paid, void or uncollectible")
        currency = _currency(row)
        if currency is None:
            raise Bad("currency: missing")
        dashboard = row["created_utc"] is not None
        issued = _instant(row, "created") or _instant(row, "created_utc")
        if issued is None:
            raise Bad("created: missing")

        def amount(column: str, default: str | None = None) -> str:
            value = _money(row, column, currency, dashboard)
            if value is None and default is None:
                raise Bad(f"{column}: missing")
            return value if value is not None else default

        total = amount("total")
        subtotal = amount("subtotal", total)
        tax = amount("tax", _major(0, currency))
        # Stripe's total is subtotal - discounts + tax; the discounts are what is left.
        discount = Decimal(subtotal) + Decimal(tax) - Decimal(total)
        starts = [line.start for line in lines if line.start]
        ends = [line.end for line in lines if line.end]
        # A subscription invoice's own period is the one before its lines' (Stripe dates it
        # for usage in arrears); the lines say which service period was billed.
        start = min(starts) if starts else _instant(row, "period_start")
        end = max(ends) if ends else _instant(row, "period_end")
        if start is None or end is None:
            raise Bad("period_start/period_end: missing and no line gives the period")
        paid_at = _instant(row, "status_transitions_paid_at")
        return {
            "invoice_id": row["id"],
            "billing_customer_id": row["customer_id"],
            "subscription_id": row["subscription_id"],
            "issued_at": _iso(issued),
            "period_start_date": start.date().isoformat(),
            "period_end_date": _end_date(end).isoformat(),
            "subtotal": subtotal,
            "discount_amount": f"{discount:.{CURRENCY_MINOR_UNITS[currency]}f}",
            "tax_amount": tax,
            "total": total,
            "amount_paid": amount("amount_paid", _major(0, currency)),
            "currency": currency,
            "status": status,
            "paid_at": _iso(paid_at) if status == "paid" else None,
            "updated_at": _iso(_invoice_changed(row) or issued),
        }

    # -- invoice lines
    def read_lines(self) -> None:
        for row in self.live("invoice_line_item"):
            line_id = row["id"]
            if line_id.startswith(("sub_", "il_tmp_")):
                self.batch.skip(row, UPCOMING)
                continue
            invoice_id = row["invoice_id"]
            if invoice_id in self.skipped_invoices:
                self.batch.skip(row, INVOICE_SKIPPED)
                continue
            try:
                self.lines.append(self.read_line(row))
            except Bad as error:
                self.batch.quarantine(row, str(error))

    def read_line(self, row: VendorRow) -> Line:
        invoice_id = row["invoice_id"]
        if invoice_id is None:
            raise Bad("invoice_id: missing; a line of an issued invoice names its invoice")
        invoice = self.invoices.get(invoice_id)
        currency = _currency(row) or (_currency(invoice) if invoice else None)
        if currency is None:
            raise Bad("currency: missing and its invoice is not delivered")
        gross = _integer(row, "amount")
        if gross is None:
            raise Bad("amount: missing")
        net = gross - _discount_total(row)
        kind = (row["type"] or "").lower()
        if _bool(row, "proration"):
            line_type = "proration"
        elif kind == "subscription":
            line_type = "recurring"
        elif kind in ("invoiceitem", "line_item", ""):
            line_type = "credit" if net < 0 else "one_off"
        else:
            raise Bad(f"type: '{row['type']}' is not subscription or invoiceitem")
        on_item = line_type in ("recurring", "proration")
        return Line(
            row,
            invoice_id,
            line_type,
            _reference(row, "plan_id") if on_item else None,
            row["subscription_item_id"] if on_item else None,
            row["subscription_id"] or (invoice["subscription_id"] if invoice else None),
            _integer(row, "quantity") if on_item else None,
            gross,
            net,
            currency,
            _instant(row, "period_start"),
            _instant(row, "period_end"),
        )

    def map_lines(self) -> None:
        for line in self.lines:
            row = line.row
            invoice = self.invoices.get(line.invoice_id)
            try:
                issued = None
                if invoice is not None:
                    issued = _instant(invoice, "created") or _instant(invoice, "created_utc")
                updated = issued or _instant(row, SYNCED)
                if updated is None:
                    raise Bad(
                        f"invoice_id: invoice '{line.invoice_id}' is not delivered, so the line "
                        "has no date; deliver the invoice table"
                    )
                description = row["description"] or self.describe(line)
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            self.batch.emit(
                "invoice_lines",
                {
                    "invoice_line_id": row["id"],
                    "invoice_id": line.invoice_id,
                    "line_type": line.line_type,
                    "plan_id": line.plan_id,
                    "subscription_item_id": line.item_id,
                    "description": description,
                    "seats": line.quantity,
                    "amount": _major(line.net, line.currency),
                    "period_start_date": line.start.date().isoformat() if line.start else None,
                    "period_end_date": _end_date(line.end).isoformat() if line.end else None,
                    "updated_at": _iso(updated),
                },
                row,
            )

    def describe(self, line: Line) -> str:
        price = self.prices.get(line.plan_id or "")
        name = (price.row["nickname"] if price else None) or line.plan_id
        if name and line.quantity is not None:
            return f"{line.quantity} x {name}"
        return {"one_off": "One-off charge", "credit": "Credit"}.get(line.line_type, line.line_type)

    # -- subscription items
    @property
    def item_plans(self) -> dict[str, list[str]]:
        return self._item_plans

    def map_items(self) -> None:
        self._item_plans: dict[str, list[str]] = defaultdict(list)
        history: dict[str, list[VendorRow]] = defaultdict(list)
        for row in self.live(
            "subscription_item_history",
            key=lambda r: (r["id"], _instant(r, START)),
            changed=lambda r: _instant(r, START),
        ):
            history[row["id"]].append(row)
        current: dict[str, VendorRow] = {}
        deleted: dict[str, VendorRow] = {}
        for row in self.table("subscription_item"):
            if self.batch.outcome(row) is None and _deleted_flag(row):
                deleted[row["id"]] = row  # a removed item: its invoice lines still tell history
        for row in self.live("subscription_item"):
            if row["id"] in history:
                self.batch.skip(row, ITEM_HISTORY_DELIVERED)
            else:
                current[row["id"]] = row
        for item_id, rows in history.items():
            rows.sort(key=lambda r: (_instant(r, START), r.file, r.line))
            self.emit_versions(item_id, rows[0]["subscription_id"], self.history_versions(rows))
        lines: dict[str, list[Line]] = defaultdict(list)
        self.prorations: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            if line.item_id and line.item_id not in history:
                if line.line_type == "recurring":
                    lines[line.item_id].append(line)
                elif line.line_type == "proration" and line.start:
                    self.prorations[line.item_id].append(line)
        for item_id in sorted((set(current) | set(lines) | set(deleted)) - set(history)):
            row = current.get(item_id) or deleted.get(item_id)
            item_lines = sorted(lines.get(item_id, []), key=lambda li: (li.start, li.row.line))
            subscription_id = (row["subscription_id"] if row else None) or next(
                (li.subscription_id for li in item_lines if li.subscription_id), None
            )
            if subscription_id is None:
                if row is not None:
                    self.batch.quarantine(row, "subscription_id: missing")
                continue  # lines of an unknown subscription are still invoice lines
            versions = self.rebuilt_versions(
                item_id, subscription_id, row, item_id in deleted, item_lines
            )
            if row is not None and item_id in deleted:
                self.batch.used(row)
            self.emit_versions(item_id, subscription_id, versions)

    def item_state(
        self, row: VendorRow, subscription_id: str, start: datetime
    ) -> tuple[str, int, int, str]:
        """(plan, seats, unit minor, currency) of an item row; the price gives what it lacks."""
        plan_id = _reference(row, "plan_id")
        if plan_id is None:
            raise Bad("plan_id: missing; the item's price (plan) id")
        price = self.prices.get(plan_id)
        seats = _integer(row, "quantity")
        if seats is None:
            seats = 1  # Stripe's default quantity
        unit = _integer(row, "price_unit_amount")
        if unit is None and price is not None:
            unit = price.unit_amount
        if price is None or unit is None:
            raise Bad(
                f"plan_id: price '{plan_id}' is not delivered (or was quarantined), so the "
                "item's price and currency are unknown; deliver the price table"
            )
        self.batch.used(price.row)
        self._item_plans[subscription_id].append(plan_id)
        return plan_id, seats, unit, price.currency

    def history_versions(self, rows: list[VendorRow]) -> list[Version]:
        """Versions of one item from its history-mode rows (sorted by _fivetran_start)."""
        versions: list[Version] = []
        item_id, subscription_id = rows[0]["id"], rows[0]["subscription_id"]
        subscription = self.subscriptions.get(subscription_id)
        trial_end = subscription.trial_end if subscription else None
        for row in rows:
            try:
                start = _instant(row, START)
                if trial_end is not None and start < trial_end:
                    start = trial_end  # item versions describe paid service only
                plan_id, seats, unit, currency = self.item_state(row, subscription_id, start)
                listed = _json_list(row, "discounts")
            except Bad as error:
                self.batch.quarantine(row, str(error))
                continue
            if listed is None:
                discounts = self.discounts_at(item_id, subscription_id, start)
            else:
                by_id = {d.row["id"]: d for d in self.discounts}
                discounts = [by_id[d] for d in listed if d in by_id]
                # Stripe lists an item's own discounts; the subscription's apply as well.
                discounts += [
                    d
                    for d in self.discounts_at(item_id, subscription_id, start)
                    if d.kind != "subscription_item"
                ]
            version = Version(
                start,
                plan_id,
                seats,
                unit,
                currency,
                self.discount_fields(discounts, currency),
                (row,),
            )
            if versions and versions[-1].start == start:
                self.batch.skip(versions[-1].sources[0], SAME_INSTANT)
                versions[-1] = version
            else:
                versions.append(version)
        if not versions:
            return versions
        last_row = rows[-1]
        try:
            deleted = _bool(last_row, ACTIVE) is False and _instant(last_row, END) < OPEN_END
            removal = _exclusive_end(_instant(last_row, END)) if deleted else None
        except Bad as error:
            self.batch.quarantine(last_row, str(error))
            return []
        return self.close(versions, item_id, subscription_id, removal)

    def close(
        self,
        versions: list[Version],
        item_id: str,
        subscription_id: str,
        removal: datetime | None,
    ) -> list[Version]:
        """Add the removal a deletion or the subscription's end implies."""
        subscription = self.subscriptions.get(subscription_id)
        ended = subscription is not None and subscription.ended_at is not None
        if (
            removal is None
            and ended
            and subscription.stripe_status in ("canceled", "incomplete_expired")
        ):
            removal = _exclusive_end(subscription.ended_at)
        last = versions[-1]
        if removal is None or last.seats == 0 or removal < last.start:
            return versions
        removed = Version(
            removal,
            last.plan_id,
            0,
            last.unit,
            last.currency,
            last.discount,
            last.sources,
            synthetic=True,
        )
        if removal == last.start and len(versions) > 1:
            versions[-1] = removed  # a change and the removal at one instant are one version
        else:
            versions.append(removed)
        return versions

    def rebuilt_versions(
        self,
        item_id: str,
        subscription_id: str,
        row: VendorRow | None,
        deleted: bool,
        lines: list[Line],
    ) -> list[Version]:
        """Versions of an item without a history. Its non-proration invoice lines show its plan,
        seats and price period by period; a change is dated by the proration that billed it (or
        the period that first shows it), the current state (``row``) follows the last invoiced
        period, and the discounts' starts and ends split versions too."""
        seen: list[tuple[datetime, tuple, VendorRow]] = []  # (from, (plan, seats, unit, cur))
        for line in lines:
            state = self.line_state(line, subscription_id)
            if state is None:
                continue
            if seen and seen[-1][1] == state:
                continue
            after = seen[-1][0] if seen else None
            start = self.changed_at(item_id, line.plan_id, after, line.start) or line.start
            seen.append((start, state, row or line.row))
        if row is not None and not deleted:
            try:
                current = self.current_state(item_id, subscription_id, row, lines, seen)
            except Bad as error:
                self.batch.quarantine(row, str(error))
                return []
            if current is not None:
                seen.append(current)
        if not seen:
            return []
        # A discount boundary splits a version, up to the last instant the delivery has seen.
        horizon = max(seen[-1][0], lines[-1].start if lines else seen[-1][0])
        moments = {start for start, _, _ in seen}
        for discount in self.item_discounts(item_id, subscription_id):
            for moment in (discount.start, self.discount_end(discount)):
                if moment is not None and seen[0][0] < moment <= horizon:
                    moments.add(moment)
        versions: list[Version] = []
        for moment in sorted(moments):
            start, state, source = max((s for s in seen if s[0] <= moment), key=lambda s: s[0])
            plan_id, seats, unit, currency = state
            discounts = self.discounts_at(item_id, subscription_id, moment)
            discount = self.discount_fields(discounts, currency)
            version = Version(moment, plan_id, seats, unit, currency, discount, (source,))
            if versions and _state(versions[-1]) == _state(version):
                continue
            versions.append(version)
        removal = lines[-1].end if deleted and lines else None
        return self.close(versions, item_id, subscription_id, removal)

    def line_state(self, line: Line, subscription_id: str) -> tuple | None:
        """(plan, seats, unit minor, currency) a recurring line bills: its amount before
        discounts per seat, or its price's amount when that does not divide."""
        if line.start is None or line.plan_id is None:
            return None
        price = self.prices.get(line.plan_id)
        seats = line.quantity if line.quantity is not None else 1
        if seats and line.gross % seats == 0:
            unit = line.gross // seats
        elif price is not None and price.unit_amount is not None:
            unit = price.unit_amount
        else:
            return None
        self._item_plans[subscription_id].append(line.plan_id)
        if price is not None:
            self.batch.used(price.row)
        return (line.plan_id, seats, unit, line.currency)

    def current_state(
        self,
        item_id: str,
        subscription_id: str,
        row: VendorRow,
        lines: list[Line],
        seen: list[tuple[datetime, tuple, VendorRow]],
    ) -> tuple[datetime, tuple, VendorRow] | None:
        """The item's current state when no invoice line shows it yet: dated by its proration,
        else by the sync that saw the change, else the end of the last invoiced period; an
        item never invoiced starts with paid service."""
        subscription = self.subscriptions.get(subscription_id)
        if lines:
            synced = _instant(row, SYNCED)
            start = lines[-1].end or lines[-1].start
            if synced is not None and lines[-1].start < synced < start:
                start = synced
            start = self.changed_at(item_id, _reference(row, "plan_id"), lines[-1].start) or start
        else:
            paid_from = (_instant(row, "created"), subscription.trial_end if subscription else None)
            start = max((t for t in paid_from if t), default=None)
        if start is None:
            raise Bad("created: missing, and no invoice line dates the item")
        plan_id, seats, unit, currency = self.item_state(row, subscription_id, start)
        if seen and (plan_id, seats) == seen[-1][1][:2]:
            return None
        if seen and seen[-1][1][0] == plan_id:
            unit = seen[-1][1][2]  # the price the lines billed (a grandfathered one) carries on
        return (start, (plan_id, seats, unit, currency), row)

    def item_discounts(self, item_id: str, subscription_id: str) -> list[Discount]:
        customer = self.subscription_customer(subscription_id)
        owners = {"subscription_item": item_id, "subscription": subscription_id}
        owners["customer"] = customer
        return [d for d in self.discounts if d.owner == owners[d.kind]]

    @staticmethod
    def discount_end(discount: Discount) -> datetime | None:
        coupon = discount.coupon
        if discount.end is not None or coupon.duration != "repeating":
            return discount.end
        if discount.start is None or not coupon.duration_in_months:
            return None
        return _add_months(discount.start, coupon.duration_in_months)

    def changed_at(
        self,
        item_id: str,
        plan_id: str | None,
        after: datetime | None,
        before: datetime | None = None,
    ) -> datetime | None:
        """When a change first billed at ``before`` happened: the earliest proration of the item
        on that plan since ``after``. Prorations only date changes; they make no versions."""
        starts = [
            line.start
            for line in self.prorations.get(item_id, [])
            if line.plan_id == plan_id
            and (after is None or after < line.start)
            and (before is None or line.start < before)
        ]
        return min(starts, default=None)

    def emit_versions(self, item_id: str, subscription_id: str, versions: list[Version]) -> None:
        kept: list[Version] = []
        for version in versions:
            if not kept:
                version.reason = "new"
            elif version.seats == 0:
                version.reason = "removed"
            else:
                version.reason = _reason(kept[-1], version) or (
                    "discount_change"
                    if self.discount_changes(subscription_id, version.start)
                    else ""
                )
                if not version.reason:
                    for source in version.sources:
                        if source not in kept[-1].sources:
                            self.batch.skip(source, NO_CHANGE)
                    continue
            kept.append(version)
        created = None
        if kept:
            try:
                created = _instant(kept[0].sources[0], "created")
            except Bad:
                created = None
        for number, version in enumerate(kept):
            valid_to = kept[number + 1].start if number + 1 < len(kept) else None
            if valid_to is not None:
                updated = valid_to
            elif number == 0 and created is not None:
                updated = created
            else:
                updated = version.start
            percent, amount, duration, ends_at = version.discount or (None, None, None, None)
            self.batch.emit(
                "subscription_item_versions",
                {
                    # Stripe has no id for an item's version: the item and its ordinal.
                    "item_version_id": f"{item_id}:v{number + 1}",
                    "subscription_item_id": item_id,
                    "subscription_id": subscription_id,
                    "plan_id": version.plan_id,
                    "seats": version.seats,
                    "unit_price": _major(version.unit, version.currency),
                    "currency": version.currency,
                    "discount_percent": percent,
                    "discount_amount": amount,
                    "discount_duration": duration,
                    "discount_ends_at": _iso(ends_at),
                    "change_reason": version.reason,
                    "valid_from": _iso(version.start),
                    "valid_to": _iso(valid_to),
                    "updated_at": _iso(updated),
                },
                version.sources[0],
            )

    # -- lookups nobody used
    def settle_lookups(self) -> None:
        for discount in self.discounts:
            if discount.used:
                self.batch.used(discount.row)
                self.batch.used(discount.coupon.row)
            else:
                self.batch.skip(discount.row, UNUSED_DISCOUNT)
        for coupon in self.coupons.values():
            self.batch.skip(coupon.row, UNUSED_COUPON)
        for product in self.products.values():
            self.batch.skip(product, UNUSED_PRODUCT)


def _deleted_flag(row: VendorRow) -> bool:
    try:
        return bool(parse_bool(row[FIVETRAN_DELETED]))
    except ValueError:
        return False


def _invoice_changed(row: VendorRow) -> datetime | None:
    """An invoice's last change: its latest status transition (Stripe keeps no updated time)."""
    moments = [
        _instant(row, column)
        for column in (
            "created",
            "created_utc",
            "status_transitions_finalized_at",
            "status_transitions_paid_at",
            "status_transitions_voided_at",
            "status_transitions_marked_uncollectible_at",
        )
    ]
    return max((m for m in moments if m), default=None)


def _contract_interval(interval: str, count: int | None) -> tuple[str, int | None]:
    """Stripe's interval as the contract's: Stripe has no quarter (it bills month x 3)."""
    if interval == "month" and count == 3:
        return "quarter", 1
    return interval, count


def _state(version: Version) -> tuple:
    return (version.plan_id, version.seats, version.unit, version.currency, version.discount)


def _reason(previous: Version, version: Version) -> str:
    """The strongest change from ``previous``, or '' when no contract column changed."""
    changes = []
    if version.plan_id != previous.plan_id:
        changes.append("plan_change")
    if version.seats != previous.seats:
        changes.append("seat_change")
    if version.unit != previous.unit or version.currency != previous.currency:
        changes.append("price_change")
    if version.discount != previous.discount:
        changes.append("discount_change")
    return min(changes, key=REASON_PRIORITY.index) if changes else ""


# ------------------------------------------------------------------------------------ dialect


def _parse(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _minor(text: str | None, currency: str) -> int | None:
    if text is None:
        return None
    return int(Decimal(text).scaleb(CURRENCY_MINOR_UNITS[currency]))


def _day_start(text: str | None, days: int = 0, at: time | None = None) -> str | None:
    """A native date as an instant: its midnight, or ``at`` (a billing anniversary's time)."""
    if text is None:
        return None
    day = date.fromisoformat(text) + timedelta(days)
    return _iso(datetime.combine(day, at or time(), UTC))


class _DialectWriter:
    """A native world's billing rows as Fivetran's Stripe tables."""

    def __init__(self, settings: Mapping[str, Any], native: NativeWorld, out_dir: Path) -> None:
        self.settings = settings
        self.native = native
        self.out = out_dir
        self.subscriptions = {r["subscription_id"]: r for r in native.rows("subscriptions")}
        self.plans = {r["plan_id"]: r for r in native.rows("plans")}

    def write(self) -> None:
        self.write_customers()
        self.write_plans()
        self.write_subscriptions()
        self.write_items()
        self.write_invoices()

    def write_customers(self) -> None:
        key = self.settings["account_metadata_key"]
        rows = [
            {
                "id": r["billing_customer_id"],
                "email": r["billing_email"],
                "address_country": r["billing_country"],
                "currency": r["currency"].lower(),
                "created": r["created_at"],
                "metadata": json.dumps({key: r["account_id"]}),
                "livemode": True,
                "is_deleted": False,
                SYNCED: r["updated_at"],
            }
            for r in self.native.rows("customers")
        ]
        header = ["id", "email", "address_country", "currency", "created", "metadata"]
        write_vendor_csv(
            self.out / "customer" / "customer.csv",
            [*header, "livemode", "is_deleted", SYNCED],
            rows,
        )

    def write_plans(self) -> None:
        tier_key = self.settings["plan_tier_metadata_key"]
        kind_key = self.settings["product_kind_metadata_key"]
        products: dict[str, dict] = {}
        prices = []
        for plan in self.plans.values():
            product = products.setdefault(
                plan["product_id"],
                {
                    "id": plan["product_id"],
                    "name": plan["product_name"],
                    "active": True,
                    "metadata": json.dumps({kind_key: plan["product_kind"]}),
                    "updated": plan["updated_at"],
                    "livemode": True,
                },
            )
            # A product's edit dates all its plans; the earliest plan change bounds it.
            product["updated"] = min(product["updated"], plan["updated_at"], key=_parse)
            product["created"] = product["updated"]
            interval, count = plan["billing_interval"], plan["interval_count"]
            if interval == "quarter":
                interval, count = "month", str(3 * int(count or 1))
            prices.append(
                {
                    "id": plan["plan_id"],
                    "product_id": plan["product_id"],
                    "nickname": plan["plan_name"],
                    "currency": plan["currency"].lower(),
                    "unit_amount": _minor(plan["list_price"], plan["currency"]),
                    "recurring_interval": interval,
                    "recurring_interval_count": count,
                    "type": "recurring",
                    "active": plan["is_active"],
                    "created": plan["updated_at"],
                    "metadata": json.dumps(
                        {tier_key: plan["plan_tier"]} if plan["plan_tier"] else {}
                    ),
                    "livemode": True,
                    SYNCED: plan["updated_at"],
                }
            )
        write_vendor_csv(
            self.out / "product" / "product.csv",
            ["id", "name", "active", "metadata", "created", "updated", "livemode"],
            products.values(),
        )
        write_vendor_parquet(self.out / "price" / "price.parquet", list(prices[0]), prices)

    def write_subscriptions(self) -> None:
        auto_key = self.settings["auto_renew_metadata_key"]
        rows = []
        for sub in self.subscriptions.values():
            status = sub["status"]
            stripe_status = {
                "ended": "canceled",
                "paused": "active",
                "non_renewing": "active",
                "canceled": "active",
            }.get(status, status)
            cancel_at = None
            if status == "canceled":
                cancel_at = sub["current_term_ends_at"] or sub["canceled_at"]
            elif status == "non_renewing":
                cancel_at = sub["current_term_ends_at"]
            renews = status not in ("ended", "canceled", "non_renewing")
            metadata = {auto_key: "false"} if renews and sub["is_auto_renew"] == "false" else {}
            base = {
                "id": sub["subscription_id"],
                "customer_id": sub["billing_customer_id"],
                "status": stripe_status,
                "created": sub["created_at"],
                # Stripe's start date is the signature; the paid start is the trial's end.
                "start_date": sub["created_at"] if sub["trial_ended_at"] else sub["started_at"],
                "trial_start": sub["trial_started_at"],
                "trial_end": sub["trial_ended_at"],
                "current_period_start": sub["current_term_started_at"],
                "current_period_end": sub["current_term_ends_at"],
                "cancel_at_period_end": status == "non_renewing",
                "cancel_at": cancel_at,
                "canceled_at": sub["canceled_at"],
                "ended_at": sub["ended_at"],
                "pause_collection_behavior": "void" if status == "paused" else None,
                "pause_collection_resumes_at": sub["resumes_at"] if status == "paused" else None,
                "metadata": json.dumps(metadata),
                "livemode": True,
            }
            updated = sub["updated_at"]
            if sub["paused_at"] and (status != "paused" or sub["paused_at"] != updated):
                # The pause is an earlier version of the subscription in its history.
                rows.append(
                    {
                        **base,
                        "status": "active",
                        "pause_collection_behavior": "void",
                        "pause_collection_resumes_at": sub["resumes_at"],
                        START: sub["paused_at"],
                        END: _iso(_parse(updated) - MILLISECOND),
                        ACTIVE: False,
                        SYNCED: sub["paused_at"],
                    }
                )
            rows.append(
                {**base, START: updated, END: _iso(OPEN_END), ACTIVE: True, SYNCED: updated}
            )
        write_vendor_jsonl(self.out / "subscription_history" / "subscription_history.jsonl", rows)

    def write_items(self) -> None:
        versions: dict[str, list[dict]] = defaultdict(list)
        for version in self.native.rows("subscription_item_versions"):
            versions[version["subscription_item_id"]].append(version)
        coupons: dict[tuple, dict] = {}
        discounts: list[dict] = []
        history: list[dict] = []
        current: list[dict] = []
        for item_id, item_versions in versions.items():
            item_versions.sort(key=lambda v: (_parse(v["valid_from"]), v["item_version_id"]))
            subscription = self.subscriptions.get(item_versions[0]["subscription_id"], {})
            first = item_versions[0]
            if first["valid_to"] is None:
                created = first["updated_at"]
            elif first["valid_from"] == subscription.get("started_at"):
                created = subscription.get("created_at")
            else:
                created = first["valid_from"]
            spell_ids = self.discount_spells(item_id, item_versions, coupons, discounts)
            rows: list[dict] = []
            for version, spell in zip(item_versions, spell_ids, strict=True):
                if (
                    version["change_reason"] == "removed"
                    and rows
                    and (rows[-1][START] == version["valid_from"])
                ):
                    # Removed at the instant it started (a trial that never paid): a deletion.
                    rows[-1][ACTIVE] = False
                    rows[-1][END] = version["valid_from"]
                    continue
                plan = self.plans.get(version["plan_id"], {})
                unit = _minor(version["unit_price"], version["currency"])
                listed = _minor(plan.get("list_price"), version["currency"]) if plan else None
                rows.append(
                    {
                        "id": item_id,
                        "subscription_id": version["subscription_id"],
                        "plan_id": version["plan_id"],
                        "quantity": version["seats"],
                        "created": created,
                        "metadata": "{}",
                        "discounts": json.dumps([spell] if spell else []),
                        # Only a price other than the plan's current one is spelled out.
                        "price_unit_amount": None if unit == listed else unit,
                        START: version["valid_from"],
                        END: _iso(_parse(version["valid_to"]) - MILLISECOND)
                        if version["valid_to"]
                        else _iso(OPEN_END),
                        ACTIVE: version["valid_to"] is None,
                        SYNCED: version["updated_at"],
                    }
                )
            history.extend(rows)
            current.append(self.current_item(rows, subscription))
        columns = [
            "id",
            "subscription_id",
            "plan_id",
            "quantity",
            "created",
            "metadata",
            "discounts",
            "price_unit_amount",
            START,
            END,
            ACTIVE,
            SYNCED,
        ]
        write_vendor_csv(
            self.out / "subscription_item_history" / "subscription_item_history.csv",
            columns,
            history,
        )
        write_vendor_csv(
            self.out / "subscription_item" / "subscription_item.csv",
            [*columns[:6], "price_unit_amount", FIVETRAN_DELETED, SYNCED],
            current,
        )
        write_vendor_csv(
            self.out / "coupon" / "coupon.csv",
            [
                "id",
                "percent_off",
                "amount_off",
                "currency",
                "duration",
                "duration_in_months",
                "livemode",
            ],
            coupons.values(),
        )
        write_vendor_csv(
            self.out / "discount" / "discount.csv",
            ["id", "type", "type_id", "coupon_id", "subscription_id", "start", "end"],
            discounts,
        )

    def current_item(self, rows: list[dict], subscription: Mapping[str, Any]) -> dict:
        """The item as Fivetran's subscription_item holds it now: a canceled subscription keeps
        its items as they were; an item removed while the subscription ran is deleted."""
        state = ([r for r in rows if r["quantity"] != "0"] or rows)[-1]
        last = rows[-1]
        removal = last[START] if last["quantity"] == "0" else (None if last[ACTIVE] else last[END])
        ended = _exclusive_end(_parse(subscription.get("ended_at")))
        deleted = removal is not None and _parse(removal) != ended
        kept = ("id", "subscription_id", "plan_id", "quantity", "created", "metadata")
        return {
            **{column: state[column] for column in kept},
            "price_unit_amount": state["price_unit_amount"],
            FIVETRAN_DELETED: deleted,
            SYNCED: removal if deleted else state[START],
        }

    def discount_spells(
        self,
        item_id: str,
        item_versions: list[dict],
        coupons: dict[tuple, dict],
        discounts: list[dict],
    ) -> list[str | None]:
        """One Stripe discount per run of versions with the same coupon; the id of each
        version's discount (None without one)."""
        spells: list[str | None] = []
        previous: tuple | None = None
        for version in item_versions:
            terms = (
                version["discount_percent"],
                version["discount_amount"],
                version["discount_duration"],
                version["discount_ends_at"],
            )
            if not any(terms[:2]):
                spells.append(None)
                previous = None
                continue
            if terms == previous:
                spells.append(spells[-1])
                continue
            previous = terms
            percent, amount, duration, ends_at = terms
            currency = version["currency"]
            months = None
            if duration == "repeating" and ends_at:
                days = (_parse(ends_at) - _parse(version["valid_from"])).days
                months = max(1, round(days / 30.4375))
            amount_minor = _minor(amount, currency) if amount else None
            key = (percent, amount_minor, currency if amount else None, duration, months)
            coupon = coupons.setdefault(
                key,
                {
                    "id": f"co_{len(coupons) + 1:05d}",
                    "percent_off": percent,
                    "amount_off": amount_minor,
                    "currency": currency.lower() if amount else None,
                    "duration": duration,
                    "duration_in_months": months,
                    "livemode": True,
                },
            )
            discount_id = f"di_{len(discounts) + 1:07d}"
            discounts.append(
                {
                    "id": discount_id,
                    "type": "subscription_item",
                    "type_id": item_id,
                    "coupon_id": coupon["id"],
                    "subscription_id": version["subscription_id"],
                    "start": version["valid_from"],
                    "end": ends_at if duration == "repeating" else None,
                }
            )
            spells.append(discount_id)
        return spells

    def write_invoices(self) -> None:
        invoices = []
        currencies = {}
        for inv in self.native.rows("invoices"):
            currency = inv["currency"]
            currencies[inv["invoice_id"]] = (currency, inv)
            status = inv["status"]
            invoices.append(
                {
                    "id": inv["invoice_id"],
                    "customer_id": inv["billing_customer_id"],
                    "subscription_id": inv["subscription_id"],
                    "created": inv["issued_at"],
                    "period_start": _day_start(inv["period_start_date"]),
                    "period_end": _day_start(inv["period_end_date"], 1),
                    "subtotal": _minor(inv["subtotal"], currency),
                    "tax": _minor(inv["tax_amount"], currency),
                    "total": _minor(inv["total"], currency),
                    "amount_due": _minor(inv["total"], currency),
                    "amount_paid": _minor(inv["amount_paid"], currency),
                    "currency": currency.lower(),
                    "status": status,
                    "status_transitions_finalized_at": inv["issued_at"],
                    "status_transitions_paid_at": inv["paid_at"],
                    "status_transitions_voided_at": inv["updated_at"] if status == "void" else None,
                    "status_transitions_marked_uncollectible_at": inv["updated_at"]
                    if status == "uncollectible"
                    else None,
                    "livemode": True,
                    SYNCED: inv["updated_at"],
                }
            )
        write_vendor_csv(
            self.out / "invoice" / "invoice.csv",
            list(invoices[0]) if invoices else ["id"],
            invoices,
        )
        anniversary = {
            sub_id: _parse(sub["started_at"]).time() for sub_id, sub in self.subscriptions.items()
        }
        by_invoice: dict[str, list[dict]] = defaultdict(list)
        for line in self.native.rows("invoice_lines"):
            by_invoice[line["invoice_id"]].append(line)
        lines = []
        for invoice_id, invoice_lines in by_invoice.items():
            currency, inv = currencies[invoice_id]
            shares = _allocate(
                _minor(inv["discount_amount"], currency),
                [_minor(li["amount"], currency) if li["plan_id"] else None for li in invoice_lines],
            )
            for line, share in zip(invoice_lines, shares, strict=True):
                net = _minor(line["amount"], currency)
                kind = line["line_type"]
                # Recurring periods run between anniversaries of the paid start, to the second.
                at = anniversary.get(inv["subscription_id"]) if kind == "recurring" else None
                lines.append(
                    {
                        "id": line["invoice_line_id"],
                        "invoice_id": invoice_id,
                        "type": "subscription" if kind == "recurring" else "invoiceitem",
                        "proration": kind == "proration",
                        "plan_id": line["plan_id"],
                        "subscription_id": inv["subscription_id"],
                        "subscription_item_id": line["subscription_item_id"],
                        "quantity": line["seats"],
                        "amount": net + share,
                        "currency": currency.lower(),
                        "description": line["description"],
                        "period_start": _day_start(line["period_start_date"], 0, at),
                        "period_end": _day_start(line["period_end_date"], 1, at),
                        "discount_amounts": json.dumps(
                            [{"amount": share, "discount": None}] if share else []
                        ),
                        "livemode": True,
                        SYNCED: line["updated_at"],
                    }
                )
        header = list(lines[0]) if lines else ["id", "amount"]
        write_vendor_parquet(
            self.out / "invoice_line_item" / "invoice_line_item.parquet", header, lines
        )


def _allocate(total: int, weights: list[int | None]) -> list[int]:
    """Spread an invoice's discount over its item lines (None: not discountable) in proportion
    to their amounts, so each line's amount before discount adds up to the subtotal."""
    shares = [0] * len(weights)
    eligible = [i for i, w in enumerate(weights) if w is not None] or list(range(len(weights)))
    if not total or not eligible:
        return shares
    base = sum(max(weights[i] or 0, 0) for i in eligible)
    for i in eligible:
        shares[i] = total * max(weights[i] or 0, 0) // base if base > 0 else 0
    shares[eligible[0]] += total - sum(shares)
    return shares
