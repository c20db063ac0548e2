"""The ``cswh`` command line: one click tree of thin wrappers over the package's functions.

Every command is a click command whose callback returns an exit code; the work is in plain
``cmd_<name>`` functions (and the modules they call) that tests call directly. The exit codes are
in :data:`EXIT_CODES` (shown by ``cswh --help``); click's own usage errors exit 2 as well.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
import duckdb

from cswh import dbt_runner, settings
from cswh.disk import DiskFull, disk_full, is_disk_full
from cswh.load import LoadResult
from cswh.lock import WarehouseBusy, warehouse_lock
from cswh.progress import Progress
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


def cmd_generate(
    landing: Path,
    scale: float = 1.0,
    seed: int = 42,
    end_date: date = date(2026, 10, 31),
    file_format: str = "csv",
    dialect: Sequence[str] | None = None,
    next_day: bool = False,
    days: int = 1,
) -> int:
    if dialect and next_day:
        print("error: --dialect applies to a new world, not to --next-day", file=sys.stderr)
        return EXIT_USAGE
    from cswh.generate import append_next_day, generate_landing

    progress = Progress()
    if next_day:
        result = append_next_day(landing, days=days, progress=progress)
    else:
        result = generate_landing(
            landing,
            scale=scale,
            seed=seed,
            end_date=end_date,
            file_format=file_format,
            progress=progress,
        )
    if dialect:
        from cswh.vendors.dialect import write_dialect_landing

        written = write_dialect_landing(landing, list(dialect))
        shapes = ", ".join(f"{vendor} ({files} files)" for vendor, files in written.items())
        print(f"rewrote in vendor shapes: {shapes}; see {landing}/_source_systems.yml")
    total = sum(result.rows_by_entity.values())
    print(
        f"generated {len(result.files)} file(s), {total:,} rows, extracts through "
        f"{result.extract_date}, in {result.seconds:.1f}s -> {landing}"
    )
    return EXIT_OK


def cmd_load(landing: Path, warehouse: Path, wait: float | None = None) -> int:
    from cswh.load import load_landing

    try:
        result = load_landing(
            landing, warehouse, progress=Progress(), wait_seconds=_wait_seconds(wait)
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_REFUSED
    _report_load(result)
    return EXIT_OK if result.ok else EXIT_INPUT_REFUSED


def _wait_seconds(wait: float | None) -> float:
    from cswh.lock import wait_seconds_setting

    return wait if wait is not None else wait_seconds_setting()


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


def dbt_log_file() -> Path:
    """Where dbt writes its full log: DBT_LOG_PATH, as dbt itself reads, or logs/ in the repo."""
    return settings.dbt_log_path() / "dbt.log"


def run_dbt(warehouse: Path, *arguments: str, verbose: bool = False) -> int:
    """Run dbt against ``warehouse`` with a progress bar named after the dbt command."""
    step = "freshness" if arguments[:2] == ("source", "freshness") else arguments[0]
    return dbt_runner.run_dbt(
        arguments,
        step=step,
        progress=Progress(),
        verbose=verbose,
        env={"CSWH_WAREHOUSE_PATH": str(warehouse.resolve())},
    )


def build_arguments(
    select: str | None, full_refresh: bool = False, unit_tests: bool = False
) -> list[str]:
    """`dbt build` arguments; unit tests are left out unless asked for.

    Unit tests pin formulas on hand-written rows: they belong in CI (`make test`), and in a
    production run they would only spend time proving again what the code already proved.
    """
    return [
        "build",
        *(["--select", select] if select else []),
        *([] if unit_tests else ["--exclude-resource-type", "unit_test"]),
        *(["--full-refresh"] if full_refresh else []),
    ]


def cmd_build(
    warehouse: Path,
    select: str | None = None,
    full_refresh: bool = False,
    unit_tests: bool = False,
    wait: float | None = None,
    verbose: bool = False,
) -> int:
    from cswh.summary import dbt_line

    started = time.monotonic()
    arguments = build_arguments(select, full_refresh, unit_tests)
    with warehouse_lock(warehouse, "cswh build", _wait_seconds(wait)):
        code = run_dbt(warehouse, *arguments, verbose=verbose)
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
    print(f"dbt build passed in {time.monotonic() - started:.0f}s: {outcome} -> {warehouse}")
    return EXIT_OK


def cmd_run(
    landing: Path,
    warehouse: Path,
    select: str | None = None,
    unit_tests: bool = False,
    export_dir: Path | None = None,
    no_export: bool = False,
    wait: float | None = None,
    verbose: bool = False,
) -> int:
    from cswh.publish import quality_dir_for, run_pipeline
    from cswh.summary import dbt_line, render

    published = warehouse
    run_results = settings.dbt_target_path() / "run_results.json"
    arguments = build_arguments(select, unit_tests=unit_tests)
    result = run_pipeline(
        landing,
        published,
        build=lambda candidate: run_dbt(candidate, *arguments, verbose=verbose),
        run_results=run_results,
        progress=Progress(),
        freshness=lambda candidate, selectors: run_dbt(
            candidate, "source", "freshness", "--select", *selectors, verbose=verbose
        ),
        quality_dir=quality_dir_for(published),
        wait_seconds=_wait_seconds(wait),
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
    written_to = None
    if not no_export:
        written_to = _export_dir(export_dir, published)
        code = code or _export(published, written_to, partition_rows=None)
    print(render(published, landing, export_dir=written_to))
    return code


def _export_dir(export_dir: Path | None, warehouse: Path) -> Path:
    from cswh.export import export_dir_for

    return export_dir if export_dir else export_dir_for(warehouse)


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


def cmd_export(
    warehouse: Path,
    export_dir: Path | None = None,
    partition_rows: int | None = None,
    no_bi_file: bool = False,
) -> int:
    bi_code = _publish_bi_file(warehouse) if not no_bi_file else EXIT_OK
    export_code = _export(warehouse, _export_dir(export_dir, warehouse), partition_rows)
    return bi_code or export_code


def cmd_contracts(write: bool = False) -> int:
    from cswh.dbt_yaml import check_dbt_yaml, write_dbt_yaml

    if write:
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


# --- the click tree ------------------------------------------------------------------------

# `\b` keeps click from re-wrapping the table.
EXIT_CODES_HELP = "\b\n" + EXIT_CODES_EPILOG
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Options of `cswh target ... build` that click does not know go to dbt build unchanged.
DBT_PASSTHROUGH = CONTEXT | {"ignore_unknown_options": True, "allow_extra_args": True}


class InOrder(click.Group):
    """Lists its commands in the order they are defined (the order of a run), not A to Z."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def package_version() -> str:
    try:
        return version("cs-warehouse")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def landing_option(help_text: str) -> Callable:
    return click.option(
        "--landing",
        type=click.Path(path_type=Path),
        default=lambda: settings.landing_dir(),
        show_default="$CSWH_LANDING_DIR or landing",
        help=help_text,
    )


