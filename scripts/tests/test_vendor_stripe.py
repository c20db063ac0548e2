"""The Stripe adapter: Fivetran's Stripe tables (and the dashboard's exports) as billing rows.

Each quirk is mapped from small hand-written fixture folders (scripts/tests/fixtures/vendors/
stripe/<case>/<table>/) and compared with contract rows written out by hand; the round trip maps
a whole synthetic world written in Stripe's shape back to the native rows.
"""

from __future__ import annotations

import json
import shutil

from vendor_fixtures import (
    FIXTURES,
    assert_accounted,
    contract_rows,
    load_vendor_landing,
    map_vendor_folder,
    query,
    round_trip,
)

STRIPE = FIXTURES / "stripe"
TEST_MODE = "livemode=false (test mode)"


def by_key(rows: list[dict], key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows}


def reasons(batch) -> dict[tuple[str, int], str]:
    return {(file.split("/")[-1], line): why for _, file, line, why, _ in batch.quarantined_rows()}


def skips(batch) -> dict[str, dict[str, int]]:
    return {a.file.split("/")[-1]: dict(a.skip_reasons) for a in batch.accounts()}


# ------------------------------------------------------------------------------------ round trip


def test_a_world_written_as_stripe_tables_maps_back_to_the_native_rows(tmp_path):
    # Stripe has no id for an item's version: the adapter numbers them per item.
    differences = round_trip(
        tmp_path, ["stripe"], ignore={"subscription_item_versions": ("item_version_id",)}
    )
    assert set(differences) == {
        "customers",
        "plans",
        "subscriptions",
        "subscription_item_versions",
        "invoices",
        "invoice_lines",
    }
    for entity, (native_only, dialect_only) in differences.items():
        assert native_only == [], (entity, native_only)
        assert dialect_only == [], (entity, dialect_only)
    dialect = tmp_path / "dialect" / "stripe"
    assert (dialect / "price" / "price.parquet").is_file()
    assert (dialect / "subscription_history" / "subscription_history.jsonl").is_file()


# ------------------------------------------------------------------------------------ money


def test_amounts_in_minor_units_become_major_units_of_their_currency():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    plans = by_key(contract_rows(batch, "plans"), "plan_id")
    assert {plan: row["list_price"] for plan, row in plans.items()} == {
        "price_growth_usd": "25.50",  # cents
        "price_growth_quarter_usd": "70.00",
        "price_starter_jpy": "30000",  # yen have no minor unit
        "price_addon_kwd": "12.345",  # fils are thousandths
    }
    invoices = by_key(contract_rows(batch, "invoices"), "invoice_id")
    assert invoices["in_usd"] == {
        "invoice_id": "in_usd",
        "billing_customer_id": "cus_usd",
        "issued_at": "2025-02-01T00:00:00Z",
        # The lines' service period, not the invoice's own (one period back for Stripe).
        "period_start_date": "2025-02-01",
        "period_end_date": "2025-02-28",
        "subtotal": "102.00",
        "discount_amount": "20.00",
        "tax_amount": "16.40",
        "total": "98.40",
        "amount_paid": "98.40",
        "currency": "USD",
        "status": "paid",
        "paid_at": "2025-02-03T12:00:00Z",
        "updated_at": "2025-02-03T12:00:00Z",
    }
    assert invoices["in_jpy"]["total"] == "30000"
    assert invoices["in_jpy"]["period_end_date"] == "2026-01-31"
    assert invoices["in_kwd"]["total"] == "24.690"
    assert invoices["in_kwd"]["status"] == "void"
    assert invoices["in_kwd"]["updated_at"] == "2025-02-05T08:00:00Z"  # voided then
    lines = by_key(contract_rows(batch, "invoice_lines"), "invoice_line_id")
    # A line's amount is net of its discount_amounts.
    assert lines["il_rec"]["amount"] == "82.00"
    assert lines["il_jpy"]["amount"] == "30000"
    assert lines["il_kwd"]["amount"] == "24.690"
    customers = by_key(contract_rows(batch, "customers"), "billing_customer_id")
    assert {c: row["currency"] for c, row in customers.items()} == {
        "cus_usd": "USD",
        "cus_jpy": "JPY",
        "cus_kwd": "KWD",
    }


