"""Great Expectations quality gates: raw extracts before load, key marts after ``dbt build``.

Why both: the loader already refuses unreadable files and quarantines rows whose fields do not
parse, but it accepts a file whose keys repeat, whose category columns drift or whose row count
collapses. Extract suites catch that before the rows reach ``raw``; mart suites catch model bugs
(negative MRR, churned accounts still billing) before anyone reads the marts.

Suites are built from ``cswh.contracts`` so they follow the contract: key columns not null and
(compound) unique, required columns not null, ``allowed_values`` in set, ``min_value`` /
``max_value`` ranges. GX's SQL data source does not work with DuckDB as released, so every suite
validates a pandas DataFrame (files read with pandas, marts read read-only from DuckDB).

Row count against the previous load ("previous" is decided here): the previous load of an entity
is the most recent row of ``loader.load_audit`` for that entity with ``status = 'loaded'``
(latest ``finished_at``), excluding the file being checked, read from the warehouse read-only.
Refused and skipped files never count. Its ``rows_read`` is the baseline; the new file fails when
it holds fewer than ``(1 - max_row_drop) * baseline`` rows (default drop 50 %). The landing folder
does not say whether a file is a full extract or a change-only delta (both are named
``<entity>__<date>``), and a delta is always far smaller than the full extract before it, so the
check runs only when the caller passes ``previous_rows`` -- i.e. for files it knows are full
extracts. Use :func:`previous_load_rows` to get the baseline. Files validated in one run before
any of them is loaded all compare with the last *loaded* file.

Everything a run produces goes under a caller-given ``quality_dir``:

* ``<quality_dir>/runs/<run_id>/<suite>.json`` -- our own summary per suite and run,
* ``<quality_dir>/gx/`` -- the file-mode GX project (suites, validation results),
* ``<quality_dir>/data_docs/index.html`` -- GX's HTML data docs, see :func:`build_data_docs`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from cswh.contracts import TOUCH_TIERS, Entity
from cswh.load import TRIMMED_CHARACTERS, read_records
from cswh.raw_schema import LOAD_AUDIT_TABLE

# GX reports usage to a remote service unless told not to; the warehouse runs offline.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # after the analytics switch, which is read at import
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig

DEFAULT_MAX_ROW_DROP = 0.5
# Marts hold history, so a candidate may lose only a few rows against the published warehouse
# (a corrected extract can merge duplicates); losing more means data went missing.
DEFAULT_MAX_MART_ROW_DROP = 0.05
DATASOURCE_NAME = "cswh_frames"
DATA_DOCS_SITE = "cswh_site"
GX_PROJECT_DIR = "gx"
RUNS_DIR = "runs"
DATA_DOCS_DIR = "data_docs"
LIFECYCLE_STAGES = ("trial", "onboarding", "active", "churned", "prospect")
ESCALATION_TYPES = ("trouble", "opportunity")
NUMERIC_TYPES = ("integer", "decimal", "rate")
# How many unexpected values to keep per expectation in the run JSON.
PARTIAL_UNEXPECTED = 5


@dataclass
class SuiteResult:
    """Outcome of one suite on one batch; ``failed_expectations`` reads ``expectation(column)``."""

    suite: str
    success: bool
    failed_expectations: list[str] = field(default_factory=list)
    results_path: Path | None = None


def failed_checks(results: Iterable[SuiteResult]) -> list[str]:
    """One printable line per failed expectation: ``suite: expectation(column) detail``."""
    return [
        f"{result.suite}: {failure}" for result in results for failure in result.failed_expectations
    ]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("quality_%Y%m%dT%H%M%S%fZ")


# ------------------------------------------------------------------------------------ context


def _context(quality_dir: Path) -> Any:
    """File-mode GX project under ``quality_dir``, quiet, with data docs in ``data_docs/``."""
    quality_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(quality_dir.resolve()))
    docs_dir = (quality_dir / DATA_DOCS_DIR).resolve()
    wanted_sites = {
        DATA_DOCS_SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir) + os.sep,
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    progress = context.variables.progress_bars
    if isinstance(progress, dict):  # GX hands the config back as a dict once read from YAML
        progress = ProgressBarsConfig(**progress)
    if context.variables.data_docs_sites != wanted_sites or progress is None or progress.globally:
        # Progress bars would print one line per metric batch into `cswh run` output and tests.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.data_docs_sites = wanted_sites
        context.variables.save()
        context = gx.get_context(mode="file", project_root_dir=str(quality_dir.resolve()))
    return context


def _run_suite(
    quality_dir: Path,
    suite_name: str,
    expectations: list[Any],
    frame: pd.DataFrame,
    run_id: str,
) -> SuiteResult:
    """Validate ``frame`` with one suite through a checkpoint (so results land in GX's store)."""
    context = _context(quality_dir)
    source = context.data_sources.add_or_update_pandas(DATASOURCE_NAME)
    try:
        asset = source.get_asset(suite_name)
    except LookupError:
        asset = source.add_dataframe_asset(suite_name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=suite_name, expectations=expectations)
    )
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite_name,
            validation_definitions=[definition],
            result_format={"result_format": "SUMMARY"},
        )
    )
    outcome = checkpoint.run(
        batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_id)
    )
    validation = next(iter(outcome.run_results.values()))
    return _record(quality_dir, suite_name, run_id, validation)


