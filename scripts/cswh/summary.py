"""End-of-demo summary: where the warehouse is, what was loaded and what dbt built."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import duckdb

from cswh import settings
from cswh.raw_schema import LOAD_AUDIT_TABLE, QUARANTINE_TABLE


def dbt_results(run_results: Path) -> Counter:
    """Counts of dbt nodes by (resource type, status) from the last invocation."""
    if not run_results.exists():
        return Counter()
    results = json.loads(run_results.read_text())["results"]
    return Counter((result["unique_id"].split(".")[0], result["status"]) for result in results)


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


def render(warehouse: Path, landing: Path) -> str:
    summary = warehouse_summary(warehouse)
    results = dbt_results(settings.dbt_target_path() / "run_results.json")
    built = sum(
        n
        for (kind, status), n in results.items()
        if kind in ("model", "seed") and status == "success"
    )
    tests_passed = sum(
        n
        for (kind, status), n in results.items()
        if kind in ("test", "unit_test") and status == "pass"
    )
    tests_other = sum(
        n
        for (kind, status), n in results.items()
        if kind in ("test", "unit_test") and status != "pass"
    )
    schemas = ", ".join(
        f"{schema} ({count})" for schema, count in summary["relations_by_schema"].items()
    )
    lines = [
        "",
        "cs_warehouse is built.",
        f"  warehouse   {warehouse.resolve()}",
        f"  extracts    {landing.resolve()}",
        f"  loaded      {summary['files_loaded']} files, {summary['rows_loaded']:,} rows "
        f"(read {summary['rows_read']:,}, quarantined {summary['rows_quarantined']:,}, "
        f"files refused {summary['files_refused']})",
        f"  dbt         {built} models/seeds built, {tests_passed} tests passed, "
        f"{tests_other} not passed",
        f"  schemas     {schemas}",
        f"  data docs   {(warehouse.parent / 'quality' / 'data_docs' / 'index.html').resolve()}",
        "",
        "Look at it (read-only, so a build can still write):",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{warehouse}', "
        "read_only=True).sql('select * from loader.load_audit'))\"",
        "  tables: loader.load_audit (every file), loader.quarantined_rows (every rejected row "
        "and why), staging.stg_<source>__<entity>, marts.*",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path())
    parser.add_argument("--landing", type=Path, default=settings.landing_dir())
    args = parser.parse_args()
    print(render(args.warehouse, args.landing))


if __name__ == "__main__":
    main()