def test_a_currency_outside_the_contract_is_quarantined_saying_so():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    why = reasons(batch)
    for where in (
        ("customer.csv", 5),
        ("price.csv", 7),
        ("invoice.csv", 5),
        ("invoice_line_item.csv", 8),
    ):
        assert "'try' is not a currency the contract accepts" in why[where], where
    emitted = [r for e in ("plans", "invoices", "invoice_lines") for r in contract_rows(batch, e)]
    assert not any(row.get("currency") == "TRY" for row in emitted)
    assert "in_try" not in by_key(contract_rows(batch, "invoices"), "invoice_id")


def test_plans_come_from_recurring_prices_with_quarter_for_three_months():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    plans = by_key(contract_rows(batch, "plans"), "plan_id")
    assert plans["price_growth_quarter_usd"] == {
        "plan_id": "price_growth_quarter_usd",
        "product_id": "prod_platform",
        "product_name": "Platform",
        "plan_name": "Growth (quarterly)",
        "plan_tier": "growth",
        "product_kind": "core",
        "billing_interval": "quarter",
        "interval_count": "1",
        "list_price": "70.00",
        "currency": "USD",
        "is_active": "true",
        "updated_at": "2024-07-01T00:00:00Z",
    }
    assert plans["price_addon_kwd"]["product_kind"] == "add_on"
    assert "plan_tier" not in plans["price_addon_kwd"]
    assert plans["price_starter_jpy"]["is_active"] == "false"
    assert skips(batch)["price.csv"] == {"one-time price (not a recurring plan)": 1}
    assert skips(batch)["product.csv"] == {"no recurring price of this product is delivered": 1}


# ------------------------------------------------------------------------------------ items


def test_item_versions_come_from_the_item_history_when_it_is_delivered():
    batch = map_vendor_folder("stripe", STRIPE / "item_history")
    versions = contract_rows(batch, "subscription_item_versions")
    platform = [v for v in versions if v["subscription_item_id"] == "si_p"]
    common = {"subscription_item_id": "si_p", "subscription_id": "sub_h", "currency": "USD"}
    intro = {
        "discount_percent": "20",
        "discount_duration": "repeating",
        # No end on the discount: its start plus the coupon's duration_in_months.
        "discount_ends_at": "2025-04-01T00:00:00Z",
    }
    assert platform == [
        {
            "item_version_id": "si_p:v1",
            **common,
            "plan_id": "price_starter",
            "seats": "5",
            "unit_price": "20.00",
            **intro,
            "change_reason": "new",
            "valid_from": "2025-01-01T00:00:00Z",
            "valid_to": "2025-02-15T09:00:00Z",
            "updated_at": "2025-02-15T09:00:00Z",
        },
        {
            "item_version_id": "si_p:v2",
            **common,
            "plan_id": "price_starter",
            "seats": "8",
            "unit_price": "20.00",
            **intro,
            "change_reason": "seat_change",
            "valid_from": "2025-02-15T09:00:00Z",
            "valid_to": "2025-04-01T00:00:00Z",
            "updated_at": "2025-04-01T00:00:00Z",
        },
        {
            "item_version_id": "si_p:v3",
            **common,
            "plan_id": "price_starter",
            "seats": "8",
            "unit_price": "20.00",
            "change_reason": "discount_change",
            "valid_from": "2025-04-01T00:00:00Z",
            "valid_to": "2025-05-01T00:00:00Z",
            "updated_at": "2025-05-01T00:00:00Z",
        },
        {
            "item_version_id": "si_p:v4",
            **common,
            "plan_id": "price_growth",
            "seats": "8",
            "unit_price": "30.00",
            "change_reason": "plan_change",
            "valid_from": "2025-05-01T00:00:00Z",
            "valid_to": "2025-07-01T00:00:00Z",
            "updated_at": "2025-07-01T00:00:00Z",
        },
        {
            # Deleted (_fivetran_active false) at 23:59:59.999: removed from the next instant.
            "item_version_id": "si_p:v5",
            **common,
            "plan_id": "price_growth",
            "seats": "0",
            "unit_price": "30.00",
            "change_reason": "removed",
            "valid_from": "2025-07-01T00:00:00Z",
            "updated_at": "2025-07-01T00:00:00Z",
        },
    ]
    add_on = [v for v in versions if v["subscription_item_id"] == "si_a"]
    assert [(v["unit_price"], v["change_reason"], v["valid_from"]) for v in add_on] == [
        ("9.00", "new", "2025-02-15T09:00:00Z"),  # its own price_unit_amount
        ("10.00", "price_change", "2025-03-01T00:00:00Z"),  # the price's unit_amount
    ]
    assert skips(batch)["subscription_item.csv"] == {
        "the item's history is delivered (subscription_item_history)": 1
    }


