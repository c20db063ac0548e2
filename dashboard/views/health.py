"""Account health: today's distribution of health scores by touch tier, and its weekly trend."""

from __future__ import annotations

import altair as alt
import streamlit as st
from mart_reader import read_marts
from presentation import (
    EMPTY_CELL,
    HEALTH_BAND_COLOURS,
    TOUCH_TIER_ORDER,
    line_over_time,
    show_chart,
    stop_when_empty,
    touch_tier_scale,
)

st.title("Account health")

marts = read_marts(
    current="""
        select
            health.account_id,
            accounts.account_name,
            health.touch_tier,
            health.owner_csm_id,
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
        order by health.health_score
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

bands = list(HEALTH_BAND_COLOURS)
band_scale = alt.Scale(domain=bands, range=list(HEALTH_BAND_COLOURS.values()))
st.caption(
    f"Health scores (0 to 100) of paying accounts in the week starting "
    f"{current.week_start_date.max():%Y-%m-%d}, the latest complete week. Each touch tier has "
    "its own weights (dbt docs: health_score)."
)

st.subheader("Distribution by touch tier")
distribution = (
    alt.Chart(current)
    .mark_bar()
    .encode(
        x=alt.X(
            "health_score:Q",
            bin=alt.Bin(extent=[0, 100], step=10),
            title="health score",
        ),
        y=alt.Y("count():Q", title="accounts"),
        color=alt.Color("health_band:N", scale=band_scale, sort=bands, title="band"),
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

trend = marts["by_tier"]
left, right = st.columns(2)
with left:
    st.subheader("Average health score by week")
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
        ),
        "Average health score of paying accounts each week, by touch tier and overall.",
    )
with right:
    st.subheader("Share of accounts in the red band")
    show_chart(
        line_over_time(
            trend,
            "week_start_date",
            "red_share",
            "red share",
            ".0%",
            "touch_tier",
            "tier",
            touch_tier_scale(),
        ),
        "Share of paying accounts scored red each week, by touch tier and overall.",
    )

st.subheader("Accounts, least healthy first")
st.dataframe(
    current.drop(columns=["week_start_date"]),
    hide_index=True,
    placeholder=EMPTY_CELL,
    column_config={
        "account_id": "account",
        "account_name": "name",
        "touch_tier": "tier",
        "owner_csm_id": "owner CSM",
        "mrr": st.column_config.NumberColumn("MRR", format="dollar"),
        "health_score": st.column_config.ProgressColumn(
            "health score", min_value=0, max_value=100, format="%.0f"
        ),
        "health_band": "band",
        "health_score_change_4w": st.column_config.NumberColumn("change, 4 weeks", format="%+.1f"),
        "top_drag_explanation": "pulled down most by",
        "second_drag_explanation": "then by",
    },
)
