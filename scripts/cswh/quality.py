"""Great Expectations: what changed between publishes -- drift and volume -- and the data docs.

Each check lives in one place. The loader enforces the row contract (types, keys, required
fields, allowed values, ranges) and quarantines what breaks it; dbt tests the invariants of the
models (keys, relationships, identities such as the MRR waterfall, score ranges). This module
repeats neither: it compares each delivery and each candidate build with what was published
before, which no row-level or model-level test can see.

* Extract suites (before load, warnings): an optional column that was usually filled in the
  published raw rows and is now mostly empty (a field renamed or dropped in an export passes
  the contract row by row), and, when the caller passes ``previous_rows`` for a file it knows is
  a full extract, a row count collapsing against the previous load (see
  :func:`previous_load_rows`: the entity's latest ``loaded`` audit row, excluding the file
  checked). A first delivery has nothing to compare with and runs no suite.
* Mart volume suites (gates: a failure blocks the publish): key marts must not lose more than
  5 % of the rows published before.
* Mart drift suites (warnings for a reviewer): closed months' total MRR restated beyond 0.5 %,
  or the newest week's mean health score moving more than 10 points.

GX's SQL data source does not work with DuckDB as released, so every suite validates a pandas
DataFrame (warehouses opened read-only). Everything a run produces goes under ``quality_dir``:

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

from cswh.contracts import Entity
from cswh.load import TRIMMED_CHARACTERS, read_records
from cswh.raw_schema import LOAD_AUDIT_TABLE, raw_table

# GX reports usage to a remote service unless told not to; the warehouse runs offline.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # after the analytics switch, which is read at import
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig

DEFAULT_MAX_ROW_DROP = 0.5
# Marts hold history, so a candidate may lose only a few rows against the published warehouse
# (a corrected extract can merge duplicates); losing more means data went missing.
DEFAULT_MAX_MART_ROW_DROP = 0.05
# An optional column filled in at least this share of the published rows is judged for drift,
# and warns when a new file fills it in more than this much less often.
MIN_FILLED_SHARE_JUDGED = 0.5
DEFAULT_MAX_FILL_DROP = 0.3
# Fewer published rows than this say too little about how full a column usually is.
MIN_BASELINE_ROWS = 50
# Between publishes: a closed month's total MRR may move by 0.5 % before a reviewer is told,
# the newest week's mean health score by 10 points.
DEFAULT_MAX_RESTATED_SHARE = 0.005
DEFAULT_MAX_HEALTH_SHIFT = 10.0
DATASOURCE_NAME = "cswh_frames"
DATA_DOCS_SITE = "cswh_site"
GX_PROJECT_DIR = "gx"
RUNS_DIR = "runs"
DATA_DOCS_DIR = "data_docs"
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
    entity: Entity,
    previous_rows: int | None = None,
    max_row_drop: float = DEFAULT_MAX_ROW_DROP,
    filled_shares: dict[str, float] | None = None,
    max_fill_drop: float = DEFAULT_MAX_FILL_DROP,
) -> list[Any]:
    """Drift and volume against earlier loads; the contract itself is the loader's job.

    ``filled_shares`` (see :func:`published_filled_shares`) gives, per optional column, the share
    of rows that had a value in what was published. A column that was usually filled and is now
    mostly empty is the mark of a renamed or dropped field in an export: each row still passes
    the contract (the column is optional), so only a comparison with the past can see it.
    """
    expectations: list[Any] = []
    for name, share in sorted((filled_shares or {}).items()):
        if share >= MIN_FILLED_SHARE_JUDGED:
            expectations.append(
                gx.expectations.ExpectColumnValuesToNotBeNull(
                    column=name, mostly=round(max(share - max_fill_drop, 0.0), 4)
                )
            )
    if previous_rows is not None and previous_rows > 0:
        if not 0 <= max_row_drop < 1:
            raise ValueError(f"max_row_drop must be in [0, 1), got {max_row_drop}")
        floor = math.ceil(previous_rows * (1 - max_row_drop))
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor))
    return expectations


def optional_columns(entity: Entity) -> list[str]:
    return [c.name for c in entity.columns if not c.required and c.name not in entity.key]


def published_filled_shares(
    published: Path, entity: Entity, min_rows: int = MIN_BASELINE_ROWS
) -> dict[str, float]:
    """Per optional column, the share of the published raw rows holding a value; empty without
    a published warehouse, the table, or at least ``min_rows`` rows (too few to judge drift)."""
    columns = optional_columns(entity)
    if not columns or not Path(published).exists():
        return {}
    connection = duckdb.connect(str(published), read_only=True)
    try:
        counts = ", ".join(f'count("{name}")' for name in columns)
        try:
            row = connection.sql(f"select count(*), {counts} from {raw_table(entity)}").fetchone()
        except duckdb.Error:
            return {}  # an entity never delivered has no raw table yet
    finally:
        connection.close()
    if row is None or row[0] < min_rows:
        return {}
    return {name: row[i + 1] / row[0] for i, name in enumerate(columns)}


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
    filled_shares: dict[str, float] | None = None,
) -> SuiteResult | None:
    """Run the ``extract_<entity>`` suite on one file's rows before it is loaded; None when
    there is nothing to compare with yet (a first delivery).

    Pass ``previous_rows`` (see :func:`previous_load_rows`) only for full extracts.
    """
    expectations = extract_expectations(
        entity, previous_rows, max_row_drop, filled_shares=filled_shares
    )
    if not expectations:
        return None
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
class MartVolumeCheck:
    """A mart whose row count must not collapse against the published warehouse."""

    suite: str
    relation: str
    key: str


# Marts hold history, so between two publishes they only grow, or shrink a little when a
# corrected extract merges duplicates. (Keys, ranges and allowed values are dbt tests.)
MART_VOLUME_CHECKS = (
    MartVolumeCheck(
        "mart_fct_account_mrr_monthly", "marts.fct_account_mrr_monthly", "account_month_id"
    ),
    MartVolumeCheck("mart_dim_accounts", "marts.dim_accounts", "account_id"),
    MartVolumeCheck("mart_fct_escalations", "marts.fct_escalations", "escalation_id"),
    MartVolumeCheck("mart_rpt_mrr_waterfall", "marts.rpt_mrr_waterfall", "month_start_date"),
    MartVolumeCheck(
        "mart_fct_account_health_weekly", "marts.fct_account_health_weekly", "account_week_id"
    ),
)

CLOSED_MONTHS_SUITE = "drift_closed_months_mrr"
HEALTH_SHIFT_SUITE = "drift_health_score_mean"

# Closed months' MRR per month, published beside candidate. The published warehouse's last
# month may still move (late deliveries for it are normal); every month before it is closed.
CLOSED_MONTHS_QUERY = """
with published as (
    select month_start_date, sum(mrr) as mrr
    from published.marts.fct_account_mrr_monthly
    group by month_start_date
),
candidate as (
    select month_start_date, sum(mrr) as mrr
    from candidate.marts.fct_account_mrr_monthly
    group by month_start_date
)
select
    published.month_start_date,
    cast(published.mrr as double) as published_mrr,
    cast(candidate.mrr as double) as candidate_mrr,
    case
        when published.mrr = 0 then case when candidate.mrr = 0 then 0.0 else 1.0 end
        else cast(abs(candidate.mrr - published.mrr) / published.mrr as double)
    end as restated_share