def _column_of(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return "table"


def _jsonable(value: Any) -> Any:
    """Observed values may be numpy scalars, NaN or Decimals: make them plain JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


def _record(quality_dir: Path, suite_name: str, run_id: str, validation: Any) -> SuiteResult:
    """Write ``runs/<run_id>/<suite>.json`` and summarise the failures."""
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for item in validation.results:
        config = item.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
        result = item.result or {}
        error = None
        if item.exception_info and item.exception_info.get("raised_exception"):
            error = str(item.exception_info.get("exception_message"))
        row = {
            "expectation": config.type,
            "column": _column_of(kwargs),
            "kwargs": _jsonable(kwargs),
            "success": bool(item.success),
            "observed_value": _jsonable(result.get("observed_value")),
            "unexpected_count": _jsonable(result.get("unexpected_count")),
            "unexpected_percent": _jsonable(result.get("unexpected_percent")),
            "partial_unexpected": _jsonable(
                list(result.get("partial_unexpected_list") or [])[:PARTIAL_UNEXPECTED]
            ),
            "error": error,
        }
        rows.append(row)
        if not item.success:
            failures.append(_describe_failure(row))
    out_dir = quality_dir / RUNS_DIR / _safe(run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{_safe(suite_name)}.json"
    document = {
        "suite": suite_name,
        "run_id": run_id,
        "success": bool(validation.success),
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "expectations": rows,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return SuiteResult(suite_name, bool(validation.success), failures, path)


def _record_query_failure(
    quality_dir: Path, suite_name: str, run_id: str, error: str | None
) -> SuiteResult:
    """A mart that cannot be read fails its suite, with the reason kept like any result."""
    out_dir = quality_dir / RUNS_DIR / _safe(run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{_safe(suite_name)}.json"
    document = {
        "suite": suite_name,
        "run_id": run_id,
        "success": False,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "error": error,
        "expectations": [],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return SuiteResult(suite_name, False, [f"query failed: {error}"], path)


def _describe_failure(row: dict[str, Any]) -> str:
    detail = ""
    if row["error"]:
        detail = f" error: {row['error']}"
    elif row["unexpected_count"]:
        examples = ", ".join(repr(v) for v in row["partial_unexpected"])
        detail = f" {row['unexpected_count']} unexpected (e.g. {examples})"
    elif row["observed_value"] is not None:
        detail = f" observed {row['observed_value']}"
    return f"{row['expectation']}({row['column']}){detail}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


# ------------------------------------------------------------------------------------ extracts


def extract_suite_name(entity: Entity) -> str:
    return f"extract_{entity.name}"


def extract_expectations(
    entity: Entity, previous_rows: int | None = None, max_row_drop: float = DEFAULT_MAX_ROW_DROP
) -> list[Any]:
    """The contract as expectations, plus the row-count floor when a baseline is given."""
    expectations: list[Any] = []
    not_null = list(entity.key) + [
        c.name for c in entity.columns if c.required and c.name not in entity.key
    ]
    for name in not_null:
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=name))
    if len(entity.key) == 1:
        expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column=entity.key[0]))
    else:
        expectations.append(
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(entity.key))
        )
    for column in entity.columns:
        if column.allowed_values is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column=column.name, value_set=list(column.allowed_values)
                )
            )
        if column.min_value is not None or column.max_value is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.min_value, max_value=column.max_value
                )
            )
    if previous_rows is not None and previous_rows > 0:
        if not 0 <= max_row_drop < 1:
            raise ValueError(f"max_row_drop must be in [0, 1), got {max_row_drop}")
        floor = math.ceil(previous_rows * (1 - max_row_drop))
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor))
    return expectations


def frame_from_records(entity: Entity, records: pa.Table) -> pd.DataFrame:
    """The loader's parsed records as the suites see them: fields trimmed, blank fields null,
    numbers numeric (unparsable ones null: the loader quarantines those rows), the rest text."""
    frame = records.select(entity.column_names).to_pandas()
    for column in entity.columns:
        values = frame[column.name].astype("string").str.strip(TRIMMED_CHARACTERS)
        values = values.mask(values == "", pd.NA)
        if column.type in NUMERIC_TYPES:
            values = pd.to_numeric(values, errors="coerce")
        frame[column.name] = values
    return frame


def read_extract(entity: Entity, path: Path) -> pd.DataFrame:
    """An extract file read exactly as the loader reads it (see :func:`frame_from_records`).

    Raises :class:`cswh.landing.FileRefused` for a file the loader would refuse.
    """
    records, _ = read_records(entity, path)
    return frame_from_records(entity, records)


def validate_extract(
    entity: Entity,
    frame: pd.DataFrame,
    quality_dir: Path,
    run_id: str,
    previous_rows: int | None = None,
    max_row_drop: float = DEFAULT_MAX_ROW_DROP,
) -> SuiteResult:
    """Run the ``extract_<entity>`` suite on one file's rows before it is loaded.

    Pass ``previous_rows`` (see :func:`previous_load_rows`) only for full extracts.
    """
    expectations = extract_expectations(entity, previous_rows, max_row_drop)
    return _run_suite(Path(quality_dir), extract_suite_name(entity), expectations, frame, run_id)


def previous_load_rows(
    warehouse: Path, entity: Entity, exclude_source_file: str | None = None
) -> int | None:
    """``rows_read`` of the entity's last loaded file, or None without a warehouse or history."""
    if not Path(warehouse).exists():
        return None
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            LOAD_AUDIT_TABLE.split("."),
        ).fetchone()
        if not exists or not exists[0]:
            return None
        row = connection.execute(
            f"select rows_read from {LOAD_AUDIT_TABLE} "
            "where entity = ? and status = 'loaded' and source_file is distinct from ? "
            "order by finished_at desc, source_file desc limit 1",
            [entity.name, exclude_source_file],
        ).fetchone()
    finally:
        connection.close()
    return None if row is None or row[0] is None else int(row[0])


