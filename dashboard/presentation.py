"""Formats, colours, tables, charts and empty states shared by every dashboard page.

Formatting only: values come from the marts as they are; nothing here computes a metric. There is
ONE money format and ONE percent format. Metrics, captions and table cells are written by the
Python functions money() and percent() (tables through a pandas Styler, so columns still sort by
value); charts draw with the D3 equivalents below, which a unit test pins to the same output.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import altair as alt
import pandas as pd
import streamlit as st
from shaping import HEALTH_BANDS

# Money in the marts is USD (see models/marts/finance/_finance__docs.md), shown in whole dollars
# with thousands separators: "$35,445", "-$1,286" written with the minus sign
# D3 writes (U+2212). Cents add noise to
# ARR-sized numbers, and "$1.2M" hides the differences between CSM books a reader compares.
CURRENCY_SYMBOL = "$"
MINUS = "\u2212"
MONEY_D3_FORMAT = "$,.0f"
# Ratios are stored as fractions (0.953) and shown with one decimal: "95.3%".
PERCENT_D3_FORMAT = ".1%"
# Months read "Jan 2026" everywhere: axes, tooltips, tables, captions.
MONTH_D3_FORMAT = "%b %Y"
MONTH_TABLE_FORMAT = "MMM YYYY"
DATE_D3_FORMAT = "%Y-%m-%d"
DATE_TABLE_FORMAT = "YYYY-MM-DD"
# How empty cells of a table read (a ratio whose denominator was zero, a missing indicator).
EMPTY_CELL = "—"
MISSING_VALUE = "n/a"

# Health bands keep their traffic-light colours everywhere and no other series uses them.
HEALTH_BAND_COLOURS = {"red": "#d62728", "yellow": "#e7ba52", "green": "#2ca02c"}
# Table cells of a band column are shaded in the band's colour (lighter, so the text reads).
HEALTH_BAND_CELL_COLOURS = {"red": "#f4b6b6", "yellow": "#f9e4a6", "green": "#bfe3bf"}
TOUCH_TIER_ORDER = ["high_touch", "low_touch", "tech_touch"]
# Tiers keep one colour on every chart, and "all" (the company) is dark grey; none of them is a
# health band colour.
TOUCH_TIER_COLOURS = {
    "all": "#333333",
    "high_touch": "#1f77b4",
    "low_touch": "#ff7f0e",
    "tech_touch": "#9467bd",
}
# Escalation types keep their own colours too, apart from the tiers' they share a page with.
ESCALATION_TYPE_COLOURS = {"trouble": "#8c564b", "opportunity": "#17becf"}
# Any other set of series (measures, teams, outcomes): distinct colours, none of them a band, tier
# or escalation-type colour, so a line is never mistaken for "red accounts" or a tier.
SERIES_COLOURS = [
    "#393b79",
    "#e377c2",
    "#bcbd22",
    "#7b4173",
    "#8c6d31",
    "#6baed6",
    "#9c9ede",
    "#7f7f7f",
]

# Up to this many periods per series a line also marks each point (monthly series); weekly
# series would be a smear of dots.
MAX_PERIODS_WITH_POINTS = 60
# Small charts render as SVG in Streamlit, so every mark is an element with an ARIA label; saying
# so explicitly keeps it that way for larger charts too (the browser test reads those marks).
SVG_RENDERER = {"embedOptions": {"renderer": "svg"}}


# --- values -----------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, Decimal) and value.is_nan())
    )


def money(value: object) -> str:
    """1234567.8 -> '$1,234,568'; -20 -> '-$20' (U+2212 minus); missing -> 'n/a'."""
    if is_missing(value):
        return MISSING_VALUE
    # Half a dollar rounds away from zero, as D3 does in the charts.
    amount = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    sign = MINUS if amount < 0 else ""
    return f"{sign}{CURRENCY_SYMBOL}{abs(amount):,.0f}"


def percent(value: object) -> str:
    """0.9534 -> '95.3%'; missing (a ratio whose denominator was zero) -> 'n/a'."""
    if is_missing(value):
        return MISSING_VALUE
    shown = f"{float(value) * 100:.1f}%"
    return shown.replace("-", MINUS)


def count(value: object) -> str:
    """1234 -> '1,234'; missing -> 'n/a'."""
    if is_missing(value):
        return MISSING_VALUE
    return f"{int(value):,}".replace("-", MINUS)


def ratio(value: object) -> str:
    """A plain ratio, two decimals: 2.3456 -> '2.35'; missing -> 'n/a'."""
    if is_missing(value):
        return MISSING_VALUE
    return f"{float(value):,.2f}"


def month_label(value: object) -> str:
    """A month-start date as 'Oct 2026'."""
    return pd.Timestamp(value).strftime("%b %Y")


def date_label(value: object) -> str:
    """A date as '2026-10-19'; missing -> 'n/a'."""
    if is_missing(value):
        return MISSING_VALUE
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def band_cell_style(band: object) -> str:
    """The CSS of a table cell holding a health band: shaded in the band's colour."""
    colour = None if is_missing(band) else HEALTH_BAND_CELL_COLOURS.get(str(band))
    return f"background-color: {colour}" if colour else ""


