"""Formatting and chart building blocks shared by the dashboard pages.

Formatting only: values come from the marts as they are; nothing here computes a metric.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

# Money in the marts is USD (see models/marts/finance/_finance__docs.md).
CURRENCY_SYMBOL = "$"
HEALTH_BAND_COLOURS = {"red": "#d62728", "yellow": "#e7ba52", "green": "#2ca02c"}
TOUCH_TIER_ORDER = ["high_touch", "low_touch", "tech_touch"]
# Tiers keep one colour on every chart, and "all" (the company) is dark grey; none of them is a
# health band colour.
TOUCH_TIER_COLOURS = {
    "all": "#333333",
    "high_touch": "#1f77b4",
    "low_touch": "#ff7f0e",
    "tech_touch": "#9467bd",
}


def touch_tier_scale(with_company: bool = True) -> alt.Scale:
    """Colour scale of the tiers, with or without the company-wide "all" series."""
    tiers = [tier for tier in TOUCH_TIER_COLOURS if with_company or tier != "all"]
    return alt.Scale(domain=tiers, range=[TOUCH_TIER_COLOURS[tier] for tier in tiers])


# Up to this many periods per series a line also marks each point (monthly series); weekly
# series would be a smear of dots.
MAX_PERIODS_WITH_POINTS = 60
# How empty cells of a table read (a ratio whose denominator was zero, a missing indicator).
EMPTY_CELL = "—"
# Small charts render as SVG in Streamlit, so every mark is an element with an ARIA label; saying
# so explicitly keeps it that way for larger charts too (the browser test reads those marks).
SVG_RENDERER = {"embedOptions": {"renderer": "svg"}}


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def money(value: object) -> str:
    """1234567.8 -> '$1.23M'; missing -> 'n/a'."""
    if is_missing(value):
        return "n/a"
    amount = float(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= threshold:
            return f"{CURRENCY_SYMBOL}{amount / threshold:,.2f}{suffix}"
    return f"{CURRENCY_SYMBOL}{amount:,.0f}"


def percent(value: object, decimals: int = 1) -> str:
    """0.9534 -> '95.3 %'; missing (a ratio whose denominator was zero) -> 'n/a'."""
    if is_missing(value):
        return "n/a"
    return f"{float(value) * 100:.{decimals}f} %"


def month_label(value: object) -> str:
    """A month-start date as 'Oct 2026'."""
    return pd.Timestamp(value).strftime("%b %Y")


def stop_when_empty(frame: pd.DataFrame, what: str) -> None:
    """Say plainly that a mart has no rows and end the page, rather than draw empty charts."""
    if frame.empty:
        st.warning(
            f"The warehouse has no {what} yet. Build it with `make demo` "
            "(or `cswh run`), then reload this page."
        )
        st.stop()


def show_chart(chart: alt.Chart | alt.LayerChart | alt.FacetChart, description: str) -> None:
    """Render an Altair chart full width, as SVG, with a text alternative for screen readers."""
    st.altair_chart(chart.properties(usermeta=SVG_RENDERER), width="stretch", alt=description)


def line_over_time(
    frame: pd.DataFrame,
    date_column: str,
    value_column: str,
    value_title: str,
    value_format: str,
    colour_column: str | None = None,
    colour_title: str | None = None,
    colour_scale: alt.Scale | None = None,
) -> alt.Chart:
    """A line per series over time; monthly series also mark each point."""
    encoding = {
        "x": alt.X(f"{date_column}:T", title=None),
        "y": alt.Y(f"{value_column}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        "tooltip": [
            alt.Tooltip(f"{date_column}:T", title="period", format="%Y-%m-%d"),
            alt.Tooltip(f"{value_column}:Q", title=value_title, format=value_format),
        ],
    }
    if colour_column:
        encoding["color"] = alt.Color(
            f"{colour_column}:N", title=colour_title, scale=colour_scale or alt.Undefined
        )
        encoding["tooltip"].insert(0, alt.Tooltip(f"{colour_column}:N", title=colour_title))
    with_points = frame[date_column].nunique() <= MAX_PERIODS_WITH_POINTS
    return alt.Chart(frame).mark_line(point=with_points).encode(**encoding).properties(height=280)
