"""Escalations from Support to Customer Success over time, by type and touch tier."""

from __future__ import annotations

import altair as alt
import streamlit as st
from mart_reader import read_marts
from presentation import (
    EMPTY_CELL,
    TOUCH_TIER_ORDER,
    line_over_time,
    show_chart,
    stop_when_empty,
    touch_tier_scale,
)

st.title("Escalations")

grain_column, type_column = st.columns(2)
grain = grain_column.segmented_control("Period", ["month", "week"], default="month", required=True)
escalation_types = type_column.segmented_control(
    "Type",
    ["trouble", "opportunity"],
    default=["trouble", "opportunity"],
    selection_mode="multi",
    help="Trouble escalations flag risk; opportunity escalations flag growth.",
)

# The grain is one of two literals chosen above, never free text.
marts = read_marts(
    kpis=f"""
        select
            period_start_date,
            escalation_type,
            slice_type,
            slice_value,
            escalations,
            accounts_escalated,
            escalations_per_100_active_accounts,
            average_hours_to_acceptance,
            average_hours_to_resolution
        from marts.rpt_escalation_kpis
        where period_grain = '{grain}'
            and slice_type in ('all', 'touch_tier')
        order by period_start_date
    """,
    recent="""
        select
            escalations.escalated_at,
            escalations.escalation_type,
            escalations.reason,
            escalations.severity,
            escalations.account_id,
            accounts.account_name,
            escalations.touch_tier,
            escalations.owner_csm_id,
            escalations.outcome,
            escalations.hours_to_resolution
        from marts.fct_escalations as escalations
        left join marts.dim_accounts as accounts
            on escalations.account_id = accounts.account_id
        order by escalations.escalated_at desc
        limit 50
    """,
)
kpis = marts["kpis"]
kpis = kpis[kpis.escalation_type.isin(escalation_types or [])]
stop_when_empty(kpis, "escalations of the selected types")

BAR_TIME_UNITS = {"month": "yearmonth", "week": "yearweek"}
st.subheader(f"Escalations per {grain}, by touch tier")
by_tier = kpis[kpis.slice_type == "touch_tier"]
show_chart(
    alt.Chart(by_tier)
    .mark_bar()
    .encode(
        # A time unit makes each bar as wide as its period. Vega-Lite's weeks start on Sunday,
        # ours on Monday: a week's bar is drawn one day early, labels stay the mart's dates.
        x=alt.X(f"{BAR_TIME_UNITS[grain]}(period_start_date):T", title=None),
        y=alt.Y("escalations:Q", title="escalations"),
        color=alt.Color(
            "slice_value:N",
            sort=TOUCH_TIER_ORDER,
            scale=touch_tier_scale(with_company=False),
            title="tier",
        ),
        row=alt.Row("escalation_type:N", title=None),
        tooltip=[
            alt.Tooltip("period_start_date:T", title=grain, format="%Y-%m-%d"),
            alt.Tooltip("escalation_type:N", title="type"),
            alt.Tooltip("slice_value:N", title="tier"),
            alt.Tooltip("escalations:Q"),
            alt.Tooltip("accounts_escalated:Q", title="accounts"),
        ],
    )
    .properties(height=180, width=760)
    .resolve_scale(y="independent"),
    f"Escalations received each {grain}, stacked by touch tier, one panel per type.",
)

company = kpis[kpis.slice_type == "all"]
left, right = st.columns(2)
with left:
    st.subheader("Per 100 paying accounts")
    show_chart(
        line_over_time(
            company,
            "period_start_date",
            "escalations_per_100_active_accounts",
            "per 100 accounts",
            ".1f",
            "escalation_type",
            "type",
        ),
        f"Escalations per 100 paying accounts each {grain}, by type.",
    )
with right:
    st.subheader("Average hours to resolution")
    show_chart(
        line_over_time(
            company.dropna(subset=["average_hours_to_resolution"]),
            "period_start_date",
            "average_hours_to_resolution",
            "hours",
            ".0f",
            "escalation_type",
            "type",
        ),
        f"Average hours from escalation to resolution each {grain}, by type.",
    )

st.subheader("Latest escalations")
st.dataframe(
    marts["recent"],
    hide_index=True,
    placeholder=EMPTY_CELL,
    column_config={
        "escalated_at": st.column_config.DatetimeColumn(
            "escalated (UTC)", format="YYYY-MM-DD HH:mm"
        ),
        "escalation_type": "type",
        "account_name": "name",
        "touch_tier": "tier",
        "owner_csm_id": "owner CSM",
        "hours_to_resolution": st.column_config.NumberColumn("hours to resolve", format="%.0f"),
    },
)
