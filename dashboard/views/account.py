"""Account drill-down: one account's health and components, touches, escalations, renewal, plays."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import book_filter_description, csm_names, selected_csm
from mart_reader import read_marts, sql_literal
from presentation import (
    DATE_D3_FORMAT,
    HEALTH_BANDS,
    MONTH_D3_FORMAT,
    band_scale,
    count,
    date_column,
    date_label,
    is_missing,
    money,
    money_column,
    number_column,
    percent,
    show_chart,
    show_table,
    stop_when_empty,
    stop_when_nothing_matches,
    text,
    time_axis,
    time_column,
)
from shaping import filter_to_book

st.title("Account drill-down")

accounts = read_marts(
    accounts="""
        select account_id, account_name, owner_csm_id, touch_tier
        from marts.dim_accounts
        order by account_name, account_id
    """
)["accounts"]
stop_when_empty(accounts, "accounts")
in_book = filter_to_book(accounts, selected_csm())
stop_when_nothing_matches(in_book, "accounts", book_filter_description())

names = dict(zip(in_book.account_id, in_book.account_name, strict=True))
account_id = st.selectbox(
    "Account",
    list(names),
    format_func=lambda account: f"{names[account]} ({account})",
    key="account",
    help="The accounts of the CSM chosen in the sidebar, or every account.",
)
account = sql_literal(account_id)

marts = read_marts(
    profile=f"""
        select
            account_name, industry, region, country, owner_csm_id, touch_tier, lifecycle_stage,
            mrr, arr, seats, product_count, first_paid_month_start_date
        from marts.dim_accounts
        where account_id = {account}
    """,
    health=f"""
        select
            week_start_date,
            health_score,
            health_band,
            engagement_score,
            relationship_score,
            usage_trend_score,
            adoption_score,
            utilization_score,
            customer_sentiment_score,
            csm_sentiment_score,
            support_score,
            business_outcomes_score,
            onboarding_score,
            top_drag_explanation,
            second_drag_explanation
        from marts.fct_account_health_weekly
        where account_id = {account}
        order by week_start_date
    """,
    touches=f"""
        select
            week_start_date,
            days_since_last_proactive_communication,
            days_since_last_reactive_communication,
            days_since_last_executive_engagement,
            high_value_engagements_30d,
            engaged_contacts_90d,
            latest_nps_score,
            ticket_csat_90d,
            tickets_30d
        from marts.fct_account_indicators_weekly
        where account_id = {account}
        order by week_start_date desc
        limit 1
    """,
    escalations=f"""
        select escalated_at, escalation_type, reason, severity, outcome, hours_to_resolution
        from marts.fct_escalations
        where account_id = {account}
        order by escalated_at desc
    """,
    upcoming=f"""
        select term_ends_at, days_until_renewal, current_arr, is_cancellation_requested
        from marts.rpt_renewals_due
        where account_id = {account}
        order by term_ends_at
    """,
    renewed=f"""
        select term_ends_at, renewal_outcome, expiring_mrr, renewed_mrr
        from marts.fct_renewals
        where account_id = {account}
        order by term_ends_at desc
    """,
    plays=f"""
        select priority, play, play_reason, play_owner, open_since_week_start_date
        from marts.rpt_plays_open
        where account_id = {account}
        order by priority, play
    """,
)
profile = marts["profile"].iloc[0]
owner = csm_names().get(profile.owner_csm_id, profile.owner_csm_id)
health = marts["health"]
latest_health = health.iloc[-1] if not health.empty else None

st.caption(
    f"{profile.industry or 'industry unknown'} · {profile.region} · {profile.touch_tier} · "
    f"{profile.lifecycle_stage} · owner CSM: {owner or 'none'} · paying since "
    f"{date_label(profile.first_paid_month_start_date)}"
)

upcoming = marts["upcoming"]
renewed = marts["renewed"]
if not upcoming.empty:
    next_renewal = upcoming.iloc[0]
    renewal_value = date_label(next_renewal.term_ends_at)
    renewal_help = f"In {count(next_renewal.days_until_renewal)} days."
else:
    renewal_value = "not in 90 days"
    renewal_help = "Monthly terms, or a yearly or quarterly term ending later than 90 days out."
arr, score, renewal = st.columns(3)
arr.metric("ARR", money(profile.arr), help=f"MRR {money(profile.mrr)}.", border=True)
score.metric(
    "Health score" if latest_health is None else f"Health score, {latest_health.health_band} band",
    "not scored" if latest_health is None else f"{latest_health.health_score:.0f}",
    help=None if latest_health is None else f"Week of {date_label(latest_health.week_start_date)}.",
    border=True,
)
renewal.metric("Next renewal", renewal_value, help=renewal_help, border=True)

st.subheader("Health score by week")
if health.empty:
    st.info(f"{profile.account_name} has no scored week (scores cover paying accounts).")
else:
    st.caption(
        f"Pulled down most by: {latest_health.top_drag_explanation or 'nothing'}; then by: "
        f"{latest_health.second_drag_explanation or 'nothing'}."
    )
    show_chart(
        alt.Chart(health)
        .mark_bar()
        .encode(
            x=time_axis("week_start_date"),
            y=alt.Y("health_score:Q", title="health score", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("health_band:N", scale=band_scale(), sort=HEALTH_BANDS, title="band"),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="week of", format=DATE_D3_FORMAT),
                alt.Tooltip("health_score:Q", title="score", format=".0f"),
                alt.Tooltip("health_band:N", title="band"),
            ],
        )
        .properties(height=220),
        f"Weekly health score of {profile.account_name}, each bar coloured by its band.",
    )
    st.subheader("Health components by week")
    components = health.melt(
        id_vars="week_start_date",
        value_vars=[column for column in health.columns if column.endswith("_score")][1:],
        var_name="component",
        value_name="score",
    ).dropna(subset=["score"])
    components["component"] = components.component.str.removesuffix("_score").str.replace("_", " ")
    show_chart(
        alt.Chart(components)
        .mark_rect()
        .encode(
            x=alt.X(
                "yearmonthdate(week_start_date):O",
                title=None,
                axis=alt.Axis(
                    format=MONTH_D3_FORMAT, formatType="time", labelAngle=-40, labelOverlap=True
                ),
            ),
            y=alt.Y("component:N", title=None),
            color=alt.Color(
                "score:Q",
                title="score",
                scale=alt.Scale(scheme="redyellowgreen", domain=[0, 100]),
            ),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="week of", format=DATE_D3_FORMAT),
                alt.Tooltip("component:N"),
                alt.Tooltip("score:Q", format=".0f"),
            ],
        )
        .properties(height=alt.Step(22)),
        f"Weekly score (0 to 100) of each health component of {profile.account_name}: "
        "red is low, green is high.",
    )

st.subheader("Last touches")
touches = marts["touches"]
if touches.empty:
    st.info(f"No weekly indicators for {profile.account_name} yet.")
else:
    latest = touches.iloc[0]

    def days_ago(value: object) -> str:
        return "never" if is_missing(value) else f"{int(value)} days ago"

    proactive, reactive, executive, engagements = st.columns(4)
    proactive.metric(
        "Last proactive contact", days_ago(latest.days_since_last_proactive_communication)
    )
    reactive.metric(
        "Last reactive contact", days_ago(latest.days_since_last_reactive_communication)
    )
    executive.metric(
        "Last executive engagement", days_ago(latest.days_since_last_executive_engagement)
    )
    engagements.metric("High-value engagements, 30 days", count(latest.high_value_engagements_30d))
    nps = "n/a" if is_missing(latest.latest_nps_score) else f"{latest.latest_nps_score:.0f}"
    st.caption(
        f"As of the week of {date_label(latest.week_start_date)}: "
        f"{count(latest.engaged_contacts_90d)} contacts engaged in 90 days, latest NPS {nps}, "
        f"ticket CSAT (90 days) {percent(latest.ticket_csat_90d)}, "
        f"{count(latest.tickets_30d)} tickets in 30 days."
    )

st.subheader("Open plays")
if marts["plays"].empty:
    st.info(f"{profile.account_name} has no open plays.")
else:
    show_table(
        marts["plays"],
        {
            "priority": number_column("priority"),
            "play": text("play"),
            "play_reason": text("why"),
            "play_owner": text("owner"),
            "open_since_week_start_date": date_column("open since week of"),
        },
    )

st.subheader("Escalations")
if marts["escalations"].empty:
    st.info(f"{profile.account_name} has no escalations.")
else:
    show_table(
        marts["escalations"],
        {
            "escalated_at": time_column("escalated (UTC)"),
            "escalation_type": text("type"),
            "reason": text("reason"),
            "severity": text("severity"),
            "outcome": text("outcome"),
            "hours_to_resolution": number_column("hours to resolve"),
        },
    )

st.subheader("Renewals")
if renewed.empty:
    st.info(f"{profile.account_name} has no past renewals.")
else:
    show_table(
        renewed,
        {
            "term_ends_at": date_column("term ended"),
            "renewal_outcome": text("outcome"),
            "expiring_mrr": money_column("expiring MRR"),
            "renewed_mrr": money_column("renewed MRR"),
        },
    )