# ------------------------------------------------------------------------------------ marts


@dataclass(frozen=True)
class MartCheck:
    """One mart suite: the query giving its frame and the expectations on it."""

    suite: str
    query: str
    expectations: tuple[Any, ...]
    # False where the frame may legitimately shrink (e.g. churned accounts that come back).
    compare_row_count: bool = True


def mart_checks() -> list[MartCheck]:
    """The mart suites; built per call because GX expectation objects are mutable."""
    e = gx.expectations
    return [
        MartCheck(
            "mart_fct_account_mrr_monthly",
            "select account_month_id, mrr from marts.fct_account_mrr_monthly",
            (
                e.ExpectColumnValuesToNotBeNull(column="account_month_id"),
                e.ExpectColumnValuesToBeUnique(column="account_month_id"),
                e.ExpectColumnValuesToBeBetween(column="mrr", min_value=0),
            ),
        ),
        MartCheck(
            "mart_dim_accounts",
            "select account_id, touch_tier, lifecycle_stage, mrr from marts.dim_accounts",
            (
                e.ExpectColumnValuesToNotBeNull(column="account_id"),
                e.ExpectColumnValuesToBeUnique(column="account_id"),
                e.ExpectColumnValuesToBeInSet(column="touch_tier", value_set=list(TOUCH_TIERS)),
                e.ExpectColumnValuesToBeInSet(
                    column="lifecycle_stage", value_set=list(LIFECYCLE_STAGES)
                ),
            ),
        ),
        # A derived frame rather than a row_condition: plain and stable across GX versions.
        MartCheck(
            "mart_churned_accounts_zero_mrr",
            "select account_id, mrr from marts.dim_accounts where lifecycle_stage = 'churned'",
            (e.ExpectColumnValuesToBeBetween(column="mrr", min_value=0, max_value=0),),
            compare_row_count=False,
        ),
        MartCheck(
            "mart_fct_escalations",
            "select escalation_id, escalation_type from marts.fct_escalations",
            (
                e.ExpectColumnValuesToNotBeNull(column="escalation_id"),
                e.ExpectColumnValuesToBeUnique(column="escalation_id"),
                e.ExpectColumnValuesToBeInSet(
                    column="escalation_type", value_set=list(ESCALATION_TYPES)
                ),
            ),
        ),
        MartCheck(
            "mart_rpt_mrr_waterfall",
            "select month_start_date, closing_mrr from marts.rpt_mrr_waterfall",
            (e.ExpectColumnValuesToBeBetween(column="closing_mrr", min_value=0),),
        ),
        MartCheck(
            "mart_fct_account_health_weekly",
            "select account_week_id, health_score from marts.fct_account_health_weekly",
            (e.ExpectColumnValuesToBeBetween(column="health_score", min_value=0, max_value=100),),
        ),
    ]


