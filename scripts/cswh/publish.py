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

from cswh.load import LoadResult, load_landing

CANDIDATE_SUFFIX = ".candidate"
FAILED_SUFFIX = ".failed"


@dataclass
class RunResult:
    published: bool
    load: LoadResult | None = None
    failed_checks: list[str] = field(default_factory=list)
    message: str = ""


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
        if result["status"] not in ("success", "pass", "skipped")
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
) -> RunResult:
    """Load and build into a candidate; publish it only if every check passed.

    ``build(candidate)`` runs dbt build against the candidate and returns its exit code;
    ``freshness(candidate)``, when given, runs `dbt source freshness` (results in
    sources.json beside run_results.json): a source past its error threshold blocks publishing.
    """
    candidate = prepare_candidate(published)
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
    publish(candidate, published)
    return RunResult(published=True, load=load, message=f"published {published}")


def _keep_failed(candidate: Path, published: Path, result: RunResult) -> RunResult:
    """Keep the failed candidate for inspection; the published warehouse is left as it was."""
    failed = failed_path(published)
    failed.unlink(missing_ok=True)
    if candidate.exists():
        os.replace(candidate, failed)
    result.message += f"; the published warehouse is unchanged, the failed build is in {failed}"
    return result