# --- tables -----------------------------------------------------------------------------------

COLUMN_KINDS = (
    "text",
    "band",
    "money",
    "percent",
    "count",
    "number",
    "score",
    "month",
    "date",
    "time",
)


@dataclass(frozen=True)
class TableColumn:
    """How one mart column appears in a table: its heading and its kind of value."""

    label: str
    kind: str = "text"
    decimals: int = 0

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"column kind {self.kind!r} is not one of {COLUMN_KINDS}")


def text(label: str) -> TableColumn:
    return TableColumn(label)


def band_column(label: str) -> TableColumn:
    """A health band (red, yellow, green), its cell shaded in the band's colour."""
    return TableColumn(label, "band")


def money_column(label: str) -> TableColumn:
    return TableColumn(label, "money")


def percent_column(label: str) -> TableColumn:
    return TableColumn(label, "percent")


def count_column(label: str) -> TableColumn:
    return TableColumn(label, "count")


def number_column(label: str, decimals: int = 0) -> TableColumn:
    return TableColumn(label, "number", decimals)


def score_column(label: str) -> TableColumn:
    """A 0-100 health score drawn as a bar."""
    return TableColumn(label, "score")


def month_column(label: str) -> TableColumn:
    return TableColumn(label, "month")


def date_column(label: str) -> TableColumn:
    return TableColumn(label, "date")


def time_column(label: str) -> TableColumn:
    """A UTC timestamp, to the minute."""
    return TableColumn(label, "time")


def _column_config(column: TableColumn) -> object:
    match column.kind:
        case "money" | "percent" | "count" | "number":
            # Written by the Styler (show_table); the column only aligns and sorts as numbers.
            return st.column_config.NumberColumn(column.label)
        case "score":
            return st.column_config.ProgressColumn(
                column.label, min_value=0, max_value=100, format="%.0f"
            )
        case "month":
            return st.column_config.DateColumn(column.label, format=MONTH_TABLE_FORMAT)
        case "date":
            return st.column_config.DateColumn(column.label, format=DATE_TABLE_FORMAT)
        case "time":
            return st.column_config.DatetimeColumn(column.label, format="YYYY-MM-DD HH:mm")
        case _:
            return st.column_config.TextColumn(column.label)


def cell_formatter(column: TableColumn):
    """The function that writes a cell of a numeric column, or None for the other kinds."""
    match column.kind:
        case "money":
            return money
        case "percent":
            return percent
        case "count":
            return count
        case "number":
            return lambda value: f"{float(value):,.{column.decimals}f}".replace("-", MINUS)
        case _:
            return None


def table_frame(frame: pd.DataFrame, columns: Mapping[str, TableColumn]) -> pd.DataFrame:
    """The frame a table shows: the listed columns in order, numbers as floats (not Decimals)."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise KeyError(f"table columns {missing} are not in the frame ({list(frame.columns)})")
    shown = frame[list(columns)].copy()
    for name, column in columns.items():
        if column.kind in ("money", "percent", "number", "score"):
            shown[name] = pd.to_numeric(shown[name].map(_float_or_nan), errors="coerce")
        if column.kind == "count":
            shown[name] = pd.to_numeric(shown[name], errors="coerce").astype("Int64")
    return shown


def table_styler(frame: pd.DataFrame, columns: Mapping[str, TableColumn]):
    """The table's Styler: numbers written by the dashboard's formats, band cells shaded."""
    shown = table_frame(frame, columns)
    styler = shown.style
    for name, column in columns.items():
        formatter = cell_formatter(column)
        if formatter is not None:
            styler = styler.format(formatter, subset=[name], na_rep=EMPTY_CELL)
    bands = [name for name, column in columns.items() if column.kind == "band"]
    if bands:
        styler = styler.map(band_cell_style, subset=bands)
    return styler


def _float_or_nan(value: object) -> float:
    return math.nan if is_missing(value) else float(value)


def show_table(frame: pd.DataFrame, columns: Mapping[str, TableColumn], **options: object) -> None:
    """A table with the dashboard's formats; only the listed columns, in the listed order."""
    st.dataframe(
        table_styler(frame, columns),
        hide_index=True,
        placeholder=EMPTY_CELL,
        column_config={name: _column_config(column) for name, column in columns.items()},
        **options,
    )


