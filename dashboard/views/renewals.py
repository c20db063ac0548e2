"""Renewals: terms ending in the next 30, 60 or 90 days, and how renewals went month by month."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, name_csms, selected_csm
from mart_reader import read_marts
from presentation import (
    MONTH_D3_FORMAT,
    PERCENT_D3_FORMAT,
    TOUCH_TIER_ORDER,
    band_column,
    count,
    count_column,
    date_column,
    money,
    money_column,
    month_axis,
    month_column,
    nothing_matches,
    number_column,
    percent_column,
    series_scale,
    show_chart,
    show_table,
    stop_when_empty,
    text,
)
from shaping import due_within, fill_month_spine, filter_in, filter_to_book

st.title("Renewals")

marts = read_marts(
    due="""
        select
            renewals.account_id,
            accounts.account_name,
            renewals.touch_tier,
            accounts.owner_csm_id,
            renewals.billing_interval,
            renewals.term_ends_at,
            renewals.days_until_renewal,
            renewals.current_mrr,
            renewals.current_arr,
            renewals.is_cancellation_requested,
            health.health_score,
            health.health_band
        from marts.rpt_renewals_due as renewals
        left join marts.dim_accounts as accounts
            on renewals.account_id = accounts.account_id
        left join marts.rpt_account_health_current as health
            on renewals.account_id = health.account_id
        order by renewals.term_ends_at, renewals.account_id
    """,
    rates="""
        select
            renewal_month_start_date as month_start_date,
            touch_tier,
            renewals_due,
            renewals_won,
            renewals_churned,
            expiring_mrr,
            renewed_mrr,
            logo_renewal_rate,
            net_dollar_renewal_rate,
            gross_dollar_renewal_rate
        from marts.rpt_renewal_rates
        order by renewal_month_start_date, touch_tier
    """,
    past="""
        select
            renewals.renewal_month_start_date,
            renewals.account_id,
            accounts.account_name,
            renewals.touch_tier,
            accounts.owner_csm_id,
            renewals.billing_interval,
            renewals.expiring_mrr,
            renewals.renewed_mrr,
            renewals.renewal_outcome
        from marts.fct_renewals as renewals
        left join marts.dim_accounts as accounts
            on renewals.account_id = accounts.account_id
        order by renewals.term_ends_at desc, renewals.account_id
    """,
)
rates = marts["rates"]
# Renewals exist only for yearly and quarterly terms: only when neither an upcoming nor a past
# renewal is published is the warehouse itself empty.
if marts["due"].empty and rates.empty:
    stop_when_empty(rates, "renewal terms")

WINDOWS = {"next 30 days": 30, "next 60 days": 60, "next 90 days": 90}
window_filter, tier_filter = st.columns(2)
window = window_filter.segmented_control(
    "Due in", list(WINDOWS), default="next 90 days", required=True, key="window"
)
tiers = tier_filter.pills("Touch tier", TOUCH_TIER_ORDER, selection_mode="multi", key="tiers")
filters = {**book_filter_description(), "tier": tiers, "due in": window}

st.subheader(f"Due in the {window}")
due = filter_in(filter_to_book(marts["due"], selected_csm()), "touch_tier", tiers)
due = due_within(due, WINDOWS[window])
if not nothing_matches(due, "renewals", filters):
    renewals_due, arr_due, arr_at_risk = st.columns(3)
    renewals_due.metric("Renewals due", count(len(due)), border=True)
    arr_due.metric("ARR up for renewal", money(due.current_arr.sum()), border=True)
    arr_at_risk.metric(
        "of which in red or yellow health",
        money(due.loc[due.health_band.isin(["red", "yellow"]), "current_arr"].sum()),
        border=True,
    )
    show_table(
        name_csms(due, "owner_csm_id", "owner_csm").assign(
            cancellation=lambda frame: frame.is_cancellation_requested.map(
                {True: "requested", False: ""}
            ),
        ),
        {
            "term_ends_at": date_column("renews on"),
            "days_until_renewal": count_column("days left"),
            "account_name": text("account"),
            "current_arr": money_column("ARR"),
            "health_band": band_column("health band"),
            "health_score": number_column("health score"),
            "owner_csm": text("owner CSM"),
            "touch_tier": text("tier"),
            "billing_interval": text("billed per"),
            "cancellation": text("cancellation"),
        },
    )

st.subheader("Renewal rates by month")
rate_tiers = tiers or ["all"]
tier_rates = rates[rates.touch_tier.isin(rate_tiers)]
st.caption(
    "Renewals whose term ended in each month, for the company ('all') or the chosen tiers. A "
    "month with nothing due shows zero renewals and no rate. Logo rate: renewed terms ÷ terms "
    "due; net dollar rate: renewed MRR ÷ expiring MRR (it can pass 100% on upsell at renewal). "
    "These are tier figures: the CSM filter does not narrow them."
)
if not nothing_matches(tier_rates, "renewal months", {"tier": tiers}):
    filled = fill_month_spine(
        tier_rates,
        "month_start_date",
        ["renewals_due", "renewals_won", "renewals_churned", "expiring_mrr", "renewed_mrr"],
        group_columns=["touch_tier"],
        end=rates.month_start_date.max(),
    )
    counts = filled.melt(
        id_vars=["month_start_date", "touch_tier"],
        value_vars=["renewals_won", "renewals_churned"],
        var_name="outcome",
        value_name="renewals",
    )
    counts["outcome"] = counts.outcome.map(
        {"renewals_won": "renewed", "renewals_churned": "churned"}
    )
    left, right = st.columns(2)
    with left:
        show_chart(
            alt.Chart(counts)
            .mark_bar()
            .encode(
                x=month_axis(),
                y=alt.Y("sum(renewals):Q", title="renewals due", axis=alt.Axis(tickMinStep=1)),
                color=alt.Color(
                    "outcome:N",
                    scale=series_scale(["renewed", "churned"]),
                    title="outcome",
                ),
                tooltip=[
                    alt.Tooltip("month_start_date:T", title="month", format=MONTH_D3_FORMAT),
                    alt.Tooltip("outcome:N"),
                    alt.Tooltip("sum(renewals):Q", title="renewals"),
                ],
            )
            .properties(height=260),
            "Renewals due each month, split into renewed and churned.",
        )
    with right:
        rate_lines = filled.melt(
            id_vars=["month_start_date", "touch_tier"],
            value_vars=["logo_renewal_rate", "net_dollar_renewal_rate"],
            var_name="measure",
            value_name="rate",
        )
        rate_lines["series"] = (
            rate_lines.touch_tier
            + ", "
            + rate_lines.measure.map(
                {"logo_renewal_rate": "logo", "net_dollar_renewal_rate": "net dollar"}
            )
        )
        show_chart(
            # Months with nothing due have no rate: the line breaks there instead of bridging.
            alt.Chart(rate_lines)
            .mark_line(point=True, invalid="break-paths-show-domains")
            .encode(
                x=month_axis(),
                y=alt.Y("rate:Q", title="renewal rate", axis=alt.Axis(format=PERCENT_D3_FORMAT)),
                color=alt.Color(
                    "series:N", scale=series_scale(sorted(rate_lines.series.unique())), title=None
                ),
                tooltip=[
                    alt.Tooltip("month_start_date:T", title="month", format=MONTH_D3_FORMAT),
                    alt.Tooltip("series:N"),
                    alt.Tooltip("rate:Q", format=PERCENT_D3_FORMAT),
                ],
            )
            .properties(height=260),
            "Logo and net dollar renewal rates of each month with renewals due.",
        )
    show_table(
        filled.sort_values(["month_start_date", "touch_tier"], ascending=[False, True]),
        {
            "month_start_date": month_column("month"),
            "touch_tier": text("tier"),
            "renewals_due": count_column("due"),
            "renewals_won": count_column("renewed"),
            "logo_renewal_rate": percent_column("logo rate"),
            "expiring_mrr": money_column("expiring MRR"),
            "renewed_mrr": money_column("renewed MRR"),
            "net_dollar_renewal_rate": percent_column("net dollar rate"),
            "gross_dollar_renewal_rate": percent_column("gross dollar rate"),
        },
    )

st.subheader("Past renewals")
past = filter_in(filter_to_book(marts["past"], selected_csm()), "touch_tier", tiers)
if not nothing_matches(past, "past renewals", {**book_filter_description(), "tier": tiers}):
    show_table(
        name_csms(past, "owner_csm_id", "owner_csm"),
        {
            "renewal_month_start_date": month_column("month"),
            "account_name": text("account"),
            "renewal_outcome": text("outcome"),
            "expiring_mrr": money_column("expiring MRR"),
            "renewed_mrr": money_column("renewed MRR"),
            "owner_csm": text("owner CSM"),
            "touch_tier": text("tier"),
            "billing_interval": text("billed per"),
        },
    )
