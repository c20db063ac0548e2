"""MRR waterfall: how MRR moved each month (new, expansion, reactivation, contraction, churn)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from csm_book import company_wide_note
from mart_reader import read_marts
from presentation import (
    MONEY_D3_FORMAT,
    MONTH_D3_FORMAT,
    money,
    money_column,
    month_axis,
    month_column,
    month_label,
    show_chart,
    show_table,
    stop_when_empty,
)
from shaping import fill_month_spine

st.title("MRR waterfall")
company_wide_note()

MOVEMENT_COLUMNS = """
    month_start_date,
    opening_mrr,
    new_mrr,
    expansion_mrr,
    reactivation_mrr,
    contraction_mrr,
    churned_mrr,
"""
# Segments chain month to month: an account moving segment leaves one as a transfer out and
# enters the other as a transfer in. The company as a whole has no transfers.
marts = read_marts(
    company=f"""
        select
            'all' as segment_type, 'all' as segment_value, {MOVEMENT_COLUMNS}
            0 as transfer_in_mrr, 0 as transfer_out_mrr, closing_mrr
        from marts.rpt_mrr_waterfall
        order by month_start_date
    """,
    segments=f"""
        select
            segment_type, segment_value, {MOVEMENT_COLUMNS}
            transfer_in_mrr, transfer_out_mrr, closing_mrr
        from marts.rpt_mrr_waterfall_by_segment
        order by segment_type, segment_value, month_start_date
    """,
)
stop_when_empty(marts["company"], "monthly MRR waterfall")
waterfall = pd.concat([marts["company"], marts["segments"]], ignore_index=True)

# (label, column, direction): contraction and churn are stored as positive amounts lost.
MOVEMENTS = [
    ("new", "new_mrr", 1),
    ("expansion", "expansion_mrr", 1),
    ("reactivation", "reactivation_mrr", 1),
    ("contraction", "contraction_mrr", -1),
    ("churn", "churned_mrr", -1),
    ("transfer in", "transfer_in_mrr", 1),
    ("transfer out", "transfer_out_mrr", -1),
]
MOVEMENT_COLOURS = ["#2ca02c", "#98df8a", "#17becf", "#ff9896", "#d62728", "#637939", "#ad494a"]

segment_column, value_column, window_column = st.columns(3)
segment_types = {
    "whole company": "all",
    "touch tier": "touch_tier",
    "plan tier": "plan_tier",
    "region": "region",
}
segment_label = segment_column.selectbox("Segment by", list(segment_types))
segment_type = segment_types[segment_label]
segment_values = sorted(
    waterfall.loc[waterfall.segment_type == segment_type, "segment_value"].unique()
)
segment_value = value_column.selectbox(
    "Segment", segment_values, disabled=segment_type == "all", key=f"segment_{segment_type}"
)
months_shown = window_column.selectbox("Months", [12, 24, 36], index=1)

# A segment with no MRR in a month has no row that month: the month still belongs on the axis,
# with zero movement. Opening and closing of such a month are zero too (nothing was paying).
company_months = marts["company"].month_start_date
amount_columns = [column for column in marts["company"].columns if column.endswith("_mrr")]
selected = fill_month_spine(
    waterfall[
        (waterfall.segment_type == segment_type) & (waterfall.segment_value == segment_value)
    ],
    "month_start_date",
    amount_columns,
    start=company_months.min(),
    end=company_months.max(),
).tail(months_shown)

# The company as a whole has no transfers: only a segment's waterfall shows them.
shown_movements = [
    movement
    for movement in MOVEMENTS
    if segment_type != "all" or not movement[1].startswith("transfer_")
]
shown_colours = MOVEMENT_COLOURS[: len(shown_movements)]
table_columns = [
    column
    for column in amount_columns
    if segment_type != "all" or not column.startswith("transfer_")
]

st.subheader("Movements by month")
st.caption(
    "Bars above zero add MRR, bars below remove it (contraction, churn and transfers out drawn "
    "as negative); opening + movements = closing MRR in every month, and a segment opens at "
    "last month's closing (dbt tests hold both). Transfers: accounts moving between segments."
)
movements = selected.melt(
    id_vars="month_start_date",
    value_vars=[column for _, column, _ in shown_movements],
    var_name="column",
    value_name="amount",
)
labels = {column: label for label, column, _ in shown_movements}
directions = {column: direction for _, column, direction in shown_movements}
movements["movement"] = movements["column"].map(labels)
# Drawing direction only: the amounts are the mart's.
movements["drawn_amount"] = movements["amount"] * movements["column"].map(directions)
# Zero rows stay: they keep months without movement on the axis.
movement_order = [label for label, _, _ in shown_movements]
show_chart(
    alt.Chart(movements)
    .mark_bar()
    .encode(
        x=month_axis(),
        y=alt.Y(
            "drawn_amount:Q", title="MRR movement (USD)", axis=alt.Axis(format=MONEY_D3_FORMAT)
        ),
        color=alt.Color(
            "movement:N",
            sort=movement_order,
            scale=alt.Scale(domain=movement_order, range=shown_colours),
            title=None,
        ),
        order=alt.Order("movement_rank:Q"),
        tooltip=[
            alt.Tooltip("month_start_date:T", title="month", format=MONTH_D3_FORMAT),
            alt.Tooltip("movement:N"),
            alt.Tooltip("amount:Q", title="MRR (USD)", format=MONEY_D3_FORMAT),
        ],
    )
    .transform_calculate(movement_rank=f"indexof({movement_order!r}, datum.movement)")
    .properties(height=320),
    "MRR added and lost each month by movement type.",
)

st.subheader(f"Bridge for {month_label(selected.month_start_date.iloc[-1])}")
latest = selected.iloc[-1]
# Each bar floats from where the previous one ended (layout only); the closing bar is the mart's
# closing MRR, which a dbt test guarantees equals opening plus the movements.
bridge_rows = [("opening", 0.0, float(latest.opening_mrr), float(latest.opening_mrr), "total")]
level = float(latest.opening_mrr)
for label, column, direction in shown_movements:
    amount = float(latest[column])
    bridge_rows.append((label, level, level + direction * amount, amount, label))
    level += direction * amount
bridge_rows.append(("closing", 0.0, float(latest.closing_mrr), float(latest.closing_mrr), "total"))
bridge = pd.DataFrame(bridge_rows, columns=["step", "bar_start", "bar_end", "amount", "kind"])
# Movements are small next to MRR: the axis shows the band MRR moved in, with a margin, and the
# opening and closing bars are cut at its foot (said in the caption).
levels = bridge.loc[bridge.kind != "total", ["bar_start", "bar_end"]].stack()
margin = max((levels.max() - levels.min()) * 0.5, levels.max() * 0.01, 1.0)
axis_domain = [max(levels.min() - margin, 0.0), levels.max() + margin]
st.caption("The axis does not start at zero, so that the movements can be seen.")
show_chart(
    alt.Chart(bridge)
    .mark_bar(clip=True)
    .encode(
        x=alt.X("step:N", sort=list(bridge.step), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "bar_start:Q",
            title="MRR (USD)",
            axis=alt.Axis(format=MONEY_D3_FORMAT),
            scale=alt.Scale(domain=axis_domain, zero=False),
        ),
        y2="bar_end:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=[*movement_order, "total"], range=[*shown_colours, "#4c78a8"]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("step:N"),
            alt.Tooltip("amount:Q", title="MRR (USD)", format=MONEY_D3_FORMAT),
        ],
    )
    .properties(height=300),
    "Opening MRR, each movement and closing MRR of the latest month shown.",
)

st.subheader("Table")
show_table(
    selected.sort_values("month_start_date", ascending=False),
    {
        "month_start_date": month_column("month"),
        **{column: money_column(column.removesuffix("_mrr")) for column in table_columns},
    },
)
st.caption(f"Closing MRR of the latest month shown: {money(latest.closing_mrr)}.")
