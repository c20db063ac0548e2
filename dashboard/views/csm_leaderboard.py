"""CSM leaderboard: each CSM's book of business, retention, renewals and health in one month."""

from __future__ import annotations

import altair as alt
import streamlit as st
from mart_reader import read_mart
from presentation import EMPTY_CELL, month_label, show_chart, stop_when_empty

st.title("CSM leaderboard")

performance = read_mart(
    """
    select
        performance_level,
        performer_id,
        team,
        month_start_date,
        book_accounts,
        book_arr,
        book_net_revenue_retention_12m,
        book_gross_revenue_retention_12m,
        renewals_due,
        renewals_won,
        logo_renewal_rate,
        renewal_quota_attainment,
        engagement_activities,
        executive_business_reviews,
        advocates,
        red_share,
        saves
    from marts.rpt_csm_performance_monthly
    order by month_start_date desc, book_arr desc
    """
)
stop_when_empty(performance, "CSM performance")

months = list(performance.month_start_date.drop_duplicates())
month = st.selectbox("Month", months, format_func=month_label)
st.caption(
    "Books use today's account owners (see DECISIONLOG). Retention is over twelve months, "
    "dollar-weighted; quota attainment is renewed ARR against the month's share of the annual "
    "renewal quota."
)

in_month = performance[performance.month_start_date == month]
csms = in_month[in_month.performance_level == "csm"]
teams = in_month[in_month.performance_level == "team"]
stop_when_empty(csms, "CSM rows for this month")

column_config = {
    "performer_id": "CSM",
    "team": "team",
    "book_accounts": st.column_config.NumberColumn("accounts", format="%d"),
    "book_arr": st.column_config.NumberColumn("book ARR", format="dollar"),
    "book_net_revenue_retention_12m": st.column_config.NumberColumn("NRR 12m", format="percent"),
    "book_gross_revenue_retention_12m": st.column_config.NumberColumn("GRR 12m", format="percent"),
    "renewals_due": st.column_config.NumberColumn("renewals due", format="%d"),
    "renewals_won": st.column_config.NumberColumn("renewed", format="%d"),
    "logo_renewal_rate": st.column_config.NumberColumn("renewal rate", format="percent"),
    "renewal_quota_attainment": st.column_config.NumberColumn("quota", format="percent"),
    "engagement_activities": st.column_config.NumberColumn("activities", format="%d"),
    "executive_business_reviews": st.column_config.NumberColumn("EBRs", format="%d"),
    "advocates": st.column_config.NumberColumn("advocates", format="%d"),
    "red_share": st.column_config.NumberColumn("red share", format="percent"),
    "saves": st.column_config.NumberColumn("saves", format="%d"),
}
hidden = ["performance_level", "month_start_date"]

st.subheader("Net revenue retention of each book, 12 months")
show_chart(
    alt.Chart(csms.dropna(subset=["book_net_revenue_retention_12m"]))
    .mark_bar()
    .encode(
        y=alt.Y("performer_id:N", sort="-x", title=None),
        x=alt.X(
            "book_net_revenue_retention_12m:Q",
            title="NRR, 12 months",
            axis=alt.Axis(format=".0%"),
        ),
        color=alt.Color("team:N"),
        tooltip=[
            alt.Tooltip("performer_id:N", title="CSM"),
            alt.Tooltip("team:N"),
            alt.Tooltip("book_net_revenue_retention_12m:Q", title="NRR 12m", format=".1%"),
            alt.Tooltip("book_arr:Q", title="book ARR", format="$,.0f"),
        ],
    )
    .properties(height=alt.Step(28)),
    f"Twelve-month net revenue retention of each CSM's book in {month_label(month)}.",
)

st.subheader(f"CSMs, {month_label(month)}")
st.dataframe(csms.drop(columns=hidden), hide_index=True, column_config=column_config)

st.subheader("Teams")
st.dataframe(
    teams.drop(columns=[*hidden, "team"]),
    hide_index=True,
    placeholder=EMPTY_CELL,
    column_config=column_config | {"performer_id": "team"},
)
