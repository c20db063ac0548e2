"""Write-audit-publish: build a candidate warehouse, check it, and only then publish it.

BI tools and the dashboard read the *published* file. A run never writes to it: it copies the
published warehouse to a candidate beside it, loads new extracts into the candidate, runs
`dbt build` (models and every test) against the candidate, and only when all of that passed
replaces the published file with the candidate in one atomic rename. Readers that already have
the old file open keep reading it; new readers see the new one; nobody waits on a lock, because
the writer and the readers never share a file.

Writers do share it: a run holds the published warehouse's write lock (:mod:`cswh.lock`) from the
candidate copy to the publish, so a `cswh load` or `cswh build` into the published file cannot
slip in between and be overwritten by the publish.

DuckDB keeps committed changes in ``<file>.wal`` until a checkpoint folds them into the file. A
writer that died before its checkpoint leaves committed rows in the published file's WAL: the
candidate is copied with that WAL (DuckDB replays it on open), and the publish checkpoints the
candidate, removes the published file's WAL and only then renames, so a stale WAL can never be
replayed onto the new file.

A full disk at any step (candidate copy, load, build, checks, publish) removes the candidate and
its WAL and raises :class:`cswh.disk.DiskFull`; the published warehouse is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from cswh.contracts import Entity
from cswh.disk import DiskFull, disk_full, free_bytes, is_disk_full
from cswh.load import LoadResult, load_landing
from cswh.lock import warehouse_lock

CANDIDATE_SUFFIX = ".candidate"
FAILED_SUFFIX = ".failed"
WAL_SUFFIX = ".wal"
# Below this much free space a failed dbt build that wrote no results is taken for a full disk.
DISK_FULL_FREE_BYTES = 1 << 20
# dbt node statuses that are not a failure: a warning does not fail dbt build, and exposures
# (and saved queries) finish as "no-op".
NOT_FAILED_STATUSES = ("success", "pass", "skipped", "warn", "no-op")


@dataclass
class RunResult:
    published: bool
    load: LoadResult | None = None
    failed_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    data_docs: Path | None = None


def quality_dir_for(published: Path) -> Path:
    """Great Expectations results and data docs live beside the published warehouse."""
    return published.parent / "quality"


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + WAL_SUFFIX)


class ExtractChecks:
    """Great Expectations extract suites on the records the loader reads, as it reads them.

    Called by the loader for every new file with its parsed records, so the suites see the same
    rows as the loader (a Latin-1 cell or an empty file gives the loader's outcome, not a crash).
    Each file is compared with what the published warehouse holds for its entity (drift); the
    contract itself is the loader's. A suite that cannot run is a warning: the loader decides.
    """

    def __init__(self, quality_dir: Path, run_id: str, published: Path | None = None) -> None:
        self.quality_dir = quality_dir
        self.run_id = run_id
        self.published = published
        self.results: list = []
        self.warnings: list[str] = []
        self._filled_shares: dict[str, dict[str, float]] = {}

    def _baseline(self, entity: Entity) -> dict[str, float]:
        from cswh import quality

        if self.published is None:
            return {}
        if entity.name not in self._filled_shares:
            self._filled_shares[entity.name] = quality.published_filled_shares(
                self.published, entity
            )
        return self._filled_shares[entity.name]

    def __call__(self, entity: Entity, source_file: str, records: pa.Table) -> None:
        from cswh import quality

        try:
            filled_shares = self._baseline(entity)
            if not filled_shares:
                return  # nothing published to compare with
            frame = quality.frame_from_records(entity, records)
            result = quality.validate_extract(
                entity, frame, self.quality_dir, self.run_id, filled_shares=filled_shares
            )
            if result is not None:
                self.results.append(result)
        except Exception as error:  # a quality check must never stop the load
            if is_disk_full(error):
                raise disk_full("writing Great Expectations results", self.quality_dir) from error
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.warnings.append(f"{source_file}: the extract suite could not run ({first_line})")


def candidate_path(published: Path) -> Path:
    return published.with_name(published.name + CANDIDATE_SUFFIX)


def failed_path(published: Path) -> Path:
    return published.with_name(published.name + FAILED_SUFFIX)


def prepare_candidate(published: Path) -> Path:
    """A fresh candidate: a copy of the published warehouse (with its write-ahead log, if a
    writer died before its checkpoint), or no file at all for the first run."""
    candidate = candidate_path(published)
    candidate.parent.mkdir(parents=True, exist_ok=True)
    remove_candidate(candidate)
    try:
        if published.exists():
            shutil.copy2(published, candidate)
            if wal_path(published).exists():
                shutil.copy2(wal_path(published), wal_path(candidate))
    except OSError as error:
        remove_candidate(candidate)
        if is_disk_full(error):
            raise disk_full(
                "copying the published warehouse to the candidate", candidate
            ) from error
        raise
    return candidate


def remove_candidate(candidate: Path) -> None:
    for leftover in (candidate, wal_path(candidate)):
        leftover.unlink(missing_ok=True)


def failed_dbt_checks(run_results: Path) -> list[str]:
    """Names of the dbt nodes that did not succeed in the last invocation."""
    if not run_results.exists():
        return ["dbt produced no run results"]
    results = json.loads(run_results.read_text())["results"]
    return sorted(
        f"{result['unique_id']}: {result['status']}"
        for result in results
        if result["status"] not in NOT_FAILED_STATUSES
    )


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file so the renamed file is complete on its own."""
    connection = duckdb.connect(str(path))
    try:
        connection.execute("checkpoint")
    finally:
        connection.close()


def publish(candidate: Path, published: Path) -> None:
    """Replace the published warehouse with the checkpointed candidate, WALs handled.

    The published file's WAL is removed before the rename: replayed onto the new file it would
    corrupt it. Its committed changes are already in the candidate, copied with it.
    """
    try:
        checkpoint(candidate)
    except duckdb.Error as error:
        if is_disk_full(error):
            raise disk_full("checkpointing the candidate before publishing", candidate) from error
        raise
    if wal_path(candidate).exists():
        raise RuntimeError(
            f"{wal_path(candidate)} is still there after a checkpoint; not publishing a file "
            "whose changes are not all in it"
        )
    wal_path(published).unlink(missing_ok=True)
    os.replace(candidate, published)


def published_build_results(published: Path) -> Path:
    """dbt's run_results.json of the build that produced the published warehouse.

    A copy beside the quality results: target/run_results.json is rewritten by the next dbt
    command of any kind (`dbt docs generate` included), this one only by the next publish.
    """
    return quality_dir_for(published) / "dbt_run_results.json"


def stale_sources(sources_json: Path) -> list[str]:
    """Source tables whose freshness check errored in the last `dbt source freshness`."""
    if not sources_json.exists():
        return ["dbt source freshness produced no results"]
    results = json.loads(sources_json.read_text())["results"]
    return sorted(
        f"{result['unique_id']}: freshness {result['status']}"
        for result in results
        if result["status"] in ("error", "runtime error")
    )


def run_pipeline(
    landing: Path,
    published: Path,
    build: Callable[[Path], int],
    run_results: Path,
    progress: Callable[[str, int, int], None] | None = None,
    freshness: Callable[[Path, list[str]], int] | None = None,
    quality_dir: Path | None = None,
    wait_seconds: float = 0.0,
) -> RunResult:
    """Load and build into a candidate; publish it only if every check passed.

    ``build(candidate)`` runs dbt build against the candidate and returns its exit code;
    ``freshness(candidate, selectors)``, when given, runs `dbt source freshness --select
    selectors` (results in sources.json beside run_results.json) on the source tables that hold
    rows, never on one that was not delivered (:mod:`cswh.delivery`): a source past its error
    threshold blocks publishing.
    With ``quality_dir``, Great Expectations suites run on each new extract's records as the
    loader reads them (their failures are warnings: the loader quarantines the offending rows
    with reasons) and on the key marts after the build (their failures block publishing);
    results and data docs go under ``quality_dir``.

    Holds the published warehouse's write lock throughout (waiting up to ``wait_seconds``).
    Raises :class:`cswh.lock.WarehouseBusy` if another writer holds it, and
    :class:`cswh.disk.DiskFull` when the disk fills (candidate removed, published unchanged).
    """
    with warehouse_lock(published, "cswh run", wait_seconds):
        candidate = candidate_path(published)
        try:
            return _run_locked(
                landing, published, build, run_results, progress, freshness, quality_dir
            )
        except DiskFull:
            remove_candidate(candidate)
            raise
        except (OSError, duckdb.Error) as error:
            if not is_disk_full(error):
                raise
            remove_candidate(candidate)
            raise disk_full("building and checking the candidate", candidate) from error


def _run_locked(
    landing: Path,
    published: Path,
    build: Callable[[Path], int],
    run_results: Path,
    progress: Callable[[str, int, int], None] | None,
    freshness: Callable[[Path, list[str]], int] | None,
    quality_dir: Path | None,
) -> RunResult:
    from cswh import quality

    candidate = prepare_candidate(published)
    run_id = quality.new_run_id()
    extract_checks = (
        ExtractChecks(quality_dir, run_id, published) if quality_dir is not None else None
    )
    load = load_landing(
        landing, candidate, progress=progress, records_hook=extract_checks, lock=False
    )
    warnings: list[str] = []
    if extract_checks is not None:
        warnings = extract_checks.warnings + quality.failed_checks(extract_checks.results)
    if not load.ok:
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=[f"load: {f.path}: {f.message}" for f in load.refused],
                warnings=warnings,
                message="extract files were refused",
            ),
        )
    run_results.unlink(missing_ok=True)
    if build(candidate) != 0:
        if build_ran_out_of_space(run_results, candidate):
            raise disk_full("building the candidate with dbt", candidate)
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=failed_dbt_checks(run_results),
                warnings=warnings,
                message="dbt build or its tests failed",
            ),
        )
    if freshness is not None and _judge_freshness(candidate, freshness) != 0:
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=stale_sources(run_results.with_name("sources.json")),
                warnings=warnings,
                message="a source is past its freshness error threshold",
            ),
        )
    data_docs = None
    if quality_dir is not None:
        mart_failures = quality.failed_checks(
            quality.validate_marts(
                candidate, quality_dir, run_id, quality.published_row_counts(published)
            )
        )
        warnings += quality.failed_checks(
            quality.mart_drift(candidate, published, quality_dir, run_id)
        )
        data_docs = quality.build_data_docs(quality_dir)
        if mart_failures:
            return _keep_failed(
                candidate,
                published,
                RunResult(
                    published=False,
                    load=load,
                    failed_checks=mart_failures,
                    warnings=warnings,
                    message="Great Expectations mart checks failed",
                    data_docs=data_docs,
                ),
            )
    publish(candidate, published)
    kept_results = published_build_results(published)
    kept_results.unlink(missing_ok=True)  # never describe this warehouse by an older build
    if run_results.exists():
        kept_results.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_results, kept_results)
    return RunResult(
        published=True,
        load=load,
        warnings=warnings,
        message=f"published {published}",
        data_docs=data_docs,
    )