def warehouse_option(help_text: str = "DuckDB warehouse file") -> Callable:
    return click.option(
        "--warehouse",
        type=click.Path(path_type=Path),
        default=lambda: settings.warehouse_path(),
        show_default="$CSWH_WAREHOUSE_PATH or warehouse/cs_warehouse.duckdb",
        help=help_text,
    )


wait_option = click.option(
    "--wait",
    type=float,
    metavar="SECONDS",
    default=None,
    help="when another command is writing the warehouse, wait up to this long for it "
    "(default: $CSWH_LOCK_WAIT_SECONDS or 0: refuse at once with exit 6)",
)
verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="print every line dbt writes, also on a terminal (default: a progress bar and only "
    "failures, warnings and dbt's summary; elsewhere dbt's output is always printed)",
)
export_dir_option = click.option(
    "--export-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="folder of the Parquet export, one subfolder per mart (default: $CSWH_EXPORT_DIR or "
    "parquet/ beside the warehouse file)",
)
unit_tests_option = click.option(
    "--unit-tests",
    is_flag=True,
    help="also run the dbt unit tests (default: left out; they are CI's job, `make test`)",
)


def _dialect(_context: click.Context, _parameter: click.Parameter, text: str | None) -> list[str]:
    if text is None:
        return []
    from cswh.vendors.dialect import parse_dialect

    try:
        return parse_dialect(text)
    except (ValueError, ImportError) as error:
        raise click.BadParameter(str(error)) from None


def _iso_date(_context: click.Context, _parameter: click.Parameter, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD") from None


def _scales(
    _context: click.Context, _parameter: click.Parameter, values: Sequence[str]
) -> list[float]:
    try:
        return [float(text) for value in values for text in value.replace(",", " ").split()]
    except ValueError:
        raise click.BadParameter(f"{' '.join(values)!r} is not a list of numbers") from None


@click.group(
    cls=InOrder,
    context_settings=CONTEXT,
    epilog=EXIT_CODES_HELP + "\n\nEvery setting (environment variable) is in docs/settings.md.",
)
@click.version_option(package_version(), "--version", prog_name="cswh")
def cswh() -> None:
    """cs_warehouse: generate sample extracts, load them, build, publish and export the
    warehouse. `cswh COMMAND --help` describes each command."""


@cswh.command(epilog=EXIT_CODES_HELP)
@landing_option("landing folder to write")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="scale factor; 1 is about 1,000 accounts",
)
@click.option("--seed", type=int, default=42, show_default=True, help="random seed")
@click.option(
    "--dialect",
    callback=_dialect,
    help="deliver the same world in vendor shapes, e.g. stripe,zendesk,hubspot,segment "
    "(vendors: " + ", ".join(VENDORS) + "); writes <landing>/_source_systems.yml "
    "(default: all native)",
)
@click.option(
    "--end-date",
    callback=_iso_date,
    default="2026-10-31",
    show_default=True,
    help="last day of history, YYYY-MM-DD",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="file format",
)
@click.option(
    "--next-day", is_flag=True, help="append the next day(s) of extracts to an existing landing"
)
@click.option(
    "--days", type=int, default=1, show_default=True, help="with --next-day: days to append"
)
def generate(**options: object) -> int:
    """Write synthetic raw extracts into the landing folder.

    Deterministic extracts for all four source systems (support desk, billing, CRM, product
    usage): the same seed, scale and end date give identical files.
    """
    return cmd_generate(**options)


@cswh.command(epilog=EXIT_CODES_HELP)
@landing_option("landing folder of extract files")
@warehouse_option()
@wait_option
def load(landing: Path, warehouse: Path, wait: float | None) -> int:
    """Check extract files against their contracts and load them.

    Load every extract file not loaded yet into the raw schema of the warehouse. Rows that break
    the contract go to loader.quarantined_rows with their reason; every file gets a row in
    loader.load_audit. Writes the warehouse directly (no candidate, no dbt).
    """
    return cmd_load(landing, warehouse, wait)


@cswh.command(epilog=EXIT_CODES_HELP)
@warehouse_option()
@click.option("--select", help="dbt selection, e.g. staging (default: everything)")
@click.option(
    "--full-refresh",
    is_flag=True,
    help="rebuild incremental models from all raw data (after changing their columns, or to "
    "repair anything older than their lookback)",
)
@unit_tests_option
@wait_option
@verbose_option
def build(**options: object) -> int:
    """Run dbt build (models, seeds, tests) against the warehouse.

    Runs `dbt build` against the warehouse, in place (no candidate, nothing published). dbt
    artefacts go to $DBT_TARGET_PATH (default target/), its log to $DBT_LOG_PATH.
    """
    return cmd_build(**options)


@cswh.command(epilog=EXIT_CODES_HELP)
@landing_option("landing folder of extract files")
@warehouse_option()
@click.option("--select", help="dbt selection for the build step (default: everything)")
@unit_tests_option
@export_dir_option
@click.option("--no-export", is_flag=True, help="publish without writing the Parquet export")
@wait_option
@verbose_option
def run(**options: object) -> int:
    """Load, build and test a candidate; publish it only if every check passed; export.

    Write-audit-publish: copy the published warehouse (--warehouse) to a candidate beside it,
    load new extracts into the candidate, run dbt build (models and data tests), source
    freshness and the Great Expectations mart checks against it, and replace the published
    warehouse with it only when everything passed. On failure the published warehouse is
    untouched and the failed candidate is kept beside it as <warehouse>.failed. After a publish
    the marts are exported as Parquet (see `cswh export --help`) and a summary says what was
    loaded and built and where to look.
    """
    return cmd_run(**options)


@cswh.command(epilog=EXIT_CODES_HELP)
@warehouse_option()
@export_dir_option
@click.option(
    "--partition-rows",
    type=int,
    default=None,
    help="partition a mart by year from this many rows (default: $CSWH_EXPORT_PARTITION_ROWS "
    "or 100000)",
)
@click.option("--no-bi-file", is_flag=True, help="write only the Parquet export, not the BI file")
def export(**options: object) -> int:
    """Write the BI file (marts only) and every mart as Parquet, for BI tools.

    Copies schema marts, and nothing else, into the BI file (<warehouse stem>_bi.duckdb beside
    the warehouse, or $CSWH_BI_WAREHOUSE_PATH), swapped in atomically: BI tools and the
    dashboard open it instead of the warehouse, whose raw and loader schemas hold personal data.
    Then writes every table of schema marts to <export dir>/<mart>/ as Parquet; a mart with a
    month or week column and many rows is partitioned by year (<mart>/year=2025/...). The new
    export is written beside the current one and swapped in atomically; <export
    dir>/_manifest.json lists what was written. `cswh run` does this after every publish. See
    docs/bi.md.
    """
    return cmd_export(**options)


@cswh.command(epilog=EXIT_CODES_HELP)
@click.option("--write", is_flag=True, help="rewrite the YAML files")
def contracts(write: bool) -> int:
    """Check (or rewrite) the dbt YAML rendered from the contracts.

    The dbt sources and staging YAML are rendered from scripts/cswh/contracts.py; check they
    match (exit 4 if not), or rewrite them.
    """
    return cmd_contracts(write)


@cswh.command("summary", epilog=EXIT_CODES_HELP)
@warehouse_option()
@landing_option("landing folder of extract files")
@export_dir_option
def summary_(warehouse: Path, landing: Path, export_dir: Path | None) -> int:
    """Print what a built warehouse holds and where its export and docs are.

    The same summary `cswh run` prints after a publish, for any warehouse; exit 1 without one.
    """
    from cswh.summary import summary_command

    return summary_command(warehouse, landing, export_dir)


@cswh.command("settings", epilog=EXIT_CODES_HELP)
@click.option(
    "--markdown", is_flag=True, help="print docs/settings.md (every variable and its default)"
)
def settings_(markdown: bool) -> int:
    """List every setting (environment variable): its value here and its default."""
    if markdown:
        click.echo(settings.render_markdown(), nl=False)
        return EXIT_OK
    for name, value, default in settings.current_values():
        shown = value if value else f"(default: {default})" if default else "(not set)"
        click.echo(f"{name:<36} {shown}")
    return EXIT_OK


@cswh.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--scales",
    multiple=True,
    default=["1 10 50"],
    show_default=True,
    callback=_scales,
    help="scale factors to time: one quoted list separated by spaces or commas, or the option "
    "repeated",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("benchmarks"),
    show_default=True,
    help="CSV folder",
)
@click.option(
    "--work",
    type=click.Path(path_type=Path),
    default=None,
    help="scratch folder (default: a new folder under the system temp dir)",
)
@click.option("--keep", is_flag=True, help="keep the scratch folders")
@click.option(
    "--memory-limit",
    default=lambda: settings.bench_memory_limit(),
    show_default="$CSWH_BENCH_MEMORY_LIMIT or 4GB",
    help="DuckDB memory limit for the floor and dbt",
)
@click.option(
    "--threads",
    type=int,
    default=lambda: os.cpu_count() or 2,
    show_default="the number of CPUs",
    help="dbt threads: models built at once, sharing DuckDB's memory limit",
)
@click.option("--postgres", is_flag=True, help="also time a PostgreSQL build")
@click.option(
    "--doc",
    type=click.Path(path_type=Path),
    default=lambda: settings.REPO_ROOT / "docs" / "benchmarks.md",
    show_default="docs/benchmarks.md",
    help="Markdown report to render",
)
@click.option("--render-only", is_flag=True, help="only re-render the report from the CSV")
def bench(**options: object) -> int:
    """Time every stage at several scale factors, with its peak memory (make bench).

    For each scale, in a scratch folder: generate, load, the floor (read every raw column once),
    a full dbt build, one more day of extracts, its load and an incremental dbt build. Appends
    one row per scale to <out>/results.csv and re-renders docs/benchmarks.md. Prints figures; it
    is not a test and asserts nothing about speed.
    """
    from cswh import bench as benchmark

    return benchmark.run(**options)