def test_coupons_become_the_discount_of_each_item_version():
    batch = map_vendor_folder("stripe", STRIPE / "item_history")
    versions = contract_rows(batch, "subscription_item_versions")
    discounts = {
        (v["subscription_item_id"], v["valid_from"]): (
            v.get("discount_percent"),
            v.get("discount_amount"),
            v.get("discount_duration"),
            v.get("discount_ends_at"),
        )
        for v in versions
    }
    # Percent off, repeating for duration_in_months.
    assert discounts[("si_p", "2025-01-01T00:00:00Z")] == (
        "20",
        None,
        "repeating",
        "2025-04-01T00:00:00Z",
    )
    # Amount off (cents of the coupon's currency), forever: no end.
    assert discounts[("si_a", "2025-02-15T09:00:00Z")] == (None, "5.00", "forever", None)
    # A subscription's once coupon applies to its items (no discounts column: by its dates).
    assert discounts[("si_o", "2025-01-01T00:00:00Z")] == ("50", None, "once", None)
    assert discounts[("si_o", "2025-02-10T00:00:00Z")] == ("50", None, "once", None)
    assert skips(batch)["coupon.csv"] == {
        "not applied to any delivered subscription item version": 1
    }


def test_without_a_history_versions_are_rebuilt_from_items_and_invoice_lines():
    batch = map_vendor_folder("stripe", STRIPE / "item_rebuild")
    versions = contract_rows(batch, "subscription_item_versions")
    common = {
        "subscription_id": "sub_r",
        "currency": "USD",
    }
    intro = {
        "discount_percent": "10",
        "discount_duration": "repeating",
        "discount_ends_at": "2025-03-01T06:00:00Z",
    }
    assert versions == [
        {
            "item_version_id": "si_gone:v1",
            "subscription_item_id": "si_gone",
            **common,
            "plan_id": "price_addon",
            "seats": "5",
            "unit_price": "10.00",
            **intro,
            "change_reason": "new",
            "valid_from": "2025-01-01T06:00:00Z",
            "valid_to": "2025-03-01T06:00:00Z",
            "updated_at": "2025-03-01T06:00:00Z",
        },
        {
            # Deleted item: removed when its last invoiced period ended.
            "item_version_id": "si_gone:v2",
            "subscription_item_id": "si_gone",
            **common,
            "plan_id": "price_addon",
            "seats": "0",
            "unit_price": "10.00",
            **intro,
            "change_reason": "removed",
            "valid_from": "2025-03-01T06:00:00Z",
            "updated_at": "2025-03-01T06:00:00Z",
        },
        {
            "item_version_id": "si_r:v1",
            "subscription_item_id": "si_r",
            **common,
            "plan_id": "price_month",
            "seats": "5",
            "unit_price": "20.00",  # the line's amount before discount per seat
            **intro,
            "change_reason": "new",
            "valid_from": "2025-01-01T06:00:00Z",
            "valid_to": "2025-02-10T12:00:00Z",
            "updated_at": "2025-02-10T12:00:00Z",
        },
        {
            # First billed 1 March; dated by the proration that billed the extra seat.
            "item_version_id": "si_r:v2",
            "subscription_item_id": "si_r",
            **common,
            "plan_id": "price_month",
            "seats": "6",
            "unit_price": "20.00",
            **intro,
            "change_reason": "seat_change",
            "valid_from": "2025-02-10T12:00:00Z",
            "valid_to": "2025-03-01T06:00:00Z",
            "updated_at": "2025-03-01T06:00:00Z",
        },
        {
            "item_version_id": "si_r:v3",
            "subscription_item_id": "si_r",
            **common,
            "plan_id": "price_month",
            "seats": "6",
            "unit_price": "20.00",
            "change_reason": "discount_change",
            "valid_from": "2025-03-01T06:00:00Z",
            "valid_to": "2025-03-20T15:00:00Z",
            "updated_at": "2025-03-20T15:00:00Z",
        },
        {
            # The item's current state, not invoiced yet: dated by its proration.
            "item_version_id": "si_r:v4",
            "subscription_item_id": "si_r",
            **common,
            "plan_id": "price_month",
            "seats": "7",
            "unit_price": "20.00",
            "change_reason": "seat_change",
            "valid_from": "2025-03-20T15:00:00Z",
            "updated_at": "2025-03-20T15:00:00Z",
        },
    ]


