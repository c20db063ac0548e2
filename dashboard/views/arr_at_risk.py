"""ARR at risk: how much annual recurring revenue sits in each health band, now and week by week."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, name_csms, selected_csm
from mart_reader import read_marts
from presentation import (
    DATE_D3_FORMAT,
    HEALTH_BANDS,
    MONEY_D3_FORMAT,
    PERCENT_D3_FORMAT,
    TOUCH_TIER_ORDER,
    band_column,
    band_scale,
    count_column,
    date_column,
    money,
    money_column,
    number_column,
    percent,
    percent_column,
    show_chart,
    show_table,
    stop_when_empty,
    stop_when_nothing_matches,
    text,
    time_axis,
)
from shaping import arr_by_band, filter_in, filter_to_book

st.title("ARR at risk")

marts = read_marts(
    current="""
        select
            health.account_id,
            accounts.account_name,
            health.touch_tier,
            accounts.owner_csm_id,
            accounts.arr,
            health.health_score,
            health.health_band,
            health.top_drag_explanation,
            renewals.term_ends_at as next_renewal_at
        from marts.rpt_account_health_current as health
        left join marts.dim_accounts as accounts
            on health.account_id = accounts.account_id
        left join (
            select account_id, min(term_ends_at) as term_ends_at
            from marts.rpt_renewals_due
            group by account_id
        ) as renewals
            on health.account_id = renewals.account_id
        order by accounts.arr desc nulls last, health.account_id
    """,
    weekly="""
        select
            health.week_start_date,
            health.account_id,
            health.touch_tier,
            accounts.owner_csm_id,
            health.health_band,
            indicators.mrr
        from marts.fct_account_health_weekly as health
        inner join marts.fct_account_indicators_weekly as indicators
            on health.account_week_id = indicators.account_week_id
        left join marts.dim_accounts as accounts
            on health.account_id = accounts.account_id
        where health.week_start_date >= (
            select max(week_start_date) - interval 52 week from marts.fct_account_health_weekly
        )
    """,
)
current = marts["current"]
stop_when_empty(current, "scored paying accounts")

tiers = st.pills("Touch tier", TOUCH_TIER_ORDER, selection_mode="multi", key="tiers")
filters = {**book_filter_description(), "tier": tiers}
shown = filter_in(filter_to_book(current, selected_csm()), "touch_tier", tiers)
st.caption(
    "ARR of paying accounts today (dim_accounts), grouped by the health band of their latest "
    "scored week (rpt_account_health_current). Red and yellow ARR is the revenue at risk."
)
stop_when_nothing_matches(shown, "accounts", filters)

by_band = arr_by_band(shown)
total, red, yellow = st.columns(3)
total.metric("ARR of the accounts shown", money(by_band.arr.sum()), border=True)
red_row = by_band[by_band.health_band == "red"].iloc[0]
yellow_row = by_band[by_band.health_band == "yellow"].iloc[0]
red.metric(
    "ARR in red",
    money(red_row.arr),
    help=f"{red_row.accounts} accounts, {percent(red_row.arr_share)} of the ARR shown.",
    border=True,
)
yellow.metric(
    "ARR in yellow",
    money(yellow_row.arr),
    help=f"{yellow_row.accounts} accounts, {percent(yellow_row.arr_share)} of the ARR shown.",
    border=True,
)

st.subheader("ARR by health band")
show_chart(
    alt.Chart(by_band[by_band.health_band.isin(HEALTH_BANDS)])
    .mark_bar()
    .encode(
        y=alt.Y("health_band:N", sort=HEALTH_BANDS, title=None),
        x=alt.X("arr:Q", title="ARR (USD)", axis=alt.Axis(format=MONEY_D3_FORMAT)),
        color=alt.Color("health_band:N", scale=band_scale(), legend=None),
        tooltip=[
            alt.Tooltip("health_band:N", title="band"),
            alt.Tooltip("arr:Q", title="ARR", format=MONEY_D3_FORMAT),
            alt.Tooltip("arr_share:Q", title="share of ARR", format=PERCENT_D3_FORMAT),
            alt.Tooltip("accounts:Q"),
        ],
    )
    .properties(height=alt.Step(40)),
    "ARR of the accounts shown in each health band.",
)
show_table(
    by_band,
    {
        "health_band": text("band"),
        "accounts": count_column("accounts"),
        "arr": money_column("ARR"),
        "arr_share": percent_column("share of ARR"),
    },
)

st.subheader("MRR by health band, week by week")
weekly = filter_in(filter_to_book(marts["weekly"], selected_csm()), "touch_tier", tiers)
weekly_by_band = weekly.groupby(["week_start_date", "health_band"], as_index=False).agg(
    mrr=("mrr", "sum")
)
st.caption(
    "The MRR of the accounts shown in each band of each scored week, over the last year "
    "(accounts grouped by today's owner and their tier that week)."
)
show_chart(
    alt.Chart(weekly_by_band)
    .mark_area()
    .encode(
        x=time_axis("week_start_date"),
        y=alt.Y("mrr:Q", title="MRR (USD)", stack=True, axis=alt.Axis(format=MONEY_D3_FORMAT)),
        color=alt.Color("health_band:N", scale=band_scale(), sort=HEALTH_BANDS, title="band"),
        order=alt.Order("band_rank:Q"),
        tooltip=[
            alt.Tooltip("week_start_date:T", title="week of", format=DATE_D3_FORMAT),
            alt.Tooltip("health_band:N", title="band"),
            alt.Tooltip("mrr:Q", title="MRR", format=MONEY_D3_FORMAT),
        ],
    )
    .transform_calculate(band_rank=f"indexof({HEALTH_BANDS!r}, datum.health_band)")
    .properties(height=280),
    "MRR in the red, yellow and green bands each week.",
)

st.subheader("Accounts at risk, largest ARR first")
at_risk_accounts = name_csms(
    shown[shown.health_band.isin(["red", "yellow"])], "owner_csm_id", "owner_csm"
)
if at_risk_accounts.empty:
    st.info("No account in the red or yellow band among the accounts shown.")
else:
    show_table(
        at_risk_accounts,
        {
            "account_name": text("account"),
            "health_band": band_column("band"),
            "health_score": number_column("health score"),
            "arr": money_column("ARR"),
            "owner_csm": text("owner CSM"),
            "touch_tier": text("tier"),
            "next_renewal_at": date_column("renews (within 90 days)"),
            "top_drag_explanation": text("pulled down most by"),
        },
    )