from published
inner join candidate on published.month_start_date = candidate.month_start_date
where published.month_start_date < (select max(month_start_date) from published)
order by published.month_start_date
"""

# The mean health score of the newest week in each warehouse: the score is a weighted average
# of slow-moving indicators, so a large jump between two publishes means a broken input.
HEALTH_SHIFT_QUERY = """
with published as (
    select avg(health_score) as mean_score
    from published.marts.fct_account_health_weekly
    where week_start_date = (
        select max(week_start_date) from published.marts.fct_account_health_weekly
    )
),
candidate as (
    select avg(health_score) as mean_score
    from candidate.marts.fct_account_health_weekly
    where week_start_date = (
        select max(week_start_date) from candidate.marts.fct_account_health_weekly
    )
)
select
    published.mean_score as published_mean_score,
    candidate.mean_score as candidate_mean_score,
    candidate.mean_score - published.mean_score as mean_score_shift
from published cross join candidate
where published.mean_score is not null and candidate.mean_score is not null
"""


def published_row_counts(published: Path) -> dict[str, int]:
    """Rows per mart volume suite in the published warehouse, read-only; empty without one."""
    if not Path(published).exists():
        return {}
    counts: dict[str, int] = {}
    connection = duckdb.connect(str(published), read_only=True)
    try:
        for check in MART_VOLUME_CHECKS:
            try:
                row = connection.sql(f"select count(*) from {check.relation}").fetchone()
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
    """The volume gates: each mart with a published baseline (see :func:`published_row_counts`)
    fails when it lost more than ``max_row_drop`` of the published rows. Read-only."""
    results: list[SuiteResult] = []
    checks = [c for c in MART_VOLUME_CHECKS if (baseline_counts or {}).get(c.suite)]
    if not checks:
        return results
    connection = duckdb.connect(str(warehouse), read_only=True)
    frames: list[tuple[MartVolumeCheck, pd.DataFrame | None, str | None]] = []
    try:
        for check in checks:
            try:
                frame = connection.sql(f"select {check.key} from {check.relation}").df()
                frames.append((check, frame, None))
            except duckdb.Error as error:
                frames.append((check, None, str(error).splitlines()[0]))
    finally:
        connection.close()
    for check, frame, error in frames:
        if frame is None:
            # A missing mart is a failed gate, not a crash of `cswh run`.
            results.append(_record_query_failure(Path(quality_dir), check.suite, run_id, error))
            continue
        floor = math.ceil((baseline_counts or {})[check.suite] * (1 - max_row_drop))
        expectation = gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor)
        results.append(_run_suite(Path(quality_dir), check.suite, [expectation], frame, run_id))
    return results


def mart_drift(
    candidate: Path,
    published: Path,
    quality_dir: Path,
    run_id: str,
    max_restated_share: float = DEFAULT_MAX_RESTATED_SHARE,
    max_health_shift: float = DEFAULT_MAX_HEALTH_SHIFT,
) -> list[SuiteResult]:
    """Drift between the published warehouse and the candidate: closed months' MRR restated by
    more than ``max_restated_share``, or the newest week's mean health score moved by more
    than ``max_health_shift`` points. Warnings for a reviewer (a corrected extract restates
    history on purpose), never a gate; none before a first publish."""
    if not Path(published).exists():
        return []
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{Path(published)}' as published (read_only)")
        connection.execute(f"attach '{Path(candidate)}' as candidate (read_only)")
        queries = (
            (
                CLOSED_MONTHS_SUITE,
                CLOSED_MONTHS_QUERY,
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="restated_share", min_value=0, max_value=max_restated_share
                ),
            ),
            (
                HEALTH_SHIFT_SUITE,
                HEALTH_SHIFT_QUERY,
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="mean_score_shift",
                    min_value=-max_health_shift,
                    max_value=max_health_shift,
                ),
            ),
        )
        frames = []
        for suite, query, expectation in queries:
            try:
                frames.append((suite, connection.sql(query).df(), expectation))
            except duckdb.Error:
                continue  # a mart missing on either side has nothing to compare
    finally:
        connection.close()
    return [
        _run_suite(Path(quality_dir), suite, [expectation], frame, run_id)
        for suite, frame, expectation in frames
        if not frame.empty
    ]


# ------------------------------------------------------------------------------------ docs


def build_data_docs(quality_dir: Path) -> Path:
    """Render GX's HTML data docs for every stored suite and run; returns ``index.html``."""
    context = _context(Path(quality_dir))
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    return (Path(quality_dir) / DATA_DOCS_DIR / "index.html").resolve()
