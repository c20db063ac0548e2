"""CSM leaderboard: each CSM's book of business, retention, renewals and health in one month."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import csm_names, selected_csm
from mart_reader import read_mart
from presentation import (
    MONEY_D3_FORMAT,
    PERCENT_D3_FORMAT,
    count_column,
    money_column,
    month_label,
    percent_column,
    series_scale,
    show_chart,
    show_table,
    stop_when_empty,
    stop_when_nothing_matches,
    text,
)
from shaping import filter_in

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
names = csm_names()
# CSM rows are named; team rows carry the team's name already.
performance["performer"] = [
    names.get(performer, performer) if level == "csm" else performer
    for level, performer in zip(
        performance.performance_level, performance.performer_id, strict=True
    )
]

month_filter, team_filter = st.columns(2)
months = list(performance.month_start_date.drop_duplicates())
month = month_filter.selectbox("Month", months, format_func=month_label, key="month")
all_teams = sorted(performance.team.dropna().unique())
teams_chosen = team_filter.pills("Team", all_teams, selection_mode="multi", key="teams")
filters = {"month": month_label(month), "team": teams_chosen}
st.caption(
    "Books use today's account owners (see DECISIONLOG). Retention is over twelve months, "
    "dollar-weighted; quota attainment is renewed ARR against the month's share of the annual "
    "renewal quota. Every CSM is listed whatever the sidebar's CSM filter, so a CSM sees their "
    "book beside their peers'."
)

in_month = filter_in(performance[performance.month_start_date == month], "team", teams_chosen)
csms = in_month[in_month.performance_level == "csm"]
teams = in_month[in_month.performance_level == "team"]
stop_when_nothing_matches(csms, "CSMs", filters)

columns = {
    "performer": text("CSM"),
    "team": text("team"),
    "book_accounts": count_column("accounts"),
    "book_arr": money_column("book ARR"),
    "book_net_revenue_retention_12m": percent_column("NRR 12m"),
    "book_gross_revenue_retention_12m": percent_column("GRR 12m"),
    "renewals_due": count_column("renewals due"),
    "renewals_won": count_column("renewed"),
    "logo_renewal_rate": percent_column("renewal rate"),
    "renewal_quota_attainment": percent_column("quota"),
    "engagement_activities": count_column("activities"),
    "executive_business_reviews": count_column("EBRs"),
    "advocates": count_column("advocates"),
    "red_share": percent_column("red share"),
    "saves": count_column("saves"),
}

st.subheader("Net revenue retention of each book, 12 months")
with_nrr = csms.dropna(subset=["book_net_revenue_retention_12m"])
if with_nrr.empty:
    st.info("No book has twelve months of history in this month yet.")
else:
    show_chart(
        alt.Chart(with_nrr)
        .mark_bar()
        .encode(
            y=alt.Y("performer:N", sort="-x", title=None),
            x=alt.X(
                "book_net_revenue_retention_12m:Q",
                title="NRR, 12 months",
                axis=alt.Axis(format=PERCENT_D3_FORMAT),
            ),
            color=alt.Color("team:N", scale=series_scale(all_teams), title="team"),
            tooltip=[
                alt.Tooltip("performer:N", title="CSM"),
                alt.Tooltip("team:N"),
                alt.Tooltip(
                    "book_net_revenue_retention_12m:Q", title="NRR 12m", format=PERCENT_D3_FORMAT
                ),
                alt.Tooltip("book_arr:Q", title="book ARR", format=MONEY_D3_FORMAT),
            ],
        )
        .properties(height=alt.Step(28)),
        f"Twelve-month net revenue retention of each CSM's book in {month_label(month)}.",
    )

st.subheader(f"CSMs, {month_label(month)}")
chosen = selected_csm()
if chosen is not None and chosen in set(csms.performer_id):
    st.caption(f"Your book: {names.get(chosen, chosen)}.")
show_table(csms, columns)

st.subheader("Teams")
team_columns = {name: column for name, column in columns.items() if name != "team"}
show_table(teams, {**team_columns, "performer": text("team")})