def test_prorations_are_proration_lines_and_make_no_item_versions(tmp_path):
    batch = map_vendor_folder("stripe", STRIPE / "item_rebuild")
    lines = by_key(contract_rows(batch, "invoice_lines"), "invoice_line_id")
    assert {line: row["line_type"] for line, row in lines.items()} == {
        "il_1": "recurring",
        "il_1b": "recurring",
        "il_2": "recurring",
        "il_2b": "recurring",
        "il_3": "proration",
        "il_4": "recurring",
        "il_5": "proration",
        "il_6": "proration",
    }
    assert lines["il_3"]["amount"] == "13.57"
    versions = contract_rows(batch, "subscription_item_versions")
    # An item billed only by a proration has no version...
    assert "si_orphan" not in {v["subscription_item_id"] for v in versions}
    # ...and without the prorations the same states follow, only dated by their periods.
    folder = tmp_path / "no_prorations"
    shutil.copytree(STRIPE / "item_rebuild", folder)
    source = folder / "invoice_line_item" / "invoice_line_item.csv"
    kept = [line for line in source.read_text().splitlines() if ",true," not in line]
    source.write_text("\n".join(kept) + "\n")
    without = contract_rows(map_vendor_folder("stripe", folder), "subscription_item_versions")

    def seats(rows):
        found = [(r["subscription_item_id"], r["seats"]) for r in rows]
        return [state for n, state in enumerate(found) if n == 0 or found[n - 1] != state]

    assert seats(without) == seats(versions)
    dated = {v["seats"]: v["valid_from"] for v in without if v["subscription_item_id"] == "si_r"}
    assert dated == {
        "5": "2025-01-01T06:00:00Z",
        "6": "2025-03-01T06:00:00Z",  # the period that first billed it
        "7": "2025-03-20T15:00:05Z",  # the sync that saw the item change
    }


# ------------------------------------------------------------------------------------ statuses


def test_subscription_statuses_cancellations_pauses_and_trials():
    batch = map_vendor_folder("stripe", STRIPE / "subscriptions")
    subs = by_key(contract_rows(batch, "subscriptions"), "subscription_id")

    def fields(sub, *names):
        return tuple(subs[sub].get(name) for name in names)

    status = ("status", "canceled_at", "ended_at", "is_auto_renew")
    # cancel_at_period_end: non-renewing until the term ends.
    assert fields("sub_nonrenew", *status) == (
        "non_renewing",
        "2025-06-20T09:00:00Z",
        None,
        "false",
    )
    # A cancellation scheduled for a date (cancel_at).
    assert fields("sub_cancelat", *status) == ("canceled", "2025-06-21T09:00:00Z", None, "false")
    # Stripe's canceled has ended service.
    assert fields("sub_ended", *status) == (
        "ended",
        "2025-05-20T14:00:00Z",
        "2025-05-30T00:00:00Z",
        "false",
    )
    assert fields("sub_ended", "billing_interval", "interval_count") == ("week", "2")
    assert fields("sub_manual", "status", "is_auto_renew") == ("active", "false")
    # pause_collection: paused; without a history the pause is dated by the sync that saw it.
    assert fields("sub_paused", "status", "paused_at", "resumes_at") == (
        "paused",
        "2025-06-12T10:00:00Z",
        "2025-08-10T00:00:00Z",
    )
    # A history dates the latest pause spell, kept after it ended.
    assert subs["sub_hist"] == {
        "subscription_id": "sub_hist",
        "billing_customer_id": "cus_1",
        "status": "non_renewing",
        "billing_interval": "month",
        "interval_count": "1",
        "started_at": "2025-01-01T00:00:00Z",
        "current_term_started_at": "2025-06-01T00:00:00Z",
        "current_term_ends_at": "2025-07-01T00:00:00Z",
        "canceled_at": "2025-06-10T00:00:00Z",
        "paused_at": "2025-03-01T00:00:00Z",
        "resumes_at": "2025-05-01T00:00:00Z",
        "is_auto_renew": "false",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-06-10T00:00:00Z",
    }
    # Trialing: paid service starts when the trial ends.
    assert fields(
        "sub_trial", "status", "trial_started_at", "trial_ended_at", "started_at", "is_auto_renew"
    ) == (
        "trialing",
        "2025-06-01T00:00:00Z",
        "2025-06-15T00:00:00Z",
        "2025-06-15T00:00:00Z",
        "true",
    )
    trial_item = next(
        v
        for v in contract_rows(batch, "subscription_item_versions")
        if v["subscription_item_id"] == "si_trial"
    )
    assert trial_item["valid_from"] == "2025-06-15T00:00:00Z"
    assert skips(batch)["subscription_history.jsonl"] == {
        "an earlier version in subscription_history": 2
    }
    assert skips(batch)["subscription.csv"] == {
        TEST_MODE: 1,
        "the subscription's history is delivered (subscription_history)": 1,
    }