def _judge_freshness(candidate: Path, freshness: Callable[[Path, list[str]], int]) -> int:
    """Run the freshness check on the source tables that hold rows; none: nothing to judge."""
    from cswh.delivery import freshness_selectors, warehouse_deliveries

    selectors = freshness_selectors(warehouse_deliveries(candidate))
    return freshness(candidate, selectors) if selectors else 0


def build_ran_out_of_space(run_results: Path, candidate: Path) -> bool:
    """Whether a failed build failed for want of disk: a node said so, or dbt could not even
    write its results and the candidate's disk is (nearly) full."""
    if run_results.exists():
        try:
            results = json.loads(run_results.read_text())["results"]
        except (ValueError, KeyError):
            results = []
        if any(is_disk_full(str(result.get("message") or "")) for result in results):
            return True
        if results:
            return False
    free = free_bytes(candidate)
    return free is not None and free < DISK_FULL_FREE_BYTES


def _keep_failed(candidate: Path, published: Path, result: RunResult) -> RunResult:
    """Keep the failed candidate for inspection; the published warehouse is left as it was."""
    failed = failed_path(published)
    for leftover in (failed, wal_path(failed)):
        leftover.unlink(missing_ok=True)
    if candidate.exists():
        os.replace(candidate, failed)
    if wal_path(candidate).exists():  # committed changes not yet checkpointed stay with it
        os.replace(wal_path(candidate), wal_path(failed))
    result.message += f"; the published warehouse is unchanged, the failed build is in {failed}"
    return result
