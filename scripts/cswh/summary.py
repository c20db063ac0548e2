"""End-of-run summary: what was loaded and built, and where the warehouse, export and docs are.

Printed by ``cswh run`` after a publish, and by ``cswh summary`` for any warehouse.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import duckdb

from cswh import settings
from cswh.raw_schema import LOAD_AUDIT_TABLE, QUARANTINE_TABLE

DASHBOARD_URL = "http://localhost:8501"
BUILT_KINDS = ("model", "seed", "snapshot")
TEST_KINDS = ("test", "unit_test")


def dbt_results(run_results: Path) -> Counter:
    """Counts of dbt nodes by (resource type, status) from the last invocation."""
    if not run_results.exists():
        return Counter()
    results = json.loads(run_results.read_text())["results"]
    return Counter((result["unique_id"].split(".")[0], result["status"]) for result in results)


def dbt_outcome(results: Counter) -> dict[str, int]:
    def count(kinds: tuple[str, ...], statuses: tuple[str, ...]) -> int:
        return sum(
            n for (kind, status), n in results.items() if kind in kinds and status in statuses
        )

    return {
        "built": count(BUILT_KINDS, ("success",)),
        "build_errors": count(BUILT_KINDS, ("error",)),
        "skipped": sum(n for (_, status), n in results.items() if status == "skipped"),
        "tests_passed": count(TEST_KINDS, ("pass",)),
        "tests_warned": count(TEST_KINDS, ("warn",)),
        "tests_failed": count(TEST_KINDS, ("fail", "error")),
    }


def dbt_line(run_results: Path) -> str:
    """One line: models built, tests passed / warned / failed, from run_results.json."""
    if not run_results.exists():
        return f"no dbt results in {run_results}"
    outcome = dbt_outcome(dbt_results(run_results))
    line = (
        f"{outcome['built']} models/seeds built, {outcome['build_errors']} errored; tests "
        f"{outcome['tests_passed']} passed, {outcome['tests_warned']} warned, "
        f"{outcome['tests_failed']} failed"
    )
    return line + (f"; {outcome['skipped']} skipped" if outcome["skipped"] else "")


def warehouse_summary(warehouse: Path) -> dict[str, object]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        audit = connection.execute(
            f"""
            select count(*) filter (where status = 'loaded'),
                   count(*) filter (where status = 'refused'),
                   coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_quarantined), 0)
            from {LOAD_AUDIT_TABLE}
            """
        ).fetchone()
        relations = connection.execute(
            """
            select table_schema, count(*)
            from information_schema.tables
            where table_schema not in ('information_schema', 'pg_catalog')
            group by table_schema order by table_schema
            """
        ).fetchall()
        quarantine_reasons = connection.execute(
            f"select entity, count(*) from {QUARANTINE_TABLE} group by 1 order by 2 desc limit 5"
        ).fetchall()
    finally:
        connection.close()
    return {
        "files_loaded": audit[0],
        "files_refused": audit[1],
        "rows_read": audit[2],
        "rows_loaded": audit[3],
        "rows_quarantined": audit[4],
        "relations_by_schema": dict(relations),
        "quarantine_by_entity": dict(quarantine_reasons),
    }


def export_line(export_dir: Path) -> str:
    from cswh.export import read_manifest

    manifest = read_manifest(export_dir)
    if manifest is None:
        return f"{export_dir.absolute()} (not written yet: run `cswh export`)"
    rows = sum(mart["rows"] for mart in manifest["marts"])
    return (
        f"{export_dir.absolute()} ({len(manifest['marts'])} marts, {rows:,} rows, "
        f"exported {manifest['exported_at']})"
    )


def _build_results(warehouse: Path, target_path: Path) -> Path:
    """The published build's dbt results, else the last dbt command's (a warehouse built
    without `cswh run`)."""
    from cswh.publish import published_build_results

    kept = published_build_results(warehouse)
    return kept if kept.exists() else target_path / "run_results.json"


def _delivery_lines(warehouse: Path, target_path: Path) -> list[str]:
    """Which sources were delivered and, in a partial world, which marts that left empty and
    why (the models' dependencies come from dbt's manifest)."""
    from cswh.delivery import empty_mart_lines, source_lines, warehouse_deliveries

    deliveries = warehouse_deliveries(warehouse)
    lines = [
        f"  {'sources' if number == 0 else '':<11} {line}"
        for number, line in enumerate(source_lines(deliveries))
    ]
    empty = empty_mart_lines(warehouse, target_path / "manifest.json", deliveries)
    lines += [f"  {'empty' if number == 0 else '':<11} {line}" for number, line in enumerate(empty)]
    return lines


def bi_line(bi_path: Path) -> str:
    if not bi_path.exists():
        return f"{bi_path.resolve()} not written yet (cswh export)"
    return f"{bi_path.resolve()}  (marts only, for BI tools and the dashboard: docs/bi.md)"


def render(
    warehouse: Path,
    landing: Path,
    export_dir: Path | None = None,
    target_path: Path | None = None,
) -> str:
    from cswh.bi_file import bi_path_for
    from cswh.export import export_dir_for

    summary = warehouse_summary(warehouse)
    target_path = settings.dbt_target_path() if target_path is None else target_path
    export_dir = export_dir_for(warehouse) if export_dir is None else export_dir
    dbt_docs = target_path / "index.html"
    schemas = ", ".join(
        f"{schema} ({count})" for schema, count in summary["relations_by_schema"].items()
    )
    lines = [
        "",
        "cs_warehouse is built.",
        f"  warehouse   {warehouse.resolve()}  (engineers and dbt only: it holds raw data)",
        f"  BI file     {bi_line(bi_path_for(warehouse))}",
        f"  extracts    {landing.resolve()}",
        f"  rows        read {summary['rows_read']:,}, loaded {summary['rows_loaded']:,}, "
        f"quarantined {summary['rows_quarantined']:,} (files loaded {summary['files_loaded']}, "
        f"refused {summary['files_refused']}; why: loader.quarantined_rows)",
        f"  dbt         {dbt_line(_build_results(warehouse, target_path))}",
        *_delivery_lines(warehouse, target_path),
        f"  schemas     {schemas}",
        f"  parquet     {export_line(export_dir)}",
        f"  data docs   {(warehouse.parent / 'quality' / 'data_docs' / 'index.html').resolve()}",
        f"  dbt docs    {dbt_docs.resolve()}"
        if dbt_docs.exists()
        else "  dbt docs    not generated (dbt docs generate, then open target/index.html)",
        f"  dashboard   make dashboard, then open {DASHBOARD_URL}",
    ]
    return "\n".join(lines)


def summary_command(warehouse: Path, landing: Path, export_dir: Path | None = None) -> int:
    """`cswh summary`: the summary of any built warehouse; exit 1 when there is none."""
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}; run `make demo` or `cswh run`", file=sys.stderr)
        return 1
    print(render(warehouse, landing, export_dir=export_dir))
    return 0
