"""Write-audit-publish: build a candidate warehouse, check it, and only then publish it.

BI tools and the dashboard read the *published* file. A run never writes to it: it copies the
published warehouse to a candidate beside it, loads new extracts into the candidate, runs
`dbt build` (models and every test) against the candidate, and only when all of that passed
replaces the published file with the candidate in one atomic rename. Readers that already have
the old file open keep reading it; new readers see the new one; nobody waits on a lock, because
the writer and the readers never share a file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cswh.load import LoadResult, discover_files, file_sha256, load_landing
from cswh.raw_schema import LOAD_AUDIT_TABLE

CANDIDATE_SUFFIX = ".candidate"
FAILED_SUFFIX = ".failed"
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


def _loaded_hashes(warehouse: Path) -> set[str]:
    if not warehouse.exists():
        return set()
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            row[0]
            for row in connection.execute(
                f"select content_sha256 from {LOAD_AUDIT_TABLE} where status = 'loaded'"
            ).fetchall()
        }
    except duckdb.CatalogException:
        return set()
    finally:
        connection.close()


def validate_new_extracts(landing: Path, candidate: Path, quality_dir: Path, run_id: str) -> list:
    """Run the extract suites on every file the candidate has not loaded yet."""
    from cswh import quality

    loaded = _loaded_hashes(candidate)
    return [
        quality.validate_extract(entity, quality.read_extract(entity, path), quality_dir, run_id)
        for entity, path in discover_files(landing)
        if file_sha256(path) not in loaded
    ]


def candidate_path(published: Path) -> Path:
    return published.with_name(published.name + CANDIDATE_SUFFIX)


def failed_path(published: Path) -> Path:
    return published.with_name(published.name + FAILED_SUFFIX)


def prepare_candidate(published: Path) -> Path:
    """A fresh candidate: a copy of the published warehouse, or an empty file for the first run."""
    candidate = candidate_path(published)
    candidate.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (candidate, candidate.with_name(candidate.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        shutil.copy2(published, candidate)
    return candidate


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
    checkpoint(candidate)
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
    freshness: Callable[[Path], int] | None = None,
    quality_dir: Path | None = None,
) -> RunResult:
    """Load and build into a candidate; publish it only if every check passed.

    ``build(candidate)`` runs dbt build against the candidate and returns its exit code;
    ``freshness(candidate)``, when given, runs `dbt source freshness` (results in
    sources.json beside run_results.json): a source past its error threshold blocks publishing.
    With ``quality_dir``, Great Expectations suites run on the new extracts before the load
    (their failures are warnings: the loader quarantines the offending rows with reasons) and on
    the key marts after the build (their failures block publishing); results and data docs go
    under ``quality_dir``.
    """
    from cswh import quality

    candidate = prepare_candidate(published)
    run_id = quality.new_run_id()
    warnings: list[str] = []
    if quality_dir is not None:
        warnings = quality.failed_checks(
            validate_new_extracts(landing, candidate, quality_dir, run_id)
        )
    load = load_landing(landing, candidate, progress=progress)
    if not load.ok:
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=[f"load: {f.path}: {f.message}" for f in load.refused],
                message="extract files were refused",
            ),
        )
    run_results.unlink(missing_ok=True)
    if build(candidate) != 0:
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=failed_dbt_checks(run_results),
                message="dbt build or its tests failed",
            ),
        )
    if freshness is not None and freshness(candidate) != 0:
        return _keep_failed(
            candidate,
            published,
            RunResult(
                published=False,
                load=load,
                failed_checks=stale_sources(run_results.with_name("sources.json")),
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


def _keep_failed(candidate: Path, published: Path, result: RunResult) -> RunResult:
    """Keep the failed candidate for inspection; the published warehouse is left as it was."""
    failed = failed_path(published)
    failed.unlink(missing_ok=True)
    if candidate.exists():
        os.replace(candidate, failed)
    result.message += f"; the published warehouse is unchanged, the failed build is in {failed}"
    return result
