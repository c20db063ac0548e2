"""Benchmark: how long each stage takes at several scale factors, and how much memory it needs.

    cswh bench --scales 1 10 50 --out benchmarks/

For each scale, in a scratch folder (removed afterwards unless ``--keep``), this runs, each step
in a fresh child process: ``cswh generate``, ``cswh load``, the floor (a new DuckDB process that
reads every column of every raw table once), a full ``dbt build``, then one more day of extracts
(``cswh generate --next-day``), its load and an incremental ``dbt build``. It records wall time
and the peak resident memory of each step, the raw row count and the warehouse file size,
appends one row per scale to ``<out>/results.csv`` and re-renders ``docs/benchmarks.md`` from the
whole CSV. It prints figures; it is not a test and asserts nothing about speed.

DuckDB runs dbt under ``CSWH_DUCKDB_MEMORY_LIMIT`` (default here 4GB) with its spill folder in the
scratch folder. ``--postgres`` also replicates each loaded warehouse to PostgreSQL and builds it
there (``cswh.targets.postgres.timed_build``).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cswh import settings

DEFAULT_MEMORY_LIMIT = "4GB"
RESULTS_FILE = "results.csv"
DOC_PATH = settings.REPO_ROOT / "docs" / "benchmarks.md"

# One CSV row per scale and run. Seconds and MiB; empty when a step did not run.
COLUMNS = [
    "run_started_at",
    "scale",
    "status",
    "raw_rows",
    "generate_s",
    "generate_peak_mib",
    "load_s",
    "load_peak_mib",
    "floor_s",
    "floor_peak_mib",
    "full_build_s",
    "full_build_peak_mib",
    "next_day_generate_s",
    "next_day_load_s",
    "incremental_build_s",
    "incremental_build_peak_mib",
    "warehouse_mib",
    "full_build_over_floor",
    "incremental_over_full",
    "postgres_replicate_s",
    "postgres_build_s",
    "memory_limit",
    "dbt_threads",
    "load_average_at_start",
    "load_average_at_end",
    "cpu",
    "cpus",
    "memory_gib",
    "os",
    "python",
    "duckdb",
    "dbt",
]

# Run in a fresh Python process by the floor step: read every value of every raw table once.
# Hashing the whole row makes DuckDB decode every column, which a bare count(*) would not.
FLOOR_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True,
                     config={"memory_limit": sys.argv[2], "threads": int(sys.argv[3])})
tables = [t for (t,) in con.execute(
    "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
).fetchall()]
rows = 0
for table in tables:
    count, checksum = con.execute(
        f'select count(*), sum(hash(t)) from raw."{table}" as t').fetchone()
    rows += count
print(rows)
"""


@dataclass
class StepResult:
    seconds: float
    peak_mib: float
    stdout: str


class StepFailed(RuntimeError):
    def __init__(self, step: str, code: int, output: str) -> None:
        super().__init__(f"{step} failed (exit {code}):\n{output[-3000:]}")
        self.step = step