@cswh.group(cls=InOrder, context_settings=CONTEXT)
def target() -> None:
    """Build the warehouse on another engine: PostgreSQL or Spark.

    The loader always validates into DuckDB; each target copies the raw layer to its engine and
    runs the same dbt project there (docs/targets.md).
    """


@target.group(cls=InOrder, context_settings=CONTEXT)
def postgres() -> None:
    """PostgreSQL: a private local server, raw-layer replication, dbt build, a comparison.

    Connection settings are the ones profiles.yml reads (CSWH_PG_HOST, CSWH_PG_PORT,
    CSWH_PG_USER, CSWH_PG_PASSWORD, CSWH_PG_DBNAME); CSWH_PG_DIR holds the local cluster.
    """


@postgres.command("server")
@click.argument("action", type=click.Choice(["start", "stop", "status"]))
def postgres_server(action: str) -> int:
    """Start, stop or check the local server (status exits 1 when it is down)."""
    from cswh.targets import postgres as target_module

    return target_module.handle_errors(lambda: target_module.server_command(action))


@postgres.command("replicate")
@warehouse_option("DuckDB warehouse with the loaded raw layer")
def postgres_replicate(warehouse: Path) -> int:
    """Copy the DuckDB raw schema into PostgreSQL."""
    from cswh.targets import postgres as target_module

    return target_module.handle_errors(lambda: target_module.replicate_command(warehouse))


