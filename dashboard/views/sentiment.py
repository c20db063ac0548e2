"""NPS and CSAT: what customers say, by touch tier week by week, and account by account."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, name_csms, selected_csm
from mart_reader import read_marts
from presentation import (
    DATE_D3_FORMAT,
    PERCENT_D3_FORMAT,
    TOUCH_TIER_ORDER,
    count_column,
    date_label,
    line_over_time,
    nothing_matches,
    number_column,
    percent_column,
    show_chart,
    show_table,
    stop_when_empty,
    text,
    time_axis,
    touch_tier_scale,
)
from shaping import filter_in, filter_to_book

st.title("NPS and CSAT")

marts = read_marts(
    by_tier="""
        select
            week_start_date,
            touch_tier,
            nps_90d,
            ticket_csat_90d,
            average_csm_sentiment_score
        from marts.rpt_indicators_by_tier_weekly
        order by week_start_date, touch_tier
    """,
    tickets="""
        select week_start_date, tickets, csat_rated_five_point, csat_rated_good_bad, ticket_csat
        from marts.rpt_support_tickets_weekly
        order by week_start_date
    """,
    accounts="""
        select
            indicators.account_id,
            accounts.account_name,
            accounts.touch_tier,
            accounts.owner_csm_id,
            indicators.week_start_date,
            indicators.latest_nps_score,
            indicators.nps_90d,
            indicators.nps_responses_90d,
            indicators.ticket_csat_90d,
            indicators.ticket_csat_responses_90d,
            indicators.latest_csm_sentiment_score
        from marts.fct_account_indicators_weekly as indicators
        inner join marts.dim_accounts as accounts
            on indicators.account_id = accounts.account_id
        where indicators.week_start_date = (
            select max(week_start_date) from marts.fct_account_indicators_weekly
        )
            and indicators.is_paying
        order by indicators.nps_90d nulls last, accounts.account_name
    """,
)
by_tier = marts["by_tier"]
stop_when_empty(by_tier, "weekly customer indicators")

tiers = st.pills("Touch tier", TOUCH_TIER_ORDER, selection_mode="multi", key="tiers")
filters = {**book_filter_description(), "tier": tiers}
st.caption(
    "NPS: share of promoters (9-10) minus share of detractors (0-6) among the answers of the "
    "last 90 days, -100 to 100, pooled over the tier's answers. Ticket CSAT: share of rated "
    "tickets rated satisfied in the last 90 days. CSM sentiment: the CSMs' own 1-to-5 pulse. "
    "Tier trends follow the tier filter; the CSM filter narrows the account table."
)

trend = filter_in(by_tier, "touch_tier", tiers or [*TOUCH_TIER_ORDER, "all"])
left, right = st.columns(2)
with left:
    st.subheader("NPS, trailing 90 days")
    show_chart(
        line_over_time(
            trend.dropna(subset=["nps_90d"]),
            "week_start_date",
            "nps_90d",
            "NPS",
            ".0f",
            "touch_tier",
            "tier",
            touch_tier_scale(),
            period="week",
        ),
        "Net promoter score over the trailing 90 days each week, by touch tier and overall.",
    )
with right:
    st.subheader("Ticket CSAT, trailing 90 days")
    show_chart(
        line_over_time(
            trend.dropna(subset=["ticket_csat_90d"]),
            "week_start_date",
            "ticket_csat_90d",
            "ticket CSAT",
            PERCENT_D3_FORMAT,
            "touch_tier",
            "tier",
            touch_tier_scale(),
            period="week",
        ),
        "Share of rated support tickets rated satisfied over the trailing 90 days, by tier.",
    )

st.subheader("Ticket CSAT by week, every ticket")
tickets = marts["tickets"]
st.caption("Company-wide, all support tickets rated in the week (rpt_support_tickets_weekly).")
show_chart(
    alt.Chart(tickets.dropna(subset=["ticket_csat"]))
    .mark_bar(color="#1f77b4")
    .encode(
        x=time_axis("week_start_date"),
        y=alt.Y("ticket_csat:Q", title="ticket CSAT", axis=alt.Axis(format=PERCENT_D3_FORMAT)),
        tooltip=[
            alt.Tooltip("week_start_date:T", title="week of", format=DATE_D3_FORMAT),
            alt.Tooltip("ticket_csat:Q", title="CSAT", format=PERCENT_D3_FORMAT),
            alt.Tooltip("tickets:Q"),
        ],
    )
    .properties(height=220),
    "Share of the week's rated tickets rated satisfied, each week.",
)

accounts = marts["accounts"]
if accounts.empty:
    st.subheader("Accounts")
    st.info("No paying account has weekly indicators yet.")
    st.stop()
st.subheader(f"Accounts, week of {date_label(accounts.week_start_date.max())}")
shown = filter_in(filter_to_book(accounts, selected_csm()), "touch_tier", tiers)
if not nothing_matches(shown, "accounts", filters):
    show_table(
        name_csms(shown, "owner_csm_id", "owner_csm"),
        {
            "account_name": text("account"),
            "touch_tier": text("tier"),
            "owner_csm": text("owner CSM"),
            "nps_90d": number_column("NPS, 90 days"),
            "nps_responses_90d": count_column("NPS answers"),
            "latest_nps_score": number_column("latest answer (0-10)"),
            "ticket_csat_90d": percent_column("ticket CSAT, 90 days"),
            "ticket_csat_responses_90d": count_column("rated tickets"),
            "latest_csm_sentiment_score": number_column("CSM sentiment (1-5)"),
        },
    )