def run_step(step: str, command: Sequence[str], env: dict[str, str], log: Path) -> StepResult:
    """Run one step as a fresh child; its wall time and peak RSS (child and its own children).

    ``os.wait4`` returns the resource usage of exactly this child, including the processes it
    waited for (dbt under ``cswh``), so each step's peak is its own, not the largest so far.
    """
    print(f"  {step}: {' '.join(command)}", flush=True)
    stdout_path = log.with_suffix(".stdout")
    with log.open("a", encoding="utf-8") as log_file, stdout_path.open("w+") as stdout_file:
        log_file.write(f"\n===== {step}: {' '.join(command)}\n")
        log_file.flush()
        started = time.monotonic()
        # Output goes to files, not pipes: Popen must not reap the child (communicate() would),
        # so that wait4 below gets its resource usage.
        process = subprocess.Popen(
            list(command), env=env, cwd=settings.REPO_ROOT, stdout=stdout_file, stderr=log_file
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout_file.seek(0)
        stdout = stdout_file.read()
        log_file.write(stdout)
    if process.returncode != 0:
        raise StepFailed(step, process.returncode, stdout)
    # Linux reports ru_maxrss in KiB.
    return StepResult(seconds=seconds, peak_mib=usage.ru_maxrss / 1024, stdout=stdout)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def machine() -> dict[str, str]:
    """CPU model and count, memory, OS and the versions that matter for the figures."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    except OSError:
        os_name = platform.platform()
    import duckdb
    from dbt.version import __version__ as dbt_version

    return {
        "cpu": cpu or platform.processor(),
        "cpus": str(os.cpu_count()),
        "memory_gib": f"{memory_kib / 1024 / 1024:.1f}",
        "os": f"{os_name}, Linux {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": dbt_version,
    }


def _dbt_build(step: str, work: Path, env: dict[str, str], log: Path, *extra: str) -> StepResult:
    """dbt build in a child process, unlike `cswh build`: the child's own peak memory is the
    figure wanted, and only a separate process has one (os.wait4 in run_step)."""
    return run_step(
        step,
        [
            _bin("dbt"),
            "build",
            *extra,
            # As a production run (`cswh run`): the unit tests are CI's, not the daily build's.
            "--exclude-resource-type",
            "unit_test",
            "--project-dir",
            str(settings.REPO_ROOT),
            "--profiles-dir",
            str(settings.REPO_ROOT),
            "--target-path",
            str(work / "dbt_target"),
            "--log-path",
            str(work / "dbt_logs"),
            "--no-use-colors",
        ],
        env,
        log,
    )


def bench_scale(
    scale: float, work: Path, memory_limit: str, threads: int, postgres: bool
) -> dict[str, object]:
    """Run every step at one scale in ``work``; the CSV row (partial, with status, on failure)."""
    landing = work / "landing"
    warehouse = work / "warehouse" / "cs_warehouse.duckdb"
    log = work / "bench.log"
    work.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": str(warehouse),
        "CSWH_LANDING_DIR": str(landing),
        "CSWH_DUCKDB_MEMORY_LIMIT": memory_limit,
        "CSWH_DUCKDB_TEMP_DIR": str(work / "duckdb_spill"),
        "CSWH_DBT_THREADS": str(threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    row: dict[str, object] = {
        "scale": scale,
        "memory_limit": memory_limit,
        "dbt_threads": threads,
        "status": "ok",
    }
    cswh = _bin("cswh")
    try:
        step = run_step(
            "generate",
            [cswh, "generate", "--scale", str(scale), "--landing", str(landing)],
            env,
            log,
        )
        row["generate_s"], row["generate_peak_mib"] = step.seconds, step.peak_mib
        step = run_step(
            "load",
            [cswh, "load", "--landing", str(landing), "--warehouse", str(warehouse)],
            env,
            log,
        )
        row["load_s"], row["load_peak_mib"] = step.seconds, step.peak_mib
        step = run_step(
            "floor",
            # DuckDB's own default: every CPU. `threads` is how many models dbt builds at once.
            [sys.executable, "-c", FLOOR_SCRIPT, str(warehouse), memory_limit, str(os.cpu_count())],
            env,
            log,
        )
        row["floor_s"], row["floor_peak_mib"] = step.seconds, step.peak_mib
        row["raw_rows"] = int(step.stdout.strip().splitlines()[-1])
        step = _dbt_build("full build", work, env, log)
        row["full_build_s"], row["full_build_peak_mib"] = step.seconds, step.peak_mib
        step = run_step(
            "next-day generate",
            [cswh, "generate", "--next-day", "--landing", str(landing)],
            env,
            log,
        )
        row["next_day_generate_s"] = step.seconds
        step = run_step(
            "next-day load",
            [cswh, "load", "--landing", str(landing), "--warehouse", str(warehouse)],
            env,
            log,
        )
        row["next_day_load_s"] = step.seconds
        step = _dbt_build("incremental build", work, env, log)
        row["incremental_build_s"] = step.seconds
        row["incremental_build_peak_mib"] = step.peak_mib
        row["warehouse_mib"] = warehouse.stat().st_size / 1024 / 1024
        if postgres:
            row.update(_postgres_build(warehouse, work))
    except StepFailed as failure:
        row["status"] = f"failed at {failure.step}"
        print(f"  {failure}", file=sys.stderr)
    return row | ratios(row)


def ratios(row: dict[str, object]) -> dict[str, float]:
    """full build ÷ floor and incremental build ÷ full build, where both steps ran."""
    result = {}
    if row.get("floor_s") and row.get("full_build_s"):
        result["full_build_over_floor"] = float(row["full_build_s"]) / float(row["floor_s"])
    if row.get("full_build_s") and row.get("incremental_build_s"):
        result["incremental_over_full"] = float(row["incremental_build_s"]) / float(
            row["full_build_s"]
        )
    return result


def _postgres_build(warehouse: Path, work: Path) -> dict[str, object]:
    """The optional PostgreSQL column: replicate the loaded raw data and build it there."""
    try:
        from cswh.targets.postgres import timed_build
    except ImportError as error:
        print(f"  postgres: skipped ({error})", file=sys.stderr)
        return {}
    result = timed_build(
        warehouse,
        dbt_arguments=[
            "--target-path",
            str(work / "pg_target"),
            "--log-path",
            str(work / "pg_logs"),
        ],
    )
    if not result.get("ok"):
        print(f"  postgres: dbt build failed: {result}", file=sys.stderr)
        return {"postgres_replicate_s": result.get("replicate_seconds")}
    return {
        "postgres_replicate_s": result["replicate_seconds"],
        "postgres_build_s": result["dbt_build_seconds"],
    }


def append_results(rows: list[dict[str, object]], results_csv: Path) -> None:
    results_csv.parent.mkdir(parents=True, exist_ok=True)
    new_file = not results_csv.exists()
    with results_csv.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        if new_file:
            writer.writeheader()
        for row in rows:
            writer.writerow({key: _format(value) for key, value in row.items()})


def _format(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return value


def read_results(results_csv: Path) -> list[dict[str, str]]:
    if not results_csv.exists():
        return []
    with results_csv.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _cell(row: dict[str, str], column: str, suffix: str = "") -> str:
    value = row.get(column) or ""
    return f"{value}{suffix}" if value else "-"


def _scale_key(row: dict[str, str]) -> float:
    return float(row["scale"])


def render_markdown(rows: list[dict[str, str]]) -> str:
    """docs/benchmarks.md: the latest run of each scale, the machine, every run below."""
    latest: dict[str, dict[str, str]] = {}
    for row in rows:  # the CSV is in run order: later rows replace earlier ones
        latest[f"{float(row['scale']):g}"] = row
    current = sorted(latest.values(), key=_scale_key)
    lines = [
        "# Benchmarks",
        "",
        "Rendered by `cswh bench` (`make bench`) from `benchmarks/results.csv`; do not",
        "edit by hand. Figures are wall-clock seconds and peak resident memory (MiB) of each step,",
        "each run as a fresh process, on the machine described below. The machine may be shared",
        "(see the load averages under Every run), so treat differences under about 20 % as noise.",
        "",
        "What each column measures:",
        "",
        "- **generate**: `cswh generate --scale N` (synthetic extracts as CSV).",
        "- **load**: `cswh load` (contract checks, quarantine, insert into `raw`).",
        "- **floor**: a new DuckDB process reading every value of every raw table once",
        "  (`count(*)` and a hash of each whole row, per table). It is a lower bound of what any",
        "  build must spend just reading its input, not an estimate of an ideal build: the build",
        "  also sorts, joins, writes every model and runs every test.",
        "- **full build**: `dbt build` on the freshly loaded warehouse (models, seeds, every data",
        "  test; unit tests are left out, as in a production run: CI runs them).",
        "- **incremental build**: `dbt build` after one more day of extracts is generated and",
        "  loaded; incremental models process only what is new, the other models are rebuilt and",
        "  every test runs again over whole tables.",
        "- **full ÷ floor** and **incremental ÷ full**: the two ratios the issue asks for.",
        "",
        "DuckDB runs under the memory limit shown, spilling to a folder beside the warehouse.",
        "",
        "## Latest run per scale",
        "",
        "| scale | raw rows | generate s | load s | floor s | full build s | incremental build s "
        "| full ÷ floor | incremental ÷ full | warehouse MiB | status |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in current:
        raw_rows = f"{int(row['raw_rows']):,}" if row.get("raw_rows") else "-"
        lines.append(
            f"| {float(row['scale']):g} | {raw_rows} | {_cell(row, 'generate_s')} "
            f"| {_cell(row, 'load_s')} | {_cell(row, 'floor_s')} | {_cell(row, 'full_build_s')} "
            f"| {_cell(row, 'incremental_build_s')} | {_cell(row, 'full_build_over_floor')} "
            f"| {_cell(row, 'incremental_over_full')} | {_cell(row, 'warehouse_mib')} "
            f"| {row.get('status', '')} |"
        )
    lines += [
        "",
        "Peak resident memory per step (MiB; the dbt figures include the Python process of dbt",
        "itself, and DuckDB's share is held under the memory limit):",
        "",
        "| scale | memory limit | generate | load | floor | full build | incremental build |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in current:
        lines.append(
            f"| {float(row['scale']):g} | {_cell(row, 'memory_limit')} "
            f"| {_cell(row, 'generate_peak_mib')} | {_cell(row, 'load_peak_mib')} "
            f"| {_cell(row, 'floor_peak_mib')} | {_cell(row, 'full_build_peak_mib')} "
            f"| {_cell(row, 'incremental_build_peak_mib')} |"
        )
    if any(row.get("postgres_build_s") for row in current):
        lines += [
            "",
            "PostgreSQL (the same loaded raw data replicated to a local PostgreSQL 15, then "
            "`dbt build --target postgres`; `-` where the step did not run or did not finish):",
            "",
            "| scale | replicate s | dbt build s |",
            "|---:|---:|---:|",
        ]
        for row in current:
            lines.append(
                f"| {float(row['scale']):g} | {_cell(row, 'postgres_replicate_s')} "
                f"| {_cell(row, 'postgres_build_s')} |"
            )
    if current:
        newest = max(current, key=lambda row: row["run_started_at"])
        lines += [
            "",
            "## Machine",
            "",
            f"- CPU: {newest.get('cpu')}, {newest.get('cpus')} CPUs as the OS reports them",
            f"- Memory: {newest.get('memory_gib')} GiB",
            f"- OS: {newest.get('os')}",
            f"- Python {newest.get('python')}, DuckDB {newest.get('duckdb')}, "
            f"dbt-core {newest.get('dbt')} (dbt threads per run: see Every run)",
        ]
    lines += [
        "",
        "## Every run",
        "",
        "The load average (1 minute) before and after each scale shows whether other jobs shared",
        "the CPUs: on this 2-CPU machine, a figure well above 2 means the timings are inflated.",
        "",
        "| started (UTC) | scale | dbt threads | full build s | incremental build s | floor s "
        "| load average before, after | status |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['run_started_at']} | {float(row['scale']):g} | {_cell(row, 'dbt_threads')} "
            f"| {_cell(row, 'full_build_s')} | {_cell(row, 'incremental_build_s')} "
            f"| {_cell(row, 'floor_s')} "
            f"| {_cell(row, 'load_average_at_start')}, {_cell(row, 'load_average_at_end')} "
            f"| {row.get('status', '')} |"
        )
    return "\n".join(lines) + "\n"


def run(
    scales: Sequence[float],
    out: Path,
    work: Path | None = None,
    keep: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = 2,
    postgres: bool = False,
    doc: Path = DOC_PATH,
    render_only: bool = False,
) -> int:
    """`cswh bench`: every scale in turn, then the report re-rendered from the whole CSV."""
    results_csv = out / RESULTS_FILE
    if not render_only:
        work_root = work or Path(tempfile.mkdtemp(prefix="cswh-bench-"))
        about = machine()
        for scale in scales:
            scale_work = work_root / f"sf{scale:g}"
            if scale_work.exists():
                shutil.rmtree(scale_work)
            started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"scale {scale:g} in {scale_work}", flush=True)
            load_at_start = os.getloadavg()[0]
            row = bench_scale(scale, scale_work, memory_limit, threads, postgres)
            row |= about | {
                "run_started_at": started_at,
                "load_average_at_start": load_at_start,
                "load_average_at_end": os.getloadavg()[0],
            }
            append_results([row], results_csv)
            print(json.dumps({k: _format(v) for k, v in row.items()}, indent=1), flush=True)
            if not keep:
                shutil.rmtree(scale_work, ignore_errors=True)
            # Re-render after every scale so a long run shows its progress.
            doc.write_text(render_markdown(read_results(results_csv)), encoding="utf-8")
        if not keep and work is None:
            shutil.rmtree(work_root, ignore_errors=True)
    doc.write_text(render_markdown(read_results(results_csv)), encoding="utf-8")
    print(f"results: {results_csv}; report: {doc}")
    return 0