# ------------------------------------------------------------------------------------ skipping


def test_upcoming_invoice_lines_with_temporary_ids_are_skipped_and_counted():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    lines = {row["invoice_line_id"] for row in contract_rows(batch, "invoice_lines")}
    assert not any(line.startswith(("sub_", "il_tmp_")) for line in lines)
    assert skips(batch)["invoice_line_item.csv"] == {
        "upcoming-invoice line (temporary id that changes between syncs; not issued yet)": 2,
        "its invoice was skipped (draft or test mode)": 1,
    }


def test_test_mode_rows_are_skipped_and_counted():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    assert skips(batch)["customer.csv"] == {TEST_MODE: 1}
    assert skips(batch)["invoice.csv"] == {
        TEST_MODE: 1,
        "draft invoice (not finalized, not issued)": 1,
    }
    assert "cus_test" not in {r["billing_customer_id"] for r in contract_rows(batch, "customers")}


# ------------------------------------------------------------------------------------ accounts


def test_the_crm_account_comes_from_the_configured_metadata_key():
    batch = map_vendor_folder("stripe", STRIPE / "money")
    customers = by_key(contract_rows(batch, "customers"), "billing_customer_id")
    assert customers["cus_usd"] == {
        "billing_customer_id": "cus_usd",
        "account_id": "acc_001",
        "billing_email": "ap@acme.example",
        "billing_country": "US",
        "currency": "USD",
        "created_at": "2025-01-02T10:00:00Z",
        "updated_at": "2025-01-03T00:00:00Z",
    }
    assert customers["cus_jpy"]["created_at"] == "2025-01-02T00:00:00Z"  # epoch seconds
    assert reasons(batch)[("customer.csv", 6)].startswith(
        "metadata: no 'account_id' key; set metadata.account_id on the Stripe customer"
    )
    other = map_vendor_folder("stripe", STRIPE / "money", {"account_metadata_key": "crm"})
    customers = by_key(contract_rows(other, "customers"), "billing_customer_id")
    assert customers["cus_nokey"]["account_id"] == "acc_005"
    assert "cus_usd" not in customers
    assert "no 'crm' key" in reasons(other)[("customer.csv", 2)]


