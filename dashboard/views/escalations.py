"""Escalations from Support to Customer Success over time, by type and touch tier."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, name_csms, selected_csm
from mart_reader import read_marts
from presentation import (
    DATE_D3_FORMAT,
    MONTH_D3_FORMAT,
    TOUCH_TIER_ORDER,
    dated_axis,
    escalation_type_scale,
    line_over_time,
    nothing_matches,
    number_column,
    show_chart,
    show_table,
    stop_when_empty,
    stop_when_nothing_matches,
    text,
    time_column,
    touch_tier_scale,
)
from shaping import fill_month_spine, filter_in, filter_to_book

st.title("Escalations")

ESCALATION_TYPE_SCALE = escalation_type_scale()

grain_column, type_column, tier_column = st.columns(3)
grain = grain_column.segmented_control("Period", ["month", "week"], default="month", required=True)
escalation_types = type_column.segmented_control(
    "Type",
    ["trouble", "opportunity"],
    default=["trouble", "opportunity"],
    selection_mode="multi",
    help="Trouble escalations flag risk; opportunity escalations flag growth.",
    key="types",
)
tiers = tier_column.pills("Touch tier", TOUCH_TIER_ORDER, selection_mode="multi", key="tiers")
filters = {
    **book_filter_description(),
    "type": escalation_types or "none chosen",
    "tier": tiers,
}

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
            accounts.owner_csm_id,
            escalations.outcome,
            escalations.hours_to_resolution
        from marts.fct_escalations as escalations
        left join marts.dim_accounts as accounts
            on escalations.account_id = accounts.account_id
        order by escalations.escalated_at desc
    """,
)
all_kpis = marts["kpis"]
stop_when_empty(all_kpis, "escalations")
# A period without escalations has no row: it stays on the axis with zero escalations.
# Per 100 accounts, a period without escalations is 0 too (0 ÷ the accounts paying); hours to
# resolution of no escalation stay undefined.
counted = ["escalations", "accounts_escalated", "escalations_per_100_active_accounts"]
all_kpis = fill_month_spine(
    all_kpis,
    "period_start_date",
    counted,
    group_columns=["escalation_type", "slice_type", "slice_value"],
    period=grain,
)
kpis = filter_in(all_kpis, "escalation_type", escalation_types)
if not escalation_types:
    kpis = kpis.iloc[0:0]
stop_when_nothing_matches(kpis, "escalations", filters)

BAR_TIME_UNITS = {"month": "yearmonth", "week": "yearweek"}
st.subheader(f"Escalations per {grain}, by touch tier")
by_tier = filter_in(kpis[kpis.slice_type == "touch_tier"], "slice_value", tiers)
show_chart(
    alt.Chart(by_tier)
    .mark_bar()
    .encode(
        # A time unit makes each bar as wide as its period. Vega-Lite's weeks start on Sunday,
        # ours on Monday: a week's bar is drawn one day early, labels stay the mart's dates.
        x=alt.X(
            f"{BAR_TIME_UNITS[grain]}(period_start_date):T",
            title=None,
            axis=dated_axis(),
        ),
        y=alt.Y("escalations:Q", title="escalations"),
        color=alt.Color(
            "slice_value:N",
            sort=TOUCH_TIER_ORDER,
            scale=touch_tier_scale(with_company=False),
            title="tier",
        ),
        row=alt.Row("escalation_type:N", title=None),
        tooltip=[
            alt.Tooltip(
                "period_start_date:T",
                title=grain,
                format=MONTH_D3_FORMAT if grain == "month" else DATE_D3_FORMAT,
            ),
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
st.caption("The rates below are company-wide: the tier and CSM filters do not narrow them.")
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
            ESCALATION_TYPE_SCALE,
            period=grain,
        ),
        f"Escalations per 100 paying accounts each {grain}, by type.",
    )
with right:
    st.subheader("Average hours to resolution")
    show_chart(
        line_over_time(
            company,
            "period_start_date",
            "average_hours_to_resolution",
            "hours",
            ".0f",
            "escalation_type",
            "type",
            ESCALATION_TYPE_SCALE,
            period=grain,
        ),
        f"Average hours from escalation to resolution each {grain}, by type.",
    )

st.subheader("Latest escalations")
recent = filter_in(
    filter_in(filter_to_book(marts["recent"], selected_csm()), "escalation_type", escalation_types),
    "touch_tier",
    tiers,
)
if not escalation_types:
    recent = recent.iloc[0:0]
if not nothing_matches(recent, "escalations", filters):
    show_table(
        name_csms(recent.head(50), "owner_csm_id", "owner_csm"),
        {
            "escalated_at": time_column("escalated (UTC)"),
            "escalation_type": text("type"),
            "reason": text("reason"),
            "severity": text("severity"),
            "account_name": text("account"),
            "touch_tier": text("tier"),
            "owner_csm": text("owner CSM"),
            "outcome": text("outcome"),
            "hours_to_resolution": number_column("hours to resolve"),
        },
    )