@postgres.command("build", context_settings=DBT_PASSTHROUGH)
@warehouse_option("DuckDB warehouse with the loaded raw layer")
@click.argument("dbt_arguments", nargs=-1, type=click.UNPROCESSED)
def postgres_build(warehouse: Path, dbt_arguments: tuple[str, ...]) -> int:
    """Start the server, replicate, dbt build --target postgres (exit 3 if it fails).

    Arguments click does not know go to dbt build unchanged, e.g. --select staging.
    """
    from cswh.targets import postgres as target_module

    return target_module.handle_errors(
        lambda: target_module.build_command(warehouse, dbt_arguments)
    )


@postgres.command("compare")
@warehouse_option("DuckDB warehouse built by dbt")
@click.option(
    "--all-marts",
    is_flag=True,
    help="compare every table of the marts schema, not only the key marts",
)
def postgres_compare(warehouse: Path, all_marts: bool) -> int:
    """Compare the key marts between DuckDB and PostgreSQL row by row (exit 3 if they differ)."""
    from cswh.targets import postgres as target_module

    return target_module.handle_errors(lambda: target_module.compare_command(warehouse, all_marts))


@target.group(context_settings=CONTEXT)
def spark() -> None:
    """Spark (local pyspark session): raw layer to Parquet, dbt build --target spark, compare."""