def test_dashboard_exports_are_read_through_their_header_aliases():
    batch = map_vendor_folder(
        "stripe", STRIPE / "dashboard", {"account_metadata_key": "crm_account"}
    )
    assert contract_rows(batch, "customers") == [
        {
            "billing_customer_id": "cus_d1",
            "account_id": "acc_010",  # the export's 'crm_account (metadata)' column
            "billing_email": "ap@d1.example",
            "billing_country": "GB",
            "currency": "GBP",
            "created_at": "2025-01-05T09:30:00Z",
            "updated_at": "2025-01-05T09:30:00Z",
        }
    ]
    assert "no 'crm_account' key" in reasons(batch)[("unified_customers.csv", 3)]
    (sub,) = contract_rows(batch, "subscriptions")
    assert (sub["status"], sub["billing_interval"], sub["current_term_ends_at"]) == (
        "non_renewing",
        "month",
        "2025-04-05T09:30:00Z",
    )
    # The dashboard shows amounts in major units already.
    (invoice,) = contract_rows(batch, "invoices")
    assert {k: invoice[k] for k in ("subtotal", "tax_amount", "total", "amount_paid")} == {
        "subtotal": "15.00",
        "tax_amount": "3.00",
        "total": "18.00",
        "amount_paid": "18.00",
    }
    assert (invoice["issued_at"], invoice["period_end_date"]) == (
        "2025-03-05T09:31:00Z",
        "2025-04-04",
    )


# ------------------------------------------------------------------------------------ bad files


def test_bad_files_keep_every_row_accounted_for(tmp_path):
    metadata = '"{""account_id"": ""acc_1""}"'  # CSV-quoted JSON, as Fivetran exports it
    customers = (
        "id,email,address_country,currency,created,metadata,_fivetran_synced\n"
        f"cus_1,a@x.example,US,usd,2025-01-01T00:00:00Z,{metadata},2025-01-01T00:00:00Z\n"
        f"cus_1,b@x.example,US,usd,2025-01-01T00:00:00Z,{metadata},2025-02-01T00:00:00Z\n"
        f"cus_2,c@x.example,US,usd,yesterday,{metadata},\n"
        "cus_3,d@x.example,US\n"
        f"cus_4,e@x.example,US,usd,2025-01-01T00:00:00Z,not json,\n"
    )
    january = {"customer_id": "cus_1", "created": 1735689600, "currency": "usd"}
    january |= {"period_start": 1735689600, "period_end": 1738368000}
    invoices = "\n".join(
        [
            json.dumps({"id": "in_1", **january, "status": "paid", "total": "12.5x"}),
            "{not json",
            json.dumps({"id": "in_2", **january, "status": "sent", "total": 100}),
        ]
    )
    items = (
        "id,subscription_id,plan_id,quantity,created\n"
        "si_1,sub_1,price_1,many,2025-01-01T00:00:00Z\n"
    )
    result, warehouse = load_vendor_landing(
        tmp_path,
        {
            "stripe/customer/customer.csv": customers,
            "stripe/invoice/invoice.jsonl": invoices,
            "stripe/subscription_item/subscription_item.csv": items,
            "stripe/product/product.csv": "name,active\nPlatform,true\n",
        },
        {"billing": {"vendor": "stripe"}},
    )
    assert_accounted(result)
    files = {f.path.name: f for f in result.files if f.entity and f.entity.startswith("stripe.")}
    assert files["product.csv"].status == "refused"
    assert "lacks the column(s) id that product needs" in files["product.csv"].message
    customer = files["customer.csv"]
    assert (customer.rows_read, customer.rows_loaded, customer.rows_skipped) == (5, 1, 1)
    assert customer.rows_quarantined == 3
    why = dict(
        query(
            warehouse,
            "select source_file || ':' || source_row_number, reason from loader.quarantined_rows",
        )
    )
    assert why["stripe/customer/customer.csv:4"] == "created: 'yesterday' is not a timestamp"
    assert why["stripe/customer/customer.csv:5"].startswith("unreadable line: has 3 fields")
    assert why["stripe/customer/customer.csv:6"].startswith("metadata: 'not json' is not a JSON")
    assert why["stripe/invoice/invoice.jsonl:1"] == "total: '12.5x' is not a number"
    assert why["stripe/invoice/invoice.jsonl:2"].startswith("unreadable line: is not JSON")
    assert (
        "status: 'sent' is not open, paid, void or uncollectible"
        in why["stripe/invoice/invoice.jsonl:3"]
    )
    assert why["stripe/subscription_item/subscription_item.csv:2"] == (
        "quantity: 'many' is not a number"
    )
    assert query(warehouse, "select billing_email from raw.billing__customers") == [
        ("b@x.example",)  # the later sync of the duplicate
    ]
