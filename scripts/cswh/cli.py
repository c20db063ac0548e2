"""The ``cswh`` command line: thin wrappers over the package's functions.

Exit codes: 0 success; 1 the input was refused (a file could not be loaded); 2 wrong usage;
3 the dbt build or its tests failed; 4 the contracts and the dbt YAML disagree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from cswh import settings
from cswh.load import LoadResult

EXIT_OK = 0
EXIT_INPUT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BUILD_FAILED = 3
EXIT_CONTRACTS_STALE = 4


def _progress(step: str, done: int, total: int) -> None:
    if not sys.stderr.isatty() and done not in (total,) and done % 25:
        return
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done >= total else "\r"
    print(
        f"  {step:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from cswh.generate import append_next_day, generate_landing

    landing = Path(args.landing)
    if args.next_day:
        result = append_next_day(landing, days=args.days, progress=_progress)
    else:
        result = generate_landing(
            landing,
            scale=args.scale,
            seed=args.seed,
            end_date=args.end_date,
            file_format=args.format,
            progress=_progress,
        )
    total = sum(result.rows_by_entity.values())
    print(
        f"generated {len(result.files)} file(s), {total:,} rows, extracts through "
        f"{result.extract_date}, in {result.seconds:.1f}s -> {landing}"
    )
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from cswh.load import load_landing

    try:
        result = load_landing(Path(args.landing), Path(args.warehouse), progress=_progress)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_REFUSED
    _report_load(result)
    return EXIT_OK if result.ok else EXIT_INPUT_REFUSED


def _report_load(result: LoadResult) -> None:
    loaded = [f for f in result.files if f.status == "loaded"]
    skipped = [f for f in result.files if f.status == "skipped"]
    for file in loaded:
        if file.rows_quarantined:
            print(f"warning: {file.path}: {file.message}", file=sys.stderr)
    for file in result.refused:
        print(f"error: {file.path}: refused: {file.message}", file=sys.stderr)
    print(
        f"load {result.load_id}: {len(loaded)} file(s) loaded, {len(skipped)} already loaded, "
        f"{len(result.refused)} refused; rows read {result.total('rows_read'):,}, loaded "
        f"{result.total('rows_loaded'):,}, quarantined {result.total('rows_quarantined'):,}"
    )


def dbt_command(*arguments: str) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt),
        *arguments,
        "--project-dir",
        str(settings.REPO_ROOT),
        "--profiles-dir",
        str(settings.REPO_ROOT),
    ]


def run_dbt(warehouse: Path, *arguments: str) -> int:
    env = os.environ | {"CSWH_WAREHOUSE_PATH": str(warehouse.resolve())}
    completed = subprocess.run(
        dbt_command(*arguments), env=env, cwd=settings.REPO_ROOT, check=False
    )
    return completed.returncode


def cmd_build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    arguments = ["build", *(["--select", args.select] if args.select else [])]
    code = run_dbt(Path(args.warehouse), *arguments)
    if code != 0:
        print(
            f"error: dbt build failed (exit {code}); see the output above and logs/dbt.log",
            file=sys.stderr,
        )
        return EXIT_BUILD_FAILED
    print(f"dbt build passed in {time.monotonic() - started:.0f}s -> {args.warehouse}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from cswh.publish import quality_dir_for, run_pipeline

    published = Path(args.warehouse)
    arguments = ["build", *(["--select", args.select] if args.select else [])]
    result = run_pipeline(
        Path(args.landing),
        published,
        build=lambda candidate: run_dbt(candidate, *arguments),
        run_results=settings.dbt_target_path() / "run_results.json",
        progress=_progress,
        freshness=lambda candidate: run_dbt(candidate, "source", "freshness"),
        quality_dir=quality_dir_for(published),
    )
    if result.load is not None:
        _report_load(result.load)
    for warning in result.warnings:
        print(f"warning: extract check: {warning}", file=sys.stderr)
    if result.data_docs is not None:
        print(f"data quality docs: {result.data_docs}")
    if result.published:
        print(f"checks passed; {result.message}")
        return EXIT_OK
    for check in result.failed_checks:
        print(f"error: failed check: {check}", file=sys.stderr)
    print(f"error: not published: {result.message}", file=sys.stderr)
    refused = result.load is not None and not result.load.ok
    return EXIT_INPUT_REFUSED if refused else EXIT_BUILD_FAILED


def cmd_contracts(args: argparse.Namespace) -> int:
    from cswh.dbt_yaml import check_dbt_yaml, write_dbt_yaml

    if args.write:
        for path in write_dbt_yaml(settings.REPO_ROOT):
            print(f"wrote {path.relative_to(settings.REPO_ROOT)}")
        return EXIT_OK
    stale = check_dbt_yaml(settings.REPO_ROOT)
    for path in stale:
        print(f"out of date with scripts/cswh/contracts.py: {path}", file=sys.stderr)
    if stale:
        print("run `cswh contracts --write` and commit the result", file=sys.stderr)
        return EXIT_CONTRACTS_STALE
    print("dbt sources and staging YAML match the contracts")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cswh",
        description="cs_warehouse: generate sample extracts, load them, build the warehouse.",
        epilog="Paths default to the environment variables CSWH_LANDING_DIR and "
        "CSWH_WAREHOUSE_PATH (landing/ and warehouse/cs_warehouse.duckdb).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_paths(sub: argparse.ArgumentParser, landing: bool = True) -> None:
        if landing:
            sub.add_argument(
                "--landing",
                default=str(settings.landing_dir()),
                help="landing folder of extract files (default: %(default)s)",
            )
        sub.add_argument(
            "--warehouse",
            default=str(settings.warehouse_path()),
            help="DuckDB warehouse file (default: %(default)s)",
        )

    generate = commands.add_parser(
        "generate",
        help="write synthetic raw extracts into the landing folder",
        description="Write deterministic synthetic extracts for all four source systems.",
    )
    generate.add_argument(
        "--landing",
        default=str(settings.landing_dir()),
        help="landing folder to write (default: %(default)s)",
    )
    generate.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="scale factor; 1 is about 1,000 accounts (default: %(default)s)",
    )
    generate.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    generate.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 10, 31),
        help="last day of history, YYYY-MM-DD (default: %(default)s)",
    )
    generate.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format (default: %(default)s)",
    )
    generate.add_argument(
        "--next-day",
        action="store_true",
        help="append the next day(s) of extracts to an existing landing folder",
    )
    generate.add_argument(
        "--days", type=int, default=1, help="with --next-day: how many days to append (default: 1)"
    )
    generate.set_defaults(handler=cmd_generate)

    load = commands.add_parser(
        "load",
        help="check extract files against their contracts and load them",
        description="Load every extract file not loaded yet into the raw schema; rows that "
        "break the contract go to loader.quarantined_rows with their reason.",
    )
    with_paths(load)
    load.set_defaults(handler=cmd_load)

    build = commands.add_parser(
        "build",
        help="run dbt build (models, seeds, tests)",
        description="Run `dbt build` against the warehouse.",
    )
    with_paths(build, landing=False)
    build.add_argument("--select", help="dbt selection, e.g. staging")
    build.set_defaults(handler=cmd_build)

    run = commands.add_parser(
        "run",
        help="load, build and test a candidate; publish it only if every check passed",
        description="Write-audit-publish: copy the published warehouse (--warehouse) to a "
        "candidate beside it, load new extracts into the candidate, run dbt build (models and "
        "tests) against it, and replace the published warehouse with it only when everything "
        "passed. On failure the published warehouse is untouched and the failed candidate is "
        "kept beside it as <warehouse>.failed.",
    )
    with_paths(run)
    run.add_argument("--select", help="dbt selection for the build step")
    run.set_defaults(handler=cmd_run)

    contracts = commands.add_parser(
        "contracts",
        help="check (or rewrite) the dbt YAML rendered from the contracts",
        description="The dbt sources and staging YAML are rendered from "
        "scripts/cswh/contracts.py; check they match, or rewrite them.",
    )
    contracts.add_argument("--write", action="store_true", help="rewrite the YAML files")
    contracts.set_defaults(handler=cmd_contracts)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
