"""BI types: every mart column has a type BI tools and pandas read as the number it is.

Checks a built warehouse's schema ``marts`` (every domain, not only finance):

- no HUGEINT: DuckDB types ``sum()`` of integers as a 128-bit HUGEINT, which most BI tools,
  drivers and Parquet cannot hold; counts must be BIGINT;
- money is a fixed decimal of at most 18 digits (the marts' ``type_money()``, decimal(18, 4)),
  never a float or double, and never the DECIMAL(38, s) of a raw ``sum()`` of decimals, which
  BI tools with 64-bit decimals cannot read;
- rates and ratios are DOUBLE (``type_ratio()``), all of them;
- the Parquet export of the marts (what BI tools without DuckDB read) gives pandas money it can
  do arithmetic on: sums, differences, means and multiples of money columns work, as Decimal or
  float, and with ``dtype_backend="pyarrow"`` money mixes with ratios too.

Money and ratio columns are told by name (the marts' naming: ``*_mrr``, ``*_arr``, ``arpa``,
``*_rate``, ``*_share``, ``*_retention*`` ...); see MONEY_COLUMNS and RATIO_WORDS.

The warehouse checked is the shared sample (conftest.py's ``sample``), only read.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sample_warehouse import Sample

from cswh.export import MART_SCHEMA, export_marts

# A name token that makes a column money: MRR, ARR and ARPA in any position (mrr, closing_arr,
# renewal_mrr_change, mrr_in_billing_currency) ...
MONEY_TOKENS = {"mrr", "arr", "arpa"}
# ... and the money columns named otherwise.
MONEY_COLUMNS = {
    "invoiced_total",
    "invoiced_recurring",
    "invoiced_proration",
    "invoiced_one_off",
    "invoiced_credit",
    "recognised_recurring",
    "prepayment_timing",
    "mid_month_change_timing",
    "unexplained_difference",
    "customer_lifetime_value",
    "cumulative_revenue_per_account",
    "renewal_quota_for_month",
}
# A name token that makes a column a rate or ratio, even when it names money (mrr_share,
# unexplained_share_of_mrr, book_net_revenue_retention_12m).
RATIO_WORDS = {"rate", "ratio", "share", "retention", "attainment", "lift"}
MAX_MONEY_PRECISION = 18
DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def is_ratio(column: str) -> bool:
    return not column.endswith("_id") and bool(RATIO_WORDS & set(column.split("_")))


def is_money(column: str) -> bool:
    if is_ratio(column) or column.endswith("_id"):
        return False
    return column in MONEY_COLUMNS or bool(MONEY_TOKENS & set(column.split("_")))


@pytest.fixture(scope="module")
def warehouse(sample: Sample) -> Path:
    return sample.warehouse


@pytest.fixture(scope="module")
def mart_columns(warehouse: Path) -> list[tuple[str, str, str]]:
    """(mart, column, DuckDB type) of every column of every mart."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position",
            [MART_SCHEMA],
        ).fetchall()
    assert rows, f"{warehouse} has no marts"
    return rows


def test_the_column_names_are_told_apart() -> None:
    assert is_money("closing_mrr") and is_money("arr") and is_money("mrr_in_billing_currency")
    assert is_money("renewal_mrr_change") and is_money("arpa") and is_money("invoiced_total")
    assert not is_money("mrr_share") and is_ratio("mrr_share")
    assert not is_money("unexplained_share_of_mrr")
    assert is_ratio("net_revenue_retention_12m") and is_ratio("logo_churn_rate")
    assert not is_money("seats") and not is_money("opening_customers")
    assert not is_money("array_size") and not is_money("carry")
    assert not is_money("mrr_movement_id")


def test_no_mart_column_is_hugeint(mart_columns: list[tuple[str, str, str]]) -> None:
    hugeint = [
        f"{mart}.{column}"
        for mart, column, data_type in mart_columns
        if data_type in ("HUGEINT", "UHUGEINT")
    ]
    assert not hugeint, f"HUGEINT columns (cast counts to bigint): {hugeint}"


def test_money_is_a_fixed_decimal_of_at_most_18_digits(
    mart_columns: list[tuple[str, str, str]],
) -> None:
    money = [
        (mart, column, data_type) for mart, column, data_type in mart_columns if is_money(column)
    ]
    assert len(money) >= 20, "the marts lost their money columns: check the name rules"
    wrong = []
    for mart, column, data_type in money:
        match = DECIMAL_TYPE.fullmatch(data_type)
        if match is None or int(match.group(1)) > MAX_MONEY_PRECISION:
            wrong.append(f"{mart}.{column} {data_type}")
    assert not wrong, f"money not decimal(<=18, s) (cast with type_money()): {wrong}"


def test_ratios_are_double(mart_columns: list[tuple[str, str, str]]) -> None:
    ratios = [
        (mart, column, data_type) for mart, column, data_type in mart_columns if is_ratio(column)
    ]
    assert ratios
    wrong = [
        f"{mart}.{column} {data_type}"
        for mart, column, data_type in ratios
        if data_type != "DOUBLE"
    ]
    assert not wrong, f"ratios not DOUBLE (cast with type_ratio()): {wrong}"


@pytest.fixture(scope="module")
def parquet_export(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The marts exported as BI tools get them (cswh export), into a temporary folder."""
    export_dir = tmp_path_factory.mktemp("bi-types") / "parquet"
    result = export_marts(warehouse, export_dir=export_dir)
    assert result.marts
    return export_dir


def test_pandas_does_arithmetic_on_exported_money(
    parquet_export: Path, mart_columns: list[tuple[str, str, str]]
) -> None:
    money_by_mart: dict[str, list[str]] = {}
    for mart, column, _ in mart_columns:
        if is_money(column):
            money_by_mart.setdefault(mart, []).append(column)
    checked = 0
    for mart, columns in money_by_mart.items():
        frame = pd.read_parquet(parquet_export / mart)
        for column in columns:
            values = frame[column]
            total = values.sum()
            assert isinstance(total, Decimal | float | int), (mart, column, type(total))
            difference = (values - values.fillna(0)).dropna()
            assert all(value == 0 for value in difference), (mart, column)
            annual = (values.dropna() * 12).sum()
            assert float(annual) == pytest.approx(float(total) * 12, rel=1e-9, abs=1e-6)
            if values.notna().any():
                assert float(values.mean()) == pytest.approx(
                    float(total) / int(values.notna().sum()), rel=1e-9, abs=1e-6
                )
            assert values.astype(float).sum() == pytest.approx(float(total), rel=1e-9, abs=1e-6)
            checked += 1
        # Two money columns of a row subtract (a waterfall's closing - opening).
        if len(columns) >= 2:
            spread = (frame[columns[0]] - frame[columns[1]]).dropna()
            assert isinstance(spread.sum(), Decimal | float | int)
    assert checked >= 20


def test_pandas_with_arrow_types_mixes_money_and_ratios(parquet_export: Path) -> None:
    """NRR x starting MRR: money (decimal) times a ratio (double) works on Arrow types."""
    frame = pd.read_parquet(
        parquet_export / "rpt_churn_retention_monthly", dtype_backend="pyarrow"
    ).dropna(subset=["net_revenue_retention_12m"])
    assert len(frame), "no month with a 12-month NRR in the sample"
    current = frame["starting_mrr_12m"] * frame["net_revenue_retention_12m"]
    expected = frame["current_mrr_12m"].astype(float)
    for got, want in zip(current.astype(float), expected, strict=True):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-4)
    closing = frame["opening_mrr"] - frame["churned_mrr"]
    assert str(closing.dtype).startswith("decimal128")
