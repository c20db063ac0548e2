"""Unit economics: ARPA, customer lifetime value, quick ratio and net new MRR by month."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import company_wide_note
from mart_reader import read_marts
from presentation import (
    MONEY_D3_FORMAT,
    MONTH_D3_FORMAT,
    SERIES_COLOURS,
    count_column,
    line_over_time,
    money,
    money_column,
    month_axis,
    month_column,
    month_label,
    number_column,
    percent_column,
    ratio,
    show_chart,
    show_table,
    stop_when_empty,
)

st.title("Unit economics")
company_wide_note()

marts = read_marts(
    monthly="""
        select
            economics.month_start_date,
            economics.paying_customers,
            economics.mrr,
            economics.arpa,
            economics.logo_churn_rate_t6m_average,
            economics.gross_margin,
            economics.customer_lifetime_value,
            churn.quick_ratio,
            waterfall.net_new_mrr
        from marts.rpt_unit_economics_monthly as economics
        inner join marts.rpt_churn_retention_monthly as churn
            on economics.month_start_date = churn.month_start_date
        inner join marts.rpt_mrr_waterfall as waterfall
            on economics.month_start_date = waterfall.month_start_date
        where economics.is_complete_month
        order by economics.month_start_date
    """,
)
monthly = marts["monthly"]
stop_when_empty(monthly, "complete month of unit economics")

months_shown = st.segmented_control(
    "Months", [12, 24, 36], default=24, required=True, key="months", format_func=str
)
shown = monthly.tail(months_shown)
latest = shown.iloc[-1]
st.caption(
    f"Complete months up to {month_label(latest.month_start_date)}. ARPA: MRR ÷ paying "
    "customers. Customer lifetime value: ARPA times gross margin ÷ the six-month average monthly "
    "logo churn. Quick ratio: (new + expansion + reactivation MRR) ÷ (contraction + churned "
    "MRR); above 1 the base grows. Net new MRR: closing minus opening MRR."
)

arpa, lifetime_value, quick_ratio, net_new = st.columns(4)
arpa.metric(
    "ARPA",
    money(latest.arpa),
    help="Average MRR per paying account at month-end.",
    chart_data=shown.arpa.dropna().tolist(),
    border=True,
)
lifetime_value.metric(
    "Customer lifetime value",
    money(latest.customer_lifetime_value),
    help="ARPA times gross margin ÷ six-month average logo churn; n/a without churn.",
    chart_data=shown.customer_lifetime_value.dropna().tolist(),
    border=True,
)
quick_ratio.metric(
    "Quick ratio",
    ratio(latest.quick_ratio),
    help="MRR gained ÷ MRR lost in the month; n/a in a month that lost nothing.",
    chart_data=shown.quick_ratio.dropna().tolist(),
    border=True,
)
net_new.metric(
    "Net new MRR",
    money(latest.net_new_mrr),
    help="Closing minus opening MRR of the month.",
    chart_data=shown.net_new_mrr.tolist(),
    chart_type="bar",
    border=True,
)

left, right = st.columns(2)
with left:
    st.subheader("ARPA")
    show_chart(
        line_over_time(shown, "month_start_date", "arpa", "ARPA (USD)", MONEY_D3_FORMAT),
        "Average revenue per paying account each month.",
    )
with right:
    st.subheader("Customer lifetime value")
    show_chart(
        line_over_time(
            shown,
            "month_start_date",
            "customer_lifetime_value",
            "lifetime value (USD)",
            MONEY_D3_FORMAT,
        ),
        "Customer lifetime value each month.",
    )

left, right = st.columns(2)
with left:
    st.subheader("Quick ratio")
    show_chart(
        line_over_time(shown, "month_start_date", "quick_ratio", "ratio", ",.1f"),
        "Quick ratio each month with MRR lost.",
    )
with right:
    st.subheader("Net new MRR")
    show_chart(
        alt.Chart(shown.assign(direction=lambda frame: frame.net_new_mrr >= 0))
        .mark_bar()
        .encode(
            x=month_axis(),
            y=alt.Y("net_new_mrr:Q", title="MRR (USD)", axis=alt.Axis(format=MONEY_D3_FORMAT)),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(domain=[True, False], range=SERIES_COLOURS[:2]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("month_start_date:T", title="month", format=MONTH_D3_FORMAT),
                alt.Tooltip("net_new_mrr:Q", title="net new MRR", format=MONEY_D3_FORMAT),
            ],
        )
        .properties(height=280),
        "Net new MRR each month: growth above zero, shrinkage below.",
    )

st.subheader("Table")
show_table(
    shown.sort_values("month_start_date", ascending=False),
    {
        "month_start_date": month_column("month"),
        "paying_customers": count_column("paying customers"),
        "mrr": money_column("MRR"),
        "arpa": money_column("ARPA"),
        "customer_lifetime_value": money_column("lifetime value"),
        "logo_churn_rate_t6m_average": percent_column("logo churn, 6-month average"),
        "gross_margin": percent_column("gross margin"),
        "quick_ratio": number_column("quick ratio", 2),
        "net_new_mrr": money_column("net new MRR"),
    },
)