# --- empty states -----------------------------------------------------------------------------


def stop_when_empty(frame: pd.DataFrame, what: str) -> None:
    """The mart itself has no rows: say the warehouse needs building and end the page."""
    if frame.empty:
        st.warning(
            f"The warehouse has no {what} yet. Build it with `make demo` "
            "(or `cswh run`), then reload this page."
        )
        st.stop()


def describe_filters(filters: Mapping[str, object]) -> str:
    """{'CSM': 'Ann', 'tier': ['low_touch']} -> 'CSM = Ann, tier = low_touch' (unset ones out)."""
    parts = []
    for name, value in filters.items():
        if value is None or value == "" or (isinstance(value, list | tuple | set) and not value):
            continue
        if isinstance(value, list | tuple | set):
            value = " or ".join(str(item) for item in value)
        parts.append(f"{name} = {value}")
    return ", ".join(parts) if parts else "none"


def no_match_message(what: str, filters: Mapping[str, object]) -> str:
    return f"No {what} match the filters: {describe_filters(filters)}. Widen or clear a filter."


def nothing_matches(frame: pd.DataFrame, what: str, filters: Mapping[str, object]) -> bool:
    """After filtering: say the filters, not the warehouse, left nothing. True when empty."""
    if frame.empty:
        st.info(no_match_message(what, filters))
        return True
    return False


def stop_when_nothing_matches(frame: pd.DataFrame, what: str, filters: Mapping[str, object]):
    """As nothing_matches, then end the page (every later element would be empty too)."""
    if nothing_matches(frame, what, filters):
        st.stop()


# --- charts -----------------------------------------------------------------------------------


def band_scale() -> alt.Scale:
    return alt.Scale(domain=HEALTH_BANDS, range=[HEALTH_BAND_COLOURS[b] for b in HEALTH_BANDS])


def touch_tier_scale(with_company: bool = True) -> alt.Scale:
    """Colour scale of the tiers, with or without the company-wide "all" series."""
    tiers = [tier for tier in TOUCH_TIER_COLOURS if with_company or tier != "all"]
    return alt.Scale(domain=tiers, range=[TOUCH_TIER_COLOURS[tier] for tier in tiers])


def escalation_type_scale() -> alt.Scale:
    return alt.Scale(
        domain=list(ESCALATION_TYPE_COLOURS), range=list(ESCALATION_TYPE_COLOURS.values())
    )


def series_scale(series: Iterable[object]) -> alt.Scale:
    """Distinct colours for named series, in the order given (up to ten, then they repeat)."""
    domain = list(dict.fromkeys(str(name) for name in series))
    colours = [SERIES_COLOURS[index % len(SERIES_COLOURS)] for index in range(len(domain))]
    return alt.Scale(domain=domain, range=colours)


def dated_axis() -> alt.Axis:
    """Axis labels of a time axis carry the year ('Jan 2026'); overlapping labels are dropped."""
    return alt.Axis(format=MONTH_D3_FORMAT, labelAngle=-40, labelOverlap=True)


def month_axis(title: str | None = None) -> alt.X:
    """A monthly time axis of month_start_date, one band per month, labelled 'Jan 2026'."""
    return alt.X("yearmonth(month_start_date):T", title=title, axis=dated_axis())


def time_axis(column: str, title: str | None = None) -> alt.X:
    """A time axis (weeks or months) whose labels carry the year: 'Jan 2026'."""
    return alt.X(f"{column}:T", title=title, axis=dated_axis())


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
    period: str = "month",
) -> alt.Chart:
    """A line per series over time; monthly series also mark each point.

    Without a colour scale, the series get distinct colours (series_scale) in the frame's order.
    """
    period_format = MONTH_D3_FORMAT if period == "month" else f"week of {DATE_D3_FORMAT}"
    encoding = {
        "x": time_axis(date_column),
        "y": alt.Y(f"{value_column}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        "tooltip": [
            alt.Tooltip(f"{date_column}:T", title=period, format=period_format),
            alt.Tooltip(f"{value_column}:Q", title=value_title, format=value_format),
        ],
    }
    if colour_column:
        scale = colour_scale or series_scale(frame[colour_column])
        encoding["color"] = alt.Color(f"{colour_column}:N", title=colour_title, scale=scale)
        encoding["tooltip"].insert(0, alt.Tooltip(f"{colour_column}:N", title=colour_title))
    with_points = frame[date_column].nunique() <= MAX_PERIODS_WITH_POINTS
    # A period without a value (a ratio with a zero denominator) breaks the line there rather
    # than bridging it.
    line = alt.Chart(frame).mark_line(point=with_points, invalid="break-paths-show-domains")
    return line.encode(**encoding).properties(height=280)
