"""Writing extract files: typed Arrow tables, CSV text per the landing contract, Parquet.

CSV: header row, comma-delimited, UTF-8, ``\\n`` line ends, a field quoted only when it holds a
comma, quote or line break (quotes doubled), empty field = null; integers plain, decimals with two
decimals, booleans true/false, dates YYYY-MM-DD, timestamps like 2024-03-05T14:03:22Z. The text
is built with Arrow compute kernels, which keeps millions of usage rows fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cswh.contracts import Column, Entity
from cswh.generate.timeline import NULL_DATE, NULL_INT, NULL_TS

DECIMAL_TYPE = pa.decimal128(18, 2)
RATE_TYPE = pa.decimal128(24, 8)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_NEEDS_QUOTES = r'[",\n\r]'


def arrow_column(column: Column, values: np.ndarray) -> pa.Array:
    """Typed Arrow array of one contract column from its simulation representation."""
    kind = column.type
    if kind == "string":
        return pa.array(values, type=pa.string())
    if kind == "integer":
        values = np.asarray(values, dtype=np.int64)
        return pa.array(values, type=pa.int64(), mask=values == NULL_INT)
    if kind in ("decimal", "rate"):
        values = np.asarray(values, dtype=np.float64)
        missing = np.isnan(values)
        arrow_type = DECIMAL_TYPE if kind == "decimal" else RATE_TYPE
        rounded = np.round(values, arrow_type.scale)
        return pa.array(np.where(missing, 0.0, rounded), mask=missing).cast(arrow_type, safe=False)
    if kind == "boolean":
        return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())
    if kind == "date":
        values = np.asarray(values, dtype=np.int32)
        return pa.array(values, type=pa.int32(), mask=values == NULL_DATE).cast(pa.date32())
    if kind == "timestamp":
        values = np.asarray(values, dtype=np.int64)
        array = pa.array(values, type=pa.int64(), mask=values == NULL_TS)
        return array.cast(pa.timestamp("s"))
    raise ValueError(f"unknown column type {kind}")


def arrow_table(entity: Entity, columns: dict[str, np.ndarray]) -> pa.Table:
    arrays = [arrow_column(column, columns[column.name]) for column in entity.columns]
    return pa.Table.from_arrays(arrays, names=entity.column_names)


def _csv_text(array: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(array.type):
        return pc.strftime(array, format=TIMESTAMP_FORMAT)
    text = array.cast(pa.string())
    if (
        pa.types.is_string(array.type)
        and len(text)
        and pc.any(pc.match_substring_regex(text, _NEEDS_QUOTES)).as_py()
    ):
        needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        text = pc.if_else(needs, quoted, text)
    return text


def csv_bytes(table: pa.Table) -> bytes:
    header = (",".join(table.column_names) + "\n").encode("utf-8")
    if table.num_rows == 0:
        return header
    texts = [_csv_text(column.combine_chunks()) for column in table.columns]
    lines = pc.binary_join_element_wise(*texts, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return header + lines.buffers()[2].to_pybytes()[first:last]


def parquet_table(table: pa.Table) -> pa.Table:
    """Parquet carries real types: timestamps as microseconds in UTC."""
    arrays = []
    for array in table.columns:
        if pa.types.is_timestamp(array.type):
            array = array.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=table.column_names)


def write_table(table: pa.Table, path: Path, file_format: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        path.write_bytes(csv_bytes(table))
    elif file_format == "parquet":
        pq.write_table(parquet_table(table), path, compression="zstd")
    else:
        raise ValueError(f"unknown file format {file_format!r}: use csv or parquet")
