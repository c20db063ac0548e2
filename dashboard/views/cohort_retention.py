"""Cohort retention: each first-paid-month cohort's retention by months since it started."""

from __future__ import annotations

import altair as alt
import streamlit as st
from csm_book import company_wide_note
from mart_reader import read_marts
from presentation import (
    PERCENT_D3_FORMAT,
    count_column,
    money_column,
    month_column,
    month_label,
    percent_column,
    show_chart,
    show_table,
    stop_when_empty,
)

st.title("Cohort retention")
company_wide_note()

MEASURES = {
    "logo retention": "logo_retention",
    "net revenue retention": "net_revenue_retention",
    "gross revenue retention": "gross_revenue_retention",
}

marts = read_marts(
    cohorts="""
        select
            cohort_month_start_date,
            months_since_start,
            cohort_accounts,
            retained_accounts,
            starting_mrr,
            retained_mrr,
            logo_retention,
            net_revenue_retention,
            gross_revenue_retention
        from marts.fct_cohort_retention
        where is_complete_month
        order by cohort_month_start_date, months_since_start
    """,
    wide="""
        select *
        from marts.rpt_cohort_retention_wide
        order by measure, cohort_month_start_date
    """,
)
cohorts = marts["cohorts"]
stop_when_empty(cohorts, "cohort retention")

measure_label = st.segmented_control(
    "Measure", list(MEASURES), default="logo retention", required=True
)
measure = MEASURES[measure_label]
st.caption(
    "One row per cohort (accounts by their first paid month), one column per month since the "
    "cohort started; complete months only. Net revenue retention can exceed 100% when a cohort "
    "expands."
)

cohorts["cohort"] = cohorts.cohort_month_start_date.map(month_label)
heatmap = (
    alt.Chart(cohorts)
    .mark_rect()
    .encode(
        x=alt.X("months_since_start:O", title="months since the cohort's first paid month"),
        y=alt.Y(
            "cohort:O",
            title="cohort",
            sort=alt.EncodingSortField("cohort_month_start_date", order="descending"),
            axis=alt.Axis(labelOverlap=False),
        ),
        color=alt.Color(
            f"{measure}:Q",
            title=measure_label,
            scale=alt.Scale(scheme="blues", domainMin=0),
            legend=alt.Legend(format=PERCENT_D3_FORMAT),
        ),
        tooltip=[
            alt.Tooltip("cohort:O"),
            alt.Tooltip("months_since_start:O", title="months since start"),
            alt.Tooltip(f"{measure}:Q", title=measure_label, format=PERCENT_D3_FORMAT),
            alt.Tooltip("cohort_accounts:Q", title="accounts in cohort"),
            alt.Tooltip("retained_accounts:Q", title="accounts paying"),
        ],
    )
    .properties(height=alt.Step(16))
)
show_chart(heatmap, f"Heatmap of {measure_label} by cohort and months since start.")

with st.expander("As a finance spreadsheet (rpt_cohort_retention_wide)"):
    wide = marts["wide"]
    show_table(
        wide[wide.measure == measure],
        {
            "cohort_month_start_date": month_column("cohort"),
            "cohort_accounts": count_column("accounts"),
            "starting_mrr": money_column("starting MRR"),
            **{
                column: percent_column(column.replace("_", " "))
                for column in wide.columns
                if column.startswith("month_")
            },
        },
    )
