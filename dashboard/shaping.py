"""Data shaping for the dashboard pages: pure pandas, no Streamlit, unit-tested on small frames.

Nothing here defines a metric. These helpers fill gaps the charts need (months without movement),
keep the rows a filter asks for, and group rows a page shows side by side (ARR by health band);
the one arithmetic step, net new MRR, is the waterfall's own identity (closing minus opening).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

import pandas as pd

HEALTH_BANDS = ["red", "yellow", "green"]


def decimals_to_float(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding Decimal objects (money as decimal(18,2)) become float64 for the charts.

    DuckDB hands most decimals to pandas as floats already; wide ones, and other drivers, give
    Python Decimals, which Altair and arithmetic on mixed columns do not take.
    """
    converted = frame.copy()
    for name in converted.columns:
        column = converted[name]
        if column.dtype != object:
            continue
        values = column.dropna()
        if len(values) and all(isinstance(value, Decimal) for value in values):
            converted[name] = pd.to_numeric(column.map(_decimal_to_float), errors="coerce")
    return converted


def _decimal_to_float(value: object) -> float | None:
    return None if value is None or value is pd.NA else float(value)


PERIODS = ("month", "week")


def period_start(dates: pd.Series, period: str) -> pd.Series:
    """Each date's month start, or its week start (weeks start on Monday, as in the marts)."""
    dates = pd.to_datetime(dates)
    if period == "month":
        return dates.dt.to_period("M").dt.to_timestamp()
    if period == "week":
        return dates.dt.normalize() - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    raise ValueError(f"period {period!r} is not one of {PERIODS}")


def period_spine(start: object, end: object, period: str = "month") -> pd.DatetimeIndex:
    """Every month (or Monday-week) start from start's period to end's period, both included."""
    first, last = period_start(pd.Series([pd.Timestamp(start), pd.Timestamp(end)]), period)
    return pd.date_range(first, last, freq="MS" if period == "month" else "W-MON")


def month_spine(start: object, end: object) -> pd.DatetimeIndex:
    """Every month start from start's month to end's month, both included."""
    return period_spine(start, end, "month")


def fill_month_spine(
    frame: pd.DataFrame,
    date_column: str,
    value_columns: Sequence[str],
    group_columns: Sequence[str] = (),
    start: object | None = None,
    end: object | None = None,
    period: str = "month",
) -> pd.DataFrame:
    """Give every group a row for every month from start to end; missing counts become 0.

    A month without movement is a month with zero movement, and it stays on the axis. Only the
    value_columns are zero-filled (counts, amounts); any other column of an added row is empty,
    so a rate of a month with nothing due stays undefined rather than 0%. start and end default
    to the frame's first and last month; the groups are those present in the frame. With
    period="week" the same is done for Monday-weeks.
    """
    if frame.empty and (start is None or end is None):
        return frame.copy()
    dates = pd.to_datetime(frame[date_column])
    periods = period_spine(
        dates.min() if start is None else start, dates.max() if end is None else end, period
    )
    # One time resolution on both sides of the merge (DuckDB dates arrive in microseconds).
    keyed = frame.assign(**{date_column: period_start(dates, period).astype("datetime64[ns]")})
    spine = pd.DataFrame({date_column: periods.astype("datetime64[ns]")})
    if group_columns:
        groups = keyed[list(group_columns)].drop_duplicates()
        spine = groups.merge(spine, how="cross")
    keys = [*group_columns, date_column]
    filled = spine.merge(keyed, on=keys, how="left")
    for column in value_columns:
        filled[column] = pd.to_numeric(filled[column], errors="coerce").fillna(0)
    return filled.sort_values(keys, ignore_index=True)


def filter_to_book(
    frame: pd.DataFrame, csm_id: str | None, owner_column: str = "owner_csm_id"
) -> pd.DataFrame:
    """The rows of one CSM's book (accounts they own today); every row when no CSM is chosen."""
    if csm_id is None:
        return frame
    return frame[frame[owner_column] == csm_id]


def filter_in(frame: pd.DataFrame, column: str, chosen: Iterable[object] | None) -> pd.DataFrame:
    """Rows whose column is one of the chosen values; every row when nothing is chosen."""
    chosen = list(chosen or [])
    if not chosen:
        return frame
    return frame[frame[column].isin(chosen)]


def due_within(frame: pd.DataFrame, days: int, column: str = "days_until_renewal") -> pd.DataFrame:
    """Renewals due in the next `days` days (0 to days, both included)."""
    return frame[(frame[column] >= 0) & (frame[column] <= days)]


def arr_by_band(
    accounts: pd.DataFrame, arr_column: str = "arr", band_column: str = "health_band"
) -> pd.DataFrame:
    """ARR and accounts per health band, every band present (0 when no account is in it).

    Accounts without a band (not scored yet) are their own row, "unscored", so the bands add up
    to the ARR of the accounts shown.
    """
    grouped = (
        accounts.assign(
            **{
                band_column: accounts[band_column].fillna("unscored"),
                arr_column: pd.to_numeric(accounts[arr_column], errors="coerce").fillna(0.0),
            }
        )
        .groupby(band_column, as_index=False)
        .agg(arr=(arr_column, "sum"), accounts=(arr_column, "size"))
    )
    bands = [*HEALTH_BANDS, *sorted(set(grouped[band_column]) - set(HEALTH_BANDS))]
    frame = pd.DataFrame({band_column: bands}).merge(grouped, on=band_column, how="left")
    frame["arr"] = frame["arr"].fillna(0.0)
    frame["accounts"] = frame["accounts"].fillna(0).astype(int)
    total = frame["arr"].sum()
    frame["arr_share"] = frame["arr"] / total if total else float("nan")
    return frame.rename(columns={band_column: "health_band"})