@spark.command("replicate")
@warehouse_option("DuckDB warehouse with the loaded raw layer")
def spark_replicate(warehouse: Path) -> int:
    """Export the DuckDB raw schema to Parquet and register it in Spark."""
    from cswh.targets import spark as target_module

    return target_module.replicate_command(warehouse)


@spark.command("build", context_settings=DBT_PASSTHROUGH)
@warehouse_option("DuckDB warehouse with the loaded raw layer")
@click.option(
    "--compare",
    is_flag=True,
    help="after the build, compare row counts and column sums of the key marts with the DuckDB "
    "warehouse (which must have been built by dbt)",
)
@click.option(
    "--compare-relations",
    multiple=True,
    metavar="RELATION[,RELATION...]",
    help="compare these instead of the key marts (a mart name or schema.table; repeat the option "
    "or separate by commas); implies --compare",
)
@click.option("--summary-json", type=click.Path(path_type=Path), help="also write the summary here")
@click.argument("dbt_arguments", nargs=-1, type=click.UNPROCESSED)
def spark_build(
    warehouse: Path,
    compare: bool,
    compare_relations: tuple[str, ...],
    summary_json: Path | None,
    dbt_arguments: tuple[str, ...],
) -> int:
    """Replicate, then dbt build --target spark (exit 3 if it fails or the marts differ).

    Arguments click does not know go to dbt build unchanged, e.g. --select staging.
    """
    from cswh.targets import spark as target_module

    relations = [name for value in compare_relations for name in value.split(",") if name]
    return target_module.build_command(warehouse, dbt_arguments, compare, relations, summary_json)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cswh`` tree; the exit code (see :data:`EXIT_CODES`) instead of exiting."""
    try:
        code = cswh.main(args=argv, prog_name="cswh", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:  # click's name for Ctrl-C
        print("\nerror: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
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
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
