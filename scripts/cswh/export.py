"""Parquet exports of the marts, for BI tools that cannot open the DuckDB file.

After each publish every relation of schema ``marts`` is copied, from a read-only connection to
the published warehouse, into ``<export dir>/<mart>/`` as Parquet. A mart with a month or week
grain column and at least ``partition_min_rows`` rows is written as a Hive-partitioned dataset
(``<mart>/year=2025/data_0.parquet``), so a reader filtering on a year opens only that year.

A BI tool must never see half an export. Each export is written into a new sibling folder
(``parquet.<UTC stamp>.partial``), renamed complete (``parquet.<UTC stamp>``), and only then made
current: ``<export dir>`` is a symbolic link, replaced in one ``rename``, so a reader resolves
either the previous export or the new one, never a mix and never nothing. (A real folder cannot be
swapped in one step: ``rename`` onto a non-empty folder fails, and two renames leave a moment with
no export.) Until the swap the previous export stays as it was; after it the previous one is
deleted. ``_manifest.json`` in each export records what was written, from which warehouse, when.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cswh import settings
from cswh.disk import disk_full, is_disk_full

EXPORT_DIR_ENV = "CSWH_EXPORT_DIR"
PARTITION_ROWS_ENV = "CSWH_EXPORT_PARTITION_ROWS"
MART_SCHEMA = "marts"
MANIFEST_NAME = "_manifest.json"
PARTIAL_SUFFIX = ".partial"
# The grain columns of the monthly and weekly marts, in order of preference. A mart with one of
# them (or a column ending in one, e.g. cohort_month_start_date) can be partitioned by its year.
PARTITION_DATE_COLUMNS = ("month_start_date", "week_start_date")
PARTITION_COLUMN = "year"
# Parquet has no 128-bit integer: DuckDB would write HUGEINT (what sum() of integers returns) as
# DOUBLE, and a BI tool would show 12 seats as 12.0. Counts fit in BIGINT; a value that does not
# fails the export loudly instead of losing digits.
NARROWED_TYPES = {"HUGEINT": "BIGINT", "UHUGEINT": "UBIGINT"}


class ExportError(Exception):
    """The export could not be written; the previous export, if any, is still in place."""


@dataclass
class MartExport:
    mart: str
    rows: int
    files: list[str]
    bytes: int
    partitioned_by: str | None = None


@dataclass
class ExportResult:
    export_dir: Path
    version_dir: Path
    warehouse: Path
    exported_at: str
    seconds: float
    marts: list[MartExport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(mart.rows for mart in self.marts)


def export_dir_for(warehouse: Path) -> Path:
    """``CSWH_EXPORT_DIR``, or ``parquet/`` beside the warehouse file."""
    return settings.export_dir() or warehouse.parent / "parquet"


def partition_min_rows() -> int:
    return settings.export_partition_rows()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def list_marts(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by table_name",
            [MART_SCHEMA],
        ).fetchall()
    ]


def mart_columns(connection: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    return connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [MART_SCHEMA, mart],
    ).fetchall()


def partition_date_column(columns: list[tuple[str, str]]) -> str | None:
    """The month or week grain column a mart can be partitioned by, if it has one."""
    dates = [name for name, data_type in columns if data_type == "DATE"]
    for wanted in PARTITION_DATE_COLUMNS:
        if wanted in dates:
            return wanted
    for wanted in PARTITION_DATE_COLUMNS:
        for name in dates:
            if name.endswith(wanted):
                return name
    return None


def export_query(mart: str, columns: list[tuple[str, str]], partition_by: str | None) -> str:
    selected = [
        f"cast({quote(name)} as {NARROWED_TYPES[data_type]}) as {quote(name)}"
        if data_type in NARROWED_TYPES
        else quote(name)
        for name, data_type in columns
    ]
    if partition_by is not None:
        selected.append(f"year({quote(partition_by)}) as {PARTITION_COLUMN}")
    return f"select {', '.join(selected)} from {quote(MART_SCHEMA)}.{quote(mart)}"


def export_mart(
    connection: duckdb.DuckDBPyConnection, mart: str, version_dir: Path, min_rows: int
) -> MartExport:
    columns = mart_columns(connection, mart)
    rows = connection.execute(
        f"select count(*) from {quote(MART_SCHEMA)}.{quote(mart)}"
    ).fetchone()[0]
    partition_by = partition_date_column(columns)
    names = {name for name, _ in columns}
    if rows < min_rows or rows == 0 or PARTITION_COLUMN in names:
        partition_by = None
    folder = version_dir / mart
    query = export_query(mart, columns, partition_by)
    if partition_by is None:
        folder.mkdir()
        connection.execute(
            f"copy ({query}) to {sql_string(str(folder / 'data.parquet'))} (format parquet)"
        )
    else:
        # DuckDB creates the folder and one year=YYYY subfolder per year; the year column lives
        # in the folder names (Hive partitioning), not in the files.
        connection.execute(
            f"copy ({query}) to {sql_string(str(folder))} "
            f"(format parquet, partition_by ({PARTITION_COLUMN}))"
        )
    files = sorted(path for path in folder.rglob("*.parquet"))
    return MartExport(
        mart=mart,
        rows=rows,
        files=[str(path.relative_to(version_dir)) for path in files],
        bytes=sum(path.stat().st_size for path in files),
        partitioned_by=f"{PARTITION_COLUMN} of {partition_by}" if partition_by else None,
    )


def new_version_dir(export_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return export_dir.with_name(f"{export_dir.name}.{stamp}-{uuid.uuid4().hex[:6]}")


def versions_of(export_dir: Path) -> list[Path]:
    """Every complete or partial export folder written for ``export_dir``."""
    parent = export_dir.parent
    if not parent.is_dir():
        return []
    return sorted(
        p for p in parent.glob(f"{export_dir.name}.*") if p.is_dir() and not p.is_symlink()
    )


def current_version(export_dir: Path) -> Path | None:
    if export_dir.is_symlink():
        return (export_dir.parent / os.readlink(export_dir)).resolve()
    return None


def adopt_plain_folder(export_dir: Path) -> None:
    """An export folder written before exports were versioned becomes a version of its own."""
    if export_dir.is_symlink() or not export_dir.exists():
        return
    if not (export_dir / MANIFEST_NAME).exists():
        raise ExportError(
            f"{export_dir} exists and is not an export written by cswh (no {MANIFEST_NAME}); "
            "move it away or choose another folder with --export-dir / "
            f"{EXPORT_DIR_ENV}"
        )
    export_dir.rename(new_version_dir(export_dir))


def swap_in(export_dir: Path, version_dir: Path) -> None:
    """Point ``export_dir`` at ``version_dir`` in one atomic rename."""
    link = export_dir.with_name(f".{export_dir.name}.link-{uuid.uuid4().hex[:6]}")
    # A relative target keeps the link valid when the whole warehouse folder is moved.
    link.symlink_to(version_dir.name, target_is_directory=True)
    try:
        os.replace(link, export_dir)
    except OSError:
        link.unlink(missing_ok=True)
        raise


def export_marts(
    warehouse: Path,
    export_dir: Path | None = None,
    min_rows: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ExportResult:
    """Write every mart of the warehouse to Parquet and make it the current export."""
    started = time.monotonic()
    export_dir = export_dir_for(warehouse) if export_dir is None else export_dir
    min_rows = partition_min_rows() if min_rows is None else min_rows
    if not warehouse.exists():
        raise ExportError(f"no warehouse at {warehouse}; run `cswh run` first")
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    adopt_plain_folder(export_dir)
    previous = current_version(export_dir)
    # Folders a killed export left behind; never the current one.
    for leftover in versions_of(export_dir):
        if leftover != previous and leftover.name.endswith(PARTIAL_SUFFIX):
            shutil.rmtree(leftover, ignore_errors=True)

    final_dir = new_version_dir(export_dir)
    partial_dir = final_dir.with_name(final_dir.name + PARTIAL_SUFFIX)
    partial_dir.mkdir()
    exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    result = ExportResult(
        export_dir=export_dir,
        version_dir=final_dir,
        warehouse=warehouse.resolve(),
        exported_at=exported_at,
        seconds=0.0,
    )
    try:
        write_version(warehouse, partial_dir, result, min_rows, progress)
        partial_dir.rename(final_dir)
    except BaseException as error:
        # Also on KeyboardInterrupt: the previous export stays current, the partial one goes.
        shutil.rmtree(partial_dir, ignore_errors=True)
        if isinstance(error, (OSError, ExportError)) and is_disk_full(error):
            raise disk_full("writing the Parquet export", partial_dir) from error
        if isinstance(error, OSError):
            raise ExportError(f"writing {partial_dir}: {error}") from error
        raise
    try:
        swap_in(export_dir, final_dir)
    except OSError as error:
        shutil.rmtree(final_dir, ignore_errors=True)
        raise ExportError(f"making {final_dir} the current export {export_dir}: {error}") from error
    if previous is not None and previous != final_dir:
        shutil.rmtree(previous, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def write_version(
    warehouse: Path,
    version_dir: Path,
    result: ExportResult,
    min_rows: int,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """Every mart and the manifest into ``version_dir`` (not yet visible to readers)."""
    try:
        connection = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise ExportError(f"cannot open {warehouse} read-only: {error}") from error
    try:
        marts = list_marts(connection)
        if not marts:
            raise ExportError(f"{warehouse} has no relations in schema {MART_SCHEMA!r}")
        for done, mart in enumerate(marts, start=1):
            try:
                result.marts.append(export_mart(connection, mart, version_dir, min_rows))
            except duckdb.Error as error:
                raise ExportError(f"{MART_SCHEMA}.{mart}: {error}") from error
            if progress:
                progress("export", done, len(marts))
    finally:
        connection.close()
    write_manifest(version_dir, result, min_rows)


def write_manifest(version_dir: Path, result: ExportResult, min_rows: int) -> None:
    stat = result.warehouse.stat()
    manifest = {
        "exported_at": result.exported_at,
        "warehouse": str(result.warehouse),
        "warehouse_modified_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(
            timespec="seconds"
        ),
        "duckdb_version": duckdb.__version__,
        "partition_min_rows": min_rows,
        "marts": [asdict(mart) for mart in result.marts],
    }
    (version_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def read_manifest(export_dir: Path) -> dict | None:
    path = export_dir / MANIFEST_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text())
