"""The ``cswh`` command line: thin wrappers over the package's functions.

Each subcommand is one ``add_<name>`` function registering its parser in :data:`COMMANDS` and one
``cmd_<name>`` handler returning an exit code; a new command is one more pair and one more entry.
The exit codes are in :data:`EXIT_CODES` (shown by ``cswh --help``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from cswh import settings
from cswh.disk import DiskFull, disk_full, is_disk_full
from cswh.load import LoadResult
from cswh.lock import WAIT_ENV, WarehouseBusy, warehouse_lock
from cswh.progress import Progress, stream_dbt
from cswh.publish import build_ran_out_of_space
from cswh.vendors import VENDORS

EXIT_OK = 0
EXIT_INPUT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BUILD_FAILED = 3
EXIT_CONTRACTS_STALE = 4
EXIT_EXPORT_FAILED = 5
EXIT_BUSY = 6
EXIT_DISK_FULL = 7
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_INPUT_REFUSED: "input refused: an extract file could not be loaded (nothing published)",
    EXIT_USAGE: "wrong usage: unknown option, bad value or setting",
    EXIT_BUILD_FAILED: "dbt build, a test, freshness or a quality gate failed (nothing published)",
    EXIT_CONTRACTS_STALE: "the dbt YAML is out of date with the contracts (cswh contracts)",
    EXIT_EXPORT_FAILED: "the BI file or the Parquet export failed; after `cswh run` the "
    "warehouse WAS published and the previous BI file and export stay",
    EXIT_BUSY: "another command is writing the warehouse (one writer at a time; see --wait)",
    EXIT_DISK_FULL: "disk full: the partial candidate or export was removed; the published "
    "warehouse is unchanged (after a publish: the export failed, the warehouse WAS published)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); a run leaves the published warehouse unchanged",
}
EXIT_CODES_EPILOG = "exit codes:\n" + "\n".join(
    f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()
)


def cmd_generate(args: argparse.Namespace) -> int:
    if args.dialect and args.next_day:
        print("error: --dialect applies to a new world, not to --next-day", file=sys.stderr)
        return EXIT_USAGE
    from cswh.generate import append_next_day, generate_landing

    landing = Path(args.landing)
    progress = Progress()
    if args.next_day:
        result = append_next_day(landing, days=args.days, progress=progress)
    else:
        result = generate_landing(
            landing,
            scale=args.scale,
            seed=args.seed,
            end_date=args.end_date,
            file_format=args.format,
            progress=progress,
        )
    if args.dialect:
        from cswh.vendors.dialect import write_dialect_landing

        written = write_dialect_landing(landing, args.dialect)
        shapes = ", ".join(f"{vendor} ({files} files)" for vendor, files in written.items())
        print(f"rewrote in vendor shapes: {shapes}; see {landing}/_source_systems.yml")
    total = sum(result.rows_by_entity.values())
    print(
        f"generated {len(result.files)} file(s), {total:,} rows, extracts through "
        f"{result.extract_date}, in {result.seconds:.1f}s -> {landing}"
    )
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from cswh.load import load_landing

    try:
        result = load_landing(
            Path(args.landing),
            Path(args.warehouse),
            progress=Progress(),
            wait_seconds=_wait_seconds(args),
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_REFUSED
    _report_load(result)
    return EXIT_OK if result.ok else EXIT_INPUT_REFUSED


def _wait_seconds(args: argparse.Namespace) -> float:
    from cswh.lock import wait_seconds_setting

    return args.wait if args.wait is not None else wait_seconds_setting()


def _report_load(result: LoadResult) -> None:
    loaded = [f for f in result.files if f.status == "loaded"]
    skipped = [f for f in result.files if f.status == "skipped"]
    for file in loaded:
        if file.rows_quarantined:
            print(f"warning: {file.path}: {file.message}", file=sys.stderr)
    for file in result.refused:
        print(f"error: {file.path}: refused: {file.message}", file=sys.stderr)
    for file in loaded:
        if file.entity and "." in file.entity:  # a vendor table: say what its rows became
            print(
                f"{file.entity} {file.path.name}: read {file.rows_read:,}, mapped "
                f"{file.rows_loaded:,}, skipped {file.rows_skipped:,}, quarantined "
                f"{file.rows_quarantined:,}" + (f" ({file.message})" if file.message else "")
            )
    skipped_rows = result.total("rows_skipped")
    names = ", ".join(sorted(f.path.name for f in result.ignored)[:3])
    more = ", ..." if len(result.ignored) > 3 else ""
    ignored = (
        f", {len(result.ignored)} hidden or metadata file(s) ignored ({names}{more})"
        if result.ignored
        else ""
    )
    print(
        f"load {result.load_id}: {len(loaded)} file(s) loaded, {len(skipped)} already loaded, "
        f"{len(result.refused)} refused{ignored}; rows read {result.total('rows_read'):,}, "
        f"loaded {result.total('rows_loaded'):,}, quarantined "
        f"{result.total('rows_quarantined'):,}"
        + (f", skipped by vendor adapters {skipped_rows:,}" if skipped_rows else "")
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


def dbt_log_file() -> Path:
    """Where dbt writes its full log: DBT_LOG_PATH, as dbt itself reads, or logs/ in the repo."""
    return Path(os.environ.get("DBT_LOG_PATH", settings.REPO_ROOT / "logs")) / "dbt.log"


def run_dbt(warehouse: Path, *arguments: str, verbose: bool = False) -> int:
    """Run dbt against ``warehouse`` with a progress bar named after the dbt command."""
    env = os.environ | {"CSWH_WAREHOUSE_PATH": str(warehouse.resolve())}
    step = "freshness" if arguments[:2] == ("source", "freshness") else arguments[0]
    return stream_dbt(
        dbt_command(*arguments),
        step=step,
        progress=Progress(),
        verbose=verbose,
        env=env,
        cwd=settings.REPO_ROOT,
    )


def _build_arguments(args: argparse.Namespace) -> list[str]:
    return [
        "build",
        *(["--select", args.select] if args.select else []),
        *(["--full-refresh"] if getattr(args, "full_refresh", False) else []),
    ]


def cmd_build(args: argparse.Namespace) -> int:
    from cswh.summary import dbt_line

    started = time.monotonic()
    warehouse = Path(args.warehouse)
    with warehouse_lock(warehouse, "cswh build", _wait_seconds(args)):
        code = run_dbt(warehouse, *_build_arguments(args), verbose=args.verbose)
    run_results = settings.dbt_target_path() / "run_results.json"
    outcome = dbt_line(run_results)
    if code != 0 and build_ran_out_of_space(run_results, warehouse):
        raise disk_full("running dbt build on", warehouse)
    if code != 0:
        print(
            f"error: dbt build failed (exit {code}): {outcome}; the failures are above, every "
            f"detail is in {dbt_log_file()}",
            file=sys.stderr,
        )
        return EXIT_BUILD_FAILED
    print(f"dbt build passed in {time.monotonic() - started:.0f}s: {outcome} -> {args.warehouse}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from cswh.publish import quality_dir_for, run_pipeline
    from cswh.summary import dbt_line, render

    published = Path(args.warehouse)
    run_results = settings.dbt_target_path() / "run_results.json"
    result = run_pipeline(
        Path(args.landing),
        published,
        build=lambda candidate: run_dbt(candidate, *_build_arguments(args), verbose=args.verbose),
        run_results=run_results,
        progress=Progress(),
        freshness=lambda candidate, selectors: run_dbt(
            candidate, "source", "freshness", "--select", *selectors, verbose=args.verbose
        ),
        quality_dir=quality_dir_for(published),
        wait_seconds=_wait_seconds(args),
    )
    if result.load is not None:
        _report_load(result.load)
    for warning in result.warnings:
        print(f"warning: extract check: {warning}", file=sys.stderr)
    if not result.published:
        if result.load is not None and result.load.ok:
            print(f"dbt: {dbt_line(run_results)}", file=sys.stderr)
        if result.data_docs is not None:
            print(f"data quality docs: {result.data_docs}", file=sys.stderr)
        for check in result.failed_checks:
            print(f"error: failed check: {check}", file=sys.stderr)
        print(f"error: not published: {result.message}", file=sys.stderr)
        refused = result.load is not None and not result.load.ok
        return EXIT_INPUT_REFUSED if refused else EXIT_BUILD_FAILED
    print(f"checks passed; {result.message}")
    code = _publish_bi_file(published)
    export_dir = None
    if not args.no_export:
        export_dir = _export_dir(args)
        code = code or _export(published, export_dir, partition_rows=None)
    print(render(published, Path(args.landing), export_dir=export_dir))
    return code


def _export_dir(args: argparse.Namespace) -> Path:
    from cswh.export import export_dir_for

    return Path(args.export_dir) if args.export_dir else export_dir_for(Path(args.warehouse))


def _export(warehouse: Path, export_dir: Path, partition_rows: int | None) -> int:
    from cswh.export import ExportError, export_marts

    try:
        exported = export_marts(warehouse, export_dir, min_rows=partition_rows, progress=Progress())
    except DiskFull as error:
        print(f"error: {error}", file=sys.stderr)
        print(
            f"  the warehouse {warehouse} is not affected; the partial export was removed and "
            f"the previous export in {export_dir} (if any) is unchanged",
            file=sys.stderr,
        )
        return EXIT_DISK_FULL
    except ExportError as error:
        print(f"error: Parquet export failed: {error}", file=sys.stderr)
        print(
            f"  the warehouse {warehouse} is not affected; the previous export in {export_dir} "
            "(if any) is unchanged; fix the cause and run `cswh export`",
            file=sys.stderr,
        )
        return EXIT_EXPORT_FAILED
    partitioned = sum(1 for mart in exported.marts if mart.partitioned_by)
    print(
        f"exported {len(exported.marts)} marts ({partitioned} partitioned by year), "
        f"{exported.rows:,} rows, in {exported.seconds:.1f}s -> {export_dir}"
    )
    return EXIT_OK


def _publish_bi_file(warehouse: Path) -> int:
    """Copy the marts, and nothing else, into the BI file (docs/bi.md)."""
    from cswh.bi_file import BiFileError, bi_path_for, publish_bi_file

    bi_path = bi_path_for(warehouse)
    kept = f"the warehouse {warehouse} is not affected; the previous BI file {bi_path} stays"
    try:
        written = publish_bi_file(warehouse, bi_path)
    except BiFileError as error:
        print(f"error: BI file not written: {error}\n  {kept}", file=sys.stderr)
        return EXIT_EXPORT_FAILED
    except (OSError, duckdb.Error) as error:
        if not is_disk_full(error):
            raise
        print(f"error: {disk_full('writing the BI file', bi_path)}\n  {kept}", file=sys.stderr)
        return EXIT_DISK_FULL
    print(
        f"BI file: {len(written.marts)} marts, {written.rows:,} rows, in {written.seconds:.1f}s "
        f"-> {bi_path}"
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse)
    bi_code = _publish_bi_file(warehouse) if not args.no_bi_file else EXIT_OK
    export_code = _export(warehouse, _export_dir(args), args.partition_rows)
    return bi_code or export_code


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


# --- parsers -------------------------------------------------------------------------------

Subcommands = argparse._SubParsersAction


def _add_landing(sub: argparse.ArgumentParser, help_text: str) -> None:
    sub.add_argument(
        "--landing",
        default=str(settings.landing_dir()),
        help=f"{help_text} (default: %(default)s, set by $CSWH_LANDING_DIR)",
    )


def _add_warehouse(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--warehouse",
        default=str(settings.warehouse_path()),
        help="DuckDB warehouse file (default: %(default)s, set by $CSWH_WAREHOUSE_PATH)",
    )


def _add_wait(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="when another command is writing the warehouse, wait up to this long for it "
        f"(default: ${WAIT_ENV} or 0: refuse at once with exit 6)",
    )


def _add_verbose(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print every line dbt writes, also on a terminal (default: a progress bar and "
        "only failures, warnings and dbt's summary; elsewhere dbt's output is always printed)",
    )


def _add_export_dir(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--export-dir",
        help="folder of the Parquet export, one subfolder per mart (default: $CSWH_EXPORT_DIR "
        "or parquet/ beside the warehouse file)",
    )


def _new_parser(
    commands: Subcommands, name: str, summary: str, description: str, handler: Callable
) -> argparse.ArgumentParser:
    sub = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=EXIT_CODES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.set_defaults(handler=handler)
    return sub


def _dialect(text: str) -> list[str]:
    from cswh.vendors.dialect import parse_dialect

    try:
        return parse_dialect(text)
    except (ValueError, ImportError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_generate(commands: Subcommands) -> None:
    sub = _new_parser(
        commands,
        "generate",
        "write synthetic raw extracts into the landing folder",
        "Write deterministic synthetic extracts for all four source systems (support desk,\n"
        "billing, CRM, product usage): the same seed, scale and end date give identical files.",
        cmd_generate,
    )
    _add_landing(sub, "landing folder to write")
    sub.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="scale factor; 1 is about 1,000 accounts (default: %(default)s)",
    )
    sub.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    sub.add_argument(
        "--dialect",
        type=_dialect,
        default=None,
        help="deliver the same world in vendor shapes, e.g. stripe,zendesk,hubspot,segment "
        "(vendors: " + ", ".join(VENDORS) + "); writes <landing>/_source_systems.yml "
        "(default: all native)",
    )
    sub.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 10, 31),
        help="last day of history, YYYY-MM-DD (default: %(default)s)",
    )
    sub.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format (default: %(default)s)",
    )
    sub.add_argument(
        "--next-day",
        action="store_true",
        help="append the next day(s) of extracts to an existing landing folder",
    )
    sub.add_argument(
        "--days",
        type=int,
        default=1,
        help="with --next-day: how many days to append (default: %(default)s)",
    )


def add_load(commands: Subcommands) -> None:
    sub = _new_parser(
        commands,
        "load",
        "check extract files against their contracts and load them",
        "Load every extract file not loaded yet into the raw schema of the warehouse. Rows that\n"
        "break the contract go to loader.quarantined_rows with their reason; every file gets a\n"
        "row in loader.load_audit. Writes the warehouse directly (no candidate, no dbt).",
        cmd_load,
    )
    _add_landing(sub, "landing folder of extract files")
    _add_warehouse(sub)
    _add_wait(sub)


def add_build(commands: Subcommands) -> None:
    sub = _new_parser(
        commands,
        "build",
        "run dbt build (models, seeds, tests) against the warehouse",
        "Run `dbt build` against the warehouse, in place (no candidate, nothing published).\n"
        "dbt artefacts go to $DBT_TARGET_PATH (default target/), its log to $DBT_LOG_PATH.",
        cmd_build,
    )
    _add_warehouse(sub)
    sub.add_argument("--select", help="dbt selection, e.g. staging (default: everything)")
    sub.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from all raw data (after changing their columns, or "
        "to repair anything older than their lookback)",
    )
    _add_wait(sub)
    _add_verbose(sub)


def add_run(commands: Subcommands) -> None:
    sub = _new_parser(
        commands,
        "run",
        "load, build and test a candidate; publish it only if every check passed; export Parquet",
        "Write-audit-publish: copy the published warehouse (--warehouse) to a candidate beside\n"
        "it, load new extracts into the candidate, run dbt build (models and tests), source\n"
        "freshness and the Great Expectations mart checks against it, and replace the published\n"
        "warehouse with it only when everything passed. On failure the published warehouse is\n"
        "untouched and the failed candidate is kept beside it as <warehouse>.failed.\n"
        "After a publish the marts are exported as Parquet (see `cswh export --help`) and a\n"
        "summary says what was loaded and built and where to look.",
        cmd_run,
    )
    _add_landing(sub, "landing folder of extract files")
    _add_warehouse(sub)
    sub.add_argument("--select", help="dbt selection for the build step (default: everything)")
    _add_export_dir(sub)
    sub.add_argument(
        "--no-export", action="store_true", help="publish without writing the Parquet export"
    )
    _add_wait(sub)
    _add_verbose(sub)


def add_export(commands: Subcommands) -> None:
    from cswh.export import DEFAULT_PARTITION_MIN_ROWS, PARTITION_ROWS_ENV

    sub = _new_parser(
        commands,
        "export",
        "write the BI file (marts only) and every mart as Parquet, for BI tools",
        "Copy schema marts, and nothing else, into the BI file (<warehouse stem>_bi.duckdb\n"
        "beside the warehouse, or $CSWH_BI_WAREHOUSE_PATH), swapped in atomically: BI tools and\n"
        "the dashboard open it instead of the warehouse, whose raw and loader schemas hold\n"
        "personal data. Then write every table of schema marts to <export dir>/<mart>/ as\n"
        "Parquet; a mart with a month or week column and many rows is partitioned by year\n"
        "(<mart>/year=2025/...). The new export is written beside the current one and swapped in\n"
        "atomically, so readers never see half an export; <export dir>/_manifest.json lists\n"
        "what was written. `cswh run` does this after every publish. See docs/bi.md.",
        cmd_export,
    )
    _add_warehouse(sub)
    _add_export_dir(sub)
    sub.add_argument(
        "--partition-rows",
        type=int,
        help=f"partition a mart by year from this many rows (default: ${PARTITION_ROWS_ENV} or "
        f"{DEFAULT_PARTITION_MIN_ROWS})",
    )
    sub.add_argument(
        "--no-bi-file", action="store_true", help="write only the Parquet export, not the BI file"
    )


def add_contracts(commands: Subcommands) -> None:
    sub = _new_parser(
        commands,
        "contracts",
        "check (or rewrite) the dbt YAML rendered from the contracts",
        "The dbt sources and staging YAML are rendered from scripts/cswh/contracts.py; check\n"
        "they match (exit 4 if not), or rewrite them.",
        cmd_contracts,
    )
    sub.add_argument("--write", action="store_true", help="rewrite the YAML files")


# Every subcommand, in the order `cswh --help` lists them.
COMMANDS: list[Callable[[Subcommands], None]] = [
    add_generate,
    add_load,
    add_build,
    add_run,
    add_export,
    add_contracts,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cswh",
        description="cs_warehouse: generate sample extracts, load them, build, publish and "
        "export the warehouse. `cswh COMMAND --help` describes each command.",
        epilog=EXIT_CODES_EPILOG
        + "\n\nenvironment: CSWH_LANDING_DIR (default landing), CSWH_WAREHOUSE_PATH (default "
        "warehouse/cs_warehouse.duckdb),\nCSWH_EXPORT_DIR (default parquet/ beside the "
        "warehouse), DBT_TARGET_PATH, DBT_LOG_PATH.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except WarehouseBusy as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    except DiskFull as error:
        print(f"error: {error}", file=sys.stderr)
        print("  the published warehouse is unchanged", file=sys.stderr)
        return EXIT_DISK_FULL
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nerror: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
