"""Account health: today's scores by touch tier and band, their weekly trend, and the list."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, name_csms, selected_csm
from mart_reader import read_marts
from presentation import (
    HEALTH_BANDS,
    MONEY_D3_FORMAT,
    PERCENT_D3_FORMAT,
    TOUCH_TIER_ORDER,
    band_column,
    band_scale,
    date_label,
    line_over_time,
    money_column,
    nothing_matches,
    number_column,
    show_chart,
    show_table,
    stop_when_empty,
    stop_when_nothing_matches,
    text,
    touch_tier_scale,
)
from shaping import filter_in, filter_to_book

st.title("Account health")

marts = read_marts(
    current="""
        select
            health.account_id,
            accounts.account_name,
            health.touch_tier,
            accounts.owner_csm_id,
            health.week_start_date,
            health.mrr,
            health.health_score,
            health.health_band,
            health.health_score_change_4w,
            health.top_drag_explanation,
            health.second_drag_explanation
        from marts.rpt_account_health_current as health
        left join marts.dim_accounts as accounts
            on health.account_id = accounts.account_id
        order by health.health_score, health.account_id
    """,
    by_tier="""
        select
            week_start_date,
            touch_tier,
            paying_accounts,
            average_health_score,
            red_share,
            green_share
        from marts.rpt_indicators_by_tier_weekly
        order by week_start_date, touch_tier
    """,
)
current = marts["current"]
stop_when_empty(current, "scored paying accounts")

tier_filter, band_filter = st.columns(2)
tiers = tier_filter.pills("Touch tier", TOUCH_TIER_ORDER, selection_mode="multi", key="tiers")
bands = band_filter.pills("Health band", HEALTH_BANDS, selection_mode="multi", key="bands")
filters = {**book_filter_description(), "tier": tiers, "band": bands}

in_book = filter_to_book(current, selected_csm())
shown = filter_in(filter_in(in_book, "touch_tier", tiers), "health_band", bands)
st.caption(
    f"Health scores (0 to 100) of paying accounts in the week starting "
    f"{date_label(current.week_start_date.max())}, the latest complete week. Each touch tier has "
    "its own weights (dbt docs: health_score). Bands: red below 40, yellow below 70, green above."
)
stop_when_nothing_matches(shown, "accounts", filters)
st.write(f"**{len(shown):,}** of {len(current):,} scored accounts shown.")

st.subheader("Distribution by touch tier")
distribution = (
    alt.Chart(shown)
    .mark_bar()
    .encode(
        x=alt.X(
            "health_score:Q",
            bin=alt.Bin(extent=[0, 100], step=10),
            title="health score",
        ),
        y=alt.Y("count():Q", title="accounts"),
        color=alt.Color("health_band:N", scale=band_scale(), sort=HEALTH_BANDS, title="band"),
        column=alt.Column("touch_tier:N", sort=TOUCH_TIER_ORDER, title=None),
        tooltip=[
            alt.Tooltip("touch_tier:N", title="tier"),
            alt.Tooltip("health_band:N", title="band"),
            alt.Tooltip("count():Q", title="accounts"),
        ],
    )
    .properties(width=260, height=220)
)
show_chart(distribution, "Histogram of current health scores, one panel per touch tier.")

st.subheader("Least healthy accounts")
least_healthy = shown.head(25)
show_chart(
    alt.Chart(least_healthy)
    .mark_bar()
    .encode(
        y=alt.Y(
            "account_name:N",
            sort="x",
            title=None,
            axis=alt.Axis(labelLimit=240, labelOverlap=False),
        ),
        x=alt.X("health_score:Q", title="health score", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("health_band:N", scale=band_scale(), sort=HEALTH_BANDS, title="band"),
        tooltip=[
            alt.Tooltip("account_name:N", title="account"),
            alt.Tooltip("health_score:Q", title="score", format=".0f"),
            alt.Tooltip("health_band:N", title="band"),
            alt.Tooltip("mrr:Q", title="MRR", format=MONEY_D3_FORMAT),
            alt.Tooltip("top_drag_explanation:N", title="pulled down most by"),
        ],
    )
    .properties(height=alt.Step(20)),
    "Health score of the least healthy accounts shown, each bar coloured by its band.",
)

trend = filter_in(marts["by_tier"], "touch_tier", tiers)
st.caption(
    "The weekly trends are per touch tier (and the company, 'all'); the tier filter picks the "
    "tiers, the CSM and band filters do not apply to them."
)
left, right = st.columns(2)
with left:
    st.subheader("Average health score by week")
    if not nothing_matches(trend, "tiers", {"tier": tiers}):
        show_chart(
            line_over_time(
                trend,
                "week_start_date",
                "average_health_score",
                "average score",
                ".0f",
                "touch_tier",
                "tier",
                touch_tier_scale(),
                period="week",
            ),
            "Average health score of paying accounts each week, by touch tier and overall.",
        )
with right:
    st.subheader("Share of accounts in the red band")
    if not trend.empty:
        show_chart(
            line_over_time(
                trend,
                "week_start_date",
                "red_share",
                "red share",
                PERCENT_D3_FORMAT,
                "touch_tier",
                "tier",
                touch_tier_scale(),
                period="week",
            ),
            "Share of paying accounts scored red each week, by touch tier and overall.",
        )

st.subheader("Accounts, least healthy first")
table = name_csms(shown, "owner_csm_id", "owner_csm")
show_table(
    table,
    {
        "account_name": text("account"),
        "touch_tier": text("tier"),
        "owner_csm": text("owner CSM"),
        "mrr": money_column("MRR"),
        "health_score": number_column("health score"),
        "health_band": band_column("band"),
        "health_score_change_4w": number_column("change, 4 weeks", 1),
        "top_drag_explanation": text("pulled down most by"),
        "second_drag_explanation": text("then by"),
    },
)