def published_row_counts(published: Path) -> dict[str, int]:
    """Rows per mart suite in the published warehouse, read-only; empty when there is none."""
    if not Path(published).exists():
        return {}
    counts: dict[str, int] = {}
    connection = duckdb.connect(str(published), read_only=True)
    try:
        for check in mart_checks():
            if not check.compare_row_count:
                continue
            try:
                row = connection.sql(f"select count(*) from ({check.query})").fetchone()
            except duckdb.Error:
                continue  # a mart new in this release has no baseline
            counts[check.suite] = int(row[0]) if row else 0
    finally:
        connection.close()
    return counts


def validate_marts(
    warehouse: Path,
    quality_dir: Path,
    run_id: str,
    baseline_counts: dict[str, int] | None = None,
    max_row_drop: float = DEFAULT_MAX_MART_ROW_DROP,
) -> list[SuiteResult]:
    """Run every mart suite on the warehouse, read-only (safe while BI tools read it too).

    ``baseline_counts`` (see :func:`published_row_counts`) adds a row-count floor per suite:
    the candidate fails when a mart lost more than ``max_row_drop`` of the published rows.
    """
    frames: list[tuple[MartCheck, pd.DataFrame | None, str | None]] = []
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for check in mart_checks():
            try:
                frames.append((check, connection.sql(check.query).df(), None))
            except duckdb.Error as error:
                frames.append((check, None, str(error).splitlines()[0]))
    finally:
        connection.close()
    results = []
    for check, frame, error in frames:
        if frame is None:
            # A missing table or column is a failed gate, not a crash of `cswh run`.
            results.append(_record_query_failure(Path(quality_dir), check.suite, run_id, error))
            continue
        expectations = list(check.expectations)
        baseline = (baseline_counts or {}).get(check.suite)
        if baseline:
            floor = math.ceil(baseline * (1 - max_row_drop))
            expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor))
        results.append(_run_suite(Path(quality_dir), check.suite, expectations, frame, run_id))
    return results


# ------------------------------------------------------------------------------------ docs


def build_data_docs(quality_dir: Path) -> Path:
    """Render GX's HTML data docs for every stored suite and run; returns ``index.html``."""
    context = _context(Path(quality_dir))
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    return (Path(quality_dir) / DATA_DOCS_DIR / "index.html").resolve()
