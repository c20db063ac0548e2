"""The dashboard's formats and data shaping on hand-made frames (no browser, no warehouse).

dashboard/ is not a package (Streamlit runs its scripts from that folder), so the tests put it on
the import path as Streamlit does.
"""

from __future__ import annotations

import math
import re
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
sys.path.insert(0, str(DASHBOARD))

import presentation  # noqa: E402
import shaping  # noqa: E402
from presentation import (  # noqa: E402
    count_column,
    describe_filters,
    money,
    money_column,
    month_label,
    no_match_message,
    percent,
    percent_column,
    ratio,
    table_frame,
    text,
)

# --- one money format, one percent format ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1234567.8, "$1,234,568"),
        (0.4, "$0"),
        (2.5, "$3"),
        (-20.5, "\u2212$21"),
        (Decimal("35445.50"), "$35,446"),
        (None, "n/a"),
        (float("nan"), "n/a"),
        (pd.NA, "n/a"),
    ],
)
def test_money_is_whole_dollars_with_thousands_separators(value: object, shown: str) -> None:
    assert money(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.9534, "95.3%"),
        (1.2, "120.0%"),
        (0, "0.0%"),
        (Decimal("0.5"), "50.0%"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_percent_is_one_decimal_of_the_fraction(value: object, shown: str) -> None:
    assert percent(value) == shown


def test_charts_are_given_the_d3_twins_of_the_python_formats() -> None:
    # D3 writes "$,.0f" as "$1,235" and "-$1,235" with U+2212, ".1%" as "95.3%", "%b %Y" as
    # "Jan 2026": what money(), percent() and month_label() write.
    assert presentation.MONEY_D3_FORMAT == "$,.0f"
    assert presentation.PERCENT_D3_FORMAT == ".1%"
    assert presentation.MONTH_D3_FORMAT == "%b %Y"
    assert presentation.MONTH_TABLE_FORMAT == "MMM YYYY"


def test_month_labels_carry_the_year_and_ratios_two_decimals() -> None:
    assert month_label(pd.Timestamp("2026-01-01")) == "Jan 2026"
    assert ratio(2.3456) == "2.35"
    assert ratio(None) == "n/a"


VIEWS = sorted((DASHBOARD / "views").glob("*.py"))
# Every number in a view goes through presentation: no format of its own.
OWN_FORMATS = {
    "a Streamlit named format": re.compile(r'format="(dollar|percent|accounting|compact)"'),
    "a D3 money or percent format": re.compile(r'format="(\$[^"]*|[.,0-9]*%)"'),
    "a table outside show_table": re.compile(r"st\.dataframe\(|NumberColumn\("),
    "a date format of its own": re.compile(r'strftime\(|format="%'),
}


@pytest.mark.parametrize("view", VIEWS, ids=lambda path: path.stem)
def test_views_use_the_shared_formats_only(view: Path) -> None:
    source = view.read_text()
    found = [name for name, pattern in OWN_FORMATS.items() if pattern.search(source)]
    assert not found, f"{view.name} uses {found}; use presentation's formats"


def test_table_frame_converts_decimals_and_keeps_the_listed_columns() -> None:
    frame = pd.DataFrame(
        {
            "account": ["a", "b"],
            "arr": [Decimal("1200.50"), None],
            "rate": [0.5, None],
            "accounts": [3, 4],
            "unlisted": [1, 2],
        }
    )
    shown = table_frame(
        frame,
        {
            "rate": percent_column("rate"),
            "account": text("account"),
            "arr": money_column("ARR"),
            "accounts": count_column("accounts"),
        },
    )
    assert list(shown.columns) == ["rate", "account", "arr", "accounts"]
    assert shown.rate.iloc[0] == 0.5 and math.isnan(shown.rate.iloc[1])
    assert shown.arr.dtype == "float64" and shown.arr.iloc[0] == 1200.5
    assert math.isnan(shown.arr.iloc[1])
    assert list(shown.accounts) == [3, 4]
    assert frame.rate.iloc[0] == 0.5, "the page's own frame is not changed"


def test_table_cells_are_written_by_the_same_formats_as_the_metrics() -> None:
    frame = pd.DataFrame(
        {
            "arr": [1234.5, -20.0, None],
            "rate": [0.9534, None, 1.0],
            "accounts": [1200, 3, None],
            "band": ["red", "green", None],
        }
    )
    styler = presentation.table_styler(
        frame,
        {
            "arr": money_column("ARR"),
            "rate": percent_column("rate"),
            "accounts": count_column("accounts"),
            "band": presentation.band_column("band"),
        },
    )
    html = styler.to_html()
    for shown in ("$1,235", "\u2212$20", "95.3%", "100.0%", "1,200", presentation.EMPTY_CELL):
        assert shown in html, shown
    assert "background-color: #f4b6b6" in html
    # The values underneath stay numbers, so a column sorts by value, not by its text.
    assert styler.data.arr.dtype == "float64"


def test_table_frame_names_a_missing_column_and_a_kind_it_does_not_know() -> None:
    with pytest.raises(KeyError, match="arr"):
        table_frame(pd.DataFrame({"account": ["a"]}), {"arr": money_column("ARR")})
    with pytest.raises(ValueError, match="kind 'euros'"):
        presentation.TableColumn("ARR", "euros")


def test_empty_states_name_the_filters_not_the_warehouse() -> None:
    filters = {"CSM": "Ann Lee", "tier": ["low_touch", "tech_touch"], "band": [], "play": None}
    assert describe_filters(filters) == "CSM = Ann Lee, tier = low_touch or tech_touch"
    message = no_match_message("accounts", filters)
    assert message.startswith("No accounts match the filters: CSM = Ann Lee, tier = ")
    assert "make demo" not in message
    assert describe_filters({"CSM": None}) == "none"


def test_series_get_distinct_colours_none_of_them_a_health_band_colour() -> None:
    scale = presentation.series_scale(["NRR", "GRR", "NRR", "logo"]).to_dict()
    assert scale["domain"] == ["NRR", "GRR", "logo"]
    assert len(set(scale["range"])) == 3
    assert not set(presentation.SERIES_COLOURS) & set(presentation.HEALTH_BAND_COLOURS.values())
    assert len(set(presentation.SERIES_COLOURS)) == len(presentation.SERIES_COLOURS)
    # Bands, tiers, escalation types and other series share pages: no colour means two things.
    palettes = [
        set(presentation.SERIES_COLOURS),
        set(presentation.HEALTH_BAND_COLOURS.values()),
        set(presentation.TOUCH_TIER_COLOURS.values()),
        set(presentation.ESCALATION_TYPE_COLOURS.values()),
    ]
    assert sum(len(palette) for palette in palettes) == len(set().union(*palettes))


def test_band_cells_are_shaded_by_band() -> None:
    assert presentation.band_cell_style("red") == "background-color: #f4b6b6"
    assert presentation.band_cell_style(None) == ""
    assert presentation.band_cell_style("unscored") == ""


# --- data shaping ----------------------------------------------------------------------------


def month(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_fill_month_spine_keeps_months_without_movement_at_zero() -> None:
    frame = pd.DataFrame(
        {
            "month_start_date": [month("2026-01-01"), month("2026-04-01")],
            "renewals_due": [2, 1],
            "renewal_rate": [0.5, 1.0],
        }
    )
    filled = shaping.fill_month_spine(frame, "month_start_date", ["renewals_due"])
    assert list(filled.month_start_date) == [
        month("2026-01-01"),
        month("2026-02-01"),
        month("2026-03-01"),
        month("2026-04-01"),
    ]
    assert list(filled.renewals_due) == [2, 0, 0, 1]
    # A month with nothing due has no rate: it stays undefined, not 0 %.
    assert filled.renewal_rate.isna().tolist() == [False, True, True, False]


def test_fill_month_spine_fills_each_group_over_the_given_range() -> None:
    frame = pd.DataFrame(
        {
            "tier": ["low", "high"],
            "month_start_date": [month("2026-02-01"), month("2026-03-01")],
            "escalations": [3, 1],
        }
    )
    filled = shaping.fill_month_spine(
        frame,
        "month_start_date",
        ["escalations"],
        group_columns=["tier"],
        start="2026-01-15",
        end="2026-03-31",
    )
    assert len(filled) == 6
    by_tier = filled.pivot(index="month_start_date", columns="tier", values="escalations")
    assert by_tier["low"].tolist() == [0, 3, 0]
    assert by_tier["high"].tolist() == [0, 0, 1]


def test_fill_month_spine_by_week_uses_monday_weeks() -> None:
    frame = pd.DataFrame(
        {"week_start_date": [month("2026-01-05"), month("2026-01-19")], "tickets": [4, 2]}
    )
    filled = shaping.fill_month_spine(frame, "week_start_date", ["tickets"], period="week")
    assert list(filled.week_start_date) == [
        month("2026-01-05"),
        month("2026-01-12"),
        month("2026-01-19"),
    ]
    assert list(filled.tickets) == [4, 0, 2]
    with pytest.raises(ValueError, match="period 'year'"):
        shaping.period_start(frame.week_start_date, "year")


def test_fill_month_spine_of_nothing_is_nothing() -> None:
    empty = pd.DataFrame({"month_start_date": [], "mrr": []})
    assert shaping.fill_month_spine(empty, "month_start_date", ["mrr"]).empty


def test_decimals_become_floats_other_columns_stay() -> None:
    frame = pd.DataFrame(
        {
            "mrr": [Decimal("10.25"), None],
            "name": ["a", "b"],
            "count": [1, 2],
        }
    )
    converted = shaping.decimals_to_float(frame)
    assert converted.mrr.dtype == "float64"
    assert converted.mrr.iloc[0] == 10.25 and math.isnan(converted.mrr.iloc[1])
    assert converted.name.tolist() == ["a", "b"]
    assert converted["count"].dtype == frame["count"].dtype


def test_the_book_filter_keeps_one_csms_accounts_or_all() -> None:
    frame = pd.DataFrame({"account_id": ["a", "b", "c"], "owner_csm_id": ["x", "y", "x"]})
    assert shaping.filter_to_book(frame, "x").account_id.tolist() == ["a", "c"]
    assert shaping.filter_to_book(frame, None) is frame
    assert shaping.filter_to_book(frame, "nobody").empty
    assert shaping.filter_in(frame, "owner_csm_id", ["y"]).account_id.tolist() == ["b"]
    assert shaping.filter_in(frame, "owner_csm_id", []) is frame


def test_due_within_counts_days_from_today_inclusive() -> None:
    frame = pd.DataFrame({"days_until_renewal": [0, 30, 31, 60, 90, -1]})
    assert shaping.due_within(frame, 30).days_until_renewal.tolist() == [0, 30]
    assert shaping.due_within(frame, 90).days_until_renewal.tolist() == [0, 30, 31, 60, 90]


def test_arr_by_band_keeps_every_band_and_adds_up() -> None:
    accounts = pd.DataFrame(
        {
            "health_band": ["red", "green", "green", None],
            "arr": [Decimal("1000"), 3000.0, 4000.0, 2000.0],
        }
    )
    by_band = shaping.arr_by_band(accounts)
    assert by_band.health_band.tolist() == ["red", "yellow", "green", "unscored"]
    assert by_band.arr.tolist() == [1000.0, 0.0, 7000.0, 2000.0]
    assert by_band.accounts.tolist() == [1, 0, 2, 1]
    assert by_band.arr_share.tolist() == [0.1, 0.0, 0.7, 0.2]
