"""Executive summary: ARR, NRR, GRR and logo churn at the latest complete month, with trends."""

from __future__ import annotations

import streamlit as st
from csm_book import company_wide_note
from mart_reader import read_marts
from presentation import (
    MONEY_D3_FORMAT,
    PERCENT_D3_FORMAT,
    count,
    line_over_time,
    money,
    month_label,
    percent,
    show_chart,
    stop_when_empty,
)

st.title("Executive summary")
company_wide_note()

marts = read_marts(
    retention="""
        select
            churn.month_start_date,
            waterfall.closing_arr,
            waterfall.closing_customers,
            churn.net_revenue_retention_12m,
            churn.gross_revenue_retention_12m,
            churn.logo_churn_rate,
            churn.logo_churn_rate_t12m
        from marts.rpt_churn_retention_monthly as churn
        inner join marts.rpt_mrr_waterfall as waterfall
            on churn.month_start_date = waterfall.month_start_date
        where churn.is_complete_month
        order by churn.month_start_date
    """,
)
monthly = marts["retention"]
stop_when_empty(monthly, "complete month of recurring revenue")

latest = monthly.iloc[-1]
# Sparklines show the year up to the headline month.
last_year = monthly.tail(12)

st.caption(
    f"As of the end of {month_label(latest.month_start_date)}, the latest complete month. "
    "Retention and churn over twelve months compare today's customers with those paying twelve "
    "months before (definitions: dbt docs of rpt_churn_retention_monthly)."
)

arr, nrr, grr, logo_churn, logo_churn_year = st.columns(5)
arr.metric(
    "ARR",
    money(latest.closing_arr),
    help=f"12 times MRR at month-end; {count(latest.closing_customers)} paying customers.",
    chart_data=last_year.closing_arr.tolist(),
    border=True,
)
nrr.metric(
    "NRR, 12 months",
    percent(latest.net_revenue_retention_12m),
    help="Net revenue retention: MRR now of the customers paying 12 months before ÷ their MRR "
    "then.",
    chart_data=last_year.net_revenue_retention_12m.dropna().tolist(),
    border=True,
)
grr.metric(
    "GRR, 12 months",
    percent(latest.gross_revenue_retention_12m),
    help="Gross revenue retention: as NRR, each customer capped at their MRR 12 months before.",
    chart_data=last_year.gross_revenue_retention_12m.dropna().tolist(),
    border=True,
)
logo_churn.metric(
    "Logo churn, month",
    percent(latest.logo_churn_rate),
    help="Customers lost in the month ÷ customers paying at the start of the month.",
    chart_data=last_year.logo_churn_rate.dropna().tolist(),
    chart_type="bar",
    border=True,
)
logo_churn_year.metric(
    "Logo churn, 12 months",
    percent(latest.logo_churn_rate_t12m),
    help="Share of the customers paying 12 months before who are no longer paying.",
    chart_data=last_year.logo_churn_rate_t12m.dropna().tolist(),
    border=True,
)

st.subheader("ARR")
show_chart(
    line_over_time(monthly, "month_start_date", "closing_arr", "ARR (USD)", MONEY_D3_FORMAT),
    "Annual recurring revenue at each month-end.",
)

left, right = st.columns(2)
with left:
    st.subheader("Revenue retention, 12 months")
    retention_long = monthly.melt(
        id_vars="month_start_date",
        value_vars=["net_revenue_retention_12m", "gross_revenue_retention_12m"],
        var_name="measure",
        value_name="retention",
    ).dropna()
    retention_long["measure"] = retention_long["measure"].map(
        {"net_revenue_retention_12m": "NRR", "gross_revenue_retention_12m": "GRR"}
    )
    show_chart(
        line_over_time(
            retention_long,
            "month_start_date",
            "retention",
            "retention",
            PERCENT_D3_FORMAT,
            "measure",
            "",
        ),
        "Net and gross revenue retention over twelve months, by month.",
    )
with right:
    st.subheader("Logo churn")
    churn_long = monthly.melt(
        id_vars="month_start_date",
        value_vars=["logo_churn_rate", "logo_churn_rate_t12m"],
        var_name="measure",
        value_name="churn_rate",
    ).dropna()
    churn_long["measure"] = churn_long["measure"].map(
        {"logo_churn_rate": "in the month", "logo_churn_rate_t12m": "over 12 months"}
    )
    show_chart(
        line_over_time(
            churn_long,
            "month_start_date",
            "churn_rate",
            "logo churn",
            PERCENT_D3_FORMAT,
            "measure",
            "",
        ),
        "Logo churn rate in each month and over the twelve months before.",
    )
