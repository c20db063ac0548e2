"""Every setting of cs_warehouse: the one module that reads environment variables.

Each variable is declared once in :data:`SETTINGS` with its default and what it does; the typed
accessors below are the only way the package reads one (a test greps the package to hold that).
Some variables are read by dbt itself, through ``env_var()`` in ``profiles.yml`` and
``dbt_project.yml``: they are declared here too, with the same defaults (a test compares them),
so ``docs/settings.md`` — rendered from this module by ``cswh settings --markdown`` — lists every
knob in one table. Writing a child process's environment (dbt, a test's subprocess) is not
reading and may happen anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CSWH = "cswh"
DBT = "dbt"
TESTS = "tests"
READERS = {CSWH: "the cswh package", DBT: "dbt (profiles.yml)", TESTS: "the pytest suite"}


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as documented; "" means "not set"
    description: str
    read_by: tuple[str, ...] = (CSWH,)


SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        # --- where things are
        Setting(
            "CSWH_WAREHOUSE_PATH",
            "warehouse/cs_warehouse.duckdb",
            "The published DuckDB warehouse file (`--warehouse` of every command; dbt's `dev` "
            "target). Relative paths are relative to the current folder.",
            (CSWH, DBT),
        ),
        Setting("CSWH_LANDING_DIR", "landing", "Landing folder of extract files (`--landing`)."),
        Setting(
            "CSWH_BI_WAREHOUSE_PATH",
            "",
            "The BI file (marts only) BI tools and the dashboard open; unset: "
            "`<warehouse stem>_bi.duckdb` beside the warehouse.",
        ),
        Setting(
            "CSWH_EXPORT_DIR",
            "",
            "Folder of the Parquet export (`--export-dir`); unset: `parquet/` beside the "
            "warehouse file.",
        ),
        Setting(
            "CSWH_EXPORT_PARTITION_ROWS",
            "100000",
            "A mart with a month or week column is partitioned by year in the Parquet export "
            "from this many rows (a whole number >= 0).",
        ),
        Setting(
            "CSWH_SOURCE_SYSTEMS",
            "",
            "The source-systems file naming which vendor delivers each source; unset: "
            "`<landing>/_source_systems.yml` (all native when it does not exist).",
        ),
        Setting(
            "DBT_TARGET_PATH",
            "target",
            "Where dbt writes its artefacts (run_results.json, manifest.json); read by dbt too.",
            (CSWH, DBT),
        ),
        Setting(
            "DBT_LOG_PATH",
            "logs",
            "Where dbt writes its full log, dbt.log; read by dbt too.",
            (CSWH, DBT),
        ),
        # --- how commands behave
        Setting(
            "CSWH_LOCK_WAIT_SECONDS",
            "0",
            "How long a writer waits for another writer's warehouse lock before exit 6 "
            "(`--wait`); 0 refuses at once.",
        ),
        Setting(
            "CSWH_LOADER_FUTURE_TOLERANCE_DAYS",
            "1",
            "How far past the load time (days, may be fractional) an event time may lie before "
            "its row is quarantined.",
        ),
        Setting(
            "CSWH_BENCH_MEMORY_LIMIT",
            "4GB",
            "DuckDB memory limit `cswh bench` gives the floor step and dbt (`--memory-limit`).",
        ),
        # --- dbt's profile
        Setting("CSWH_TARGET", "dev", "dbt target: dev (DuckDB), postgres or spark.", (DBT,)),
        Setting("CSWH_DBT_THREADS", "2", "dbt threads (models built at once).", (DBT,)),
        Setting(
            "CSWH_DUCKDB_MEMORY_LIMIT",
            "4GB",
            "DuckDB memory limit while dbt builds; above it DuckDB spills to the temp folder.",
            (DBT,),
        ),
        Setting(
            "CSWH_DUCKDB_TEMP_DIR",
            "",
            "DuckDB spill folder while dbt builds; unset: `<warehouse path>.tmp`.",
            (DBT,),
        ),
        # --- the PostgreSQL target
        Setting("CSWH_PG_HOST", "127.0.0.1", "PostgreSQL host.", (CSWH, DBT)),
        Setting("CSWH_PG_PORT", "5433", "PostgreSQL port.", (CSWH, DBT)),
        Setting("CSWH_PG_USER", "cswh", "PostgreSQL user.", (CSWH, DBT)),
        Setting("CSWH_PG_PASSWORD", "", "PostgreSQL password (none: trust auth).", (CSWH, DBT)),
        Setting("CSWH_PG_DBNAME", "cs_warehouse", "PostgreSQL database.", (CSWH, DBT)),
        Setting("CSWH_PG_SCHEMA", "main", "PostgreSQL schema prefix of dbt's schemas.", (DBT,)),
        Setting(
            "CSWH_PG_DIR",
            "target/postgres",
            "Folder of the private local PostgreSQL cluster `cswh target postgres` runs.",
        ),
        Setting(
            "CSWH_PG_BIN_DIR",
            "",
            "Folder holding initdb and pg_ctl; unset: the PATH, then Debian's "
            "/usr/lib/postgresql/<version>/bin.",
        ),
        # --- the Spark target
        Setting(
            "CSWH_SPARK_DIR",
            "target/spark",
            "Folder of the Spark warehouse, its Derby metastore and the raw Parquet.",
            (CSWH, DBT),
        ),
        Setting("CSWH_SPARK_DRIVER_MEMORY", "2g", "Spark driver memory.", (DBT,)),
        # --- test hooks and test inputs
        Setting(
            "CSWH_LOADER_CRASH_BEFORE_COMMIT",
            "",
            "Test hook: the loader exits (70) after inserting this entity's rows, before the "
            "commit. Never set it in production.",
        ),
        Setting(
            "CSWH_LOADER_CRASH_AFTER_COMMIT",
            "",
            "Test hook: the loader exits (71) right after committing this entity. Never set it "
            "in production.",
        ),
        Setting(
            "CSWH_TEST_SAMPLE_WAREHOUSE",
            "",
            "A built sample warehouse the tests that read marts share (`make pytest` sets it "
            "to target/test-sample/warehouse.duckdb); unset: each test session builds one.",
            (TESTS,),
        ),
        Setting(
            "CSWH_DASHBOARD_SCREENSHOTS",
            "",
            "Folder the browser test saves a screenshot of every dashboard page to.",
            (TESTS,),
        ),
    )
}


class SettingError(ValueError):
    """A variable set to a value its setting cannot take: the message names both."""


def _raw(name: str) -> str | None:
    """The variable's value, stripped; None when unset or blank. The package's only read."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not declared in cswh.settings.SETTINGS")
    value = os.environ.get(name, "").strip()
    return value or None


def is_set(name: str) -> bool:
    return _raw(name) is not None


def text(name: str) -> str:
    """The value, or the declared default."""
    value = _raw(name)
    return value if value is not None else SETTINGS[name].default


def optional_path(name: str) -> Path | None:
    value = _raw(name)
    return Path(value) if value is not None else None


def path(name: str) -> Path:
    """The value as a path; a relative default is relative to the current folder."""
    return Path(text(name))


def repo_path(name: str) -> Path:
    """The value as a path; a relative *default* is relative to the repository."""
    value = _raw(name)
    return Path(value) if value is not None else REPO_ROOT / SETTINGS[name].default


def number(name: str, example: str) -> float:
    """A number >= 0; a clear error naming the variable otherwise."""
    value = text(name)
    try:
        parsed = float(value)
    except ValueError:
        raise SettingError(f"{name}={value!r} is not a number (e.g. {example})") from None
    if parsed < 0:
        raise SettingError(f"{name}={value!r} must not be negative")
    return parsed


def whole_number(name: str) -> int:
    """A whole number >= 0; a clear error naming the variable otherwise."""
    value = text(name)
    try:
        parsed = int(value)
    except ValueError:
        parsed = -1
    if parsed < 0:
        raise SettingError(f"{name} must be a whole number >= 0, got {value!r}")
    return parsed


# --- typed accessors, one per setting the package reads ---------------------------------------


def warehouse_path() -> Path:
    return path("CSWH_WAREHOUSE_PATH")


def landing_dir() -> Path:
    return path("CSWH_LANDING_DIR")


def bi_warehouse_path() -> Path | None:
    return optional_path("CSWH_BI_WAREHOUSE_PATH")


def export_dir() -> Path | None:
    return optional_path("CSWH_EXPORT_DIR")


def export_partition_rows() -> int:
    return whole_number("CSWH_EXPORT_PARTITION_ROWS")


def source_systems_file() -> Path | None:
    return optional_path("CSWH_SOURCE_SYSTEMS")


def dbt_target_path() -> Path:
    """Where dbt writes its artefacts (run_results.json): DBT_TARGET_PATH, as dbt itself reads."""
    return repo_path("DBT_TARGET_PATH")


def dbt_log_path() -> Path:
    """Folder of dbt's full log: DBT_LOG_PATH, as dbt itself reads, or logs/ in the repo."""
    return repo_path("DBT_LOG_PATH")


def lock_wait_seconds() -> float:
    return number("CSWH_LOCK_WAIT_SECONDS", "0 or 600 seconds")


def loader_future_tolerance_days() -> float:
    return number("CSWH_LOADER_FUTURE_TOLERANCE_DAYS", "1 or 0.5 days")


def loader_crash_before_commit() -> str | None:
    return _raw("CSWH_LOADER_CRASH_BEFORE_COMMIT")


def loader_crash_after_commit() -> str | None:
    return _raw("CSWH_LOADER_CRASH_AFTER_COMMIT")


def bench_memory_limit() -> str:
    return text("CSWH_BENCH_MEMORY_LIMIT")


def postgres_connection() -> dict[str, str | int]:
    """host, port, user, password, dbname: the values `profiles.yml` gives dbt."""
    port = text("CSWH_PG_PORT")
    if not port.isdigit():
        raise SettingError(f"CSWH_PG_PORT={port!r} is not a port number")
    return {
        "host": text("CSWH_PG_HOST"),
        "port": int(port),
        "user": text("CSWH_PG_USER"),
        "password": text("CSWH_PG_PASSWORD"),
        "dbname": text("CSWH_PG_DBNAME"),
    }


def postgres_dir() -> Path:
    return repo_path("CSWH_PG_DIR")


def postgres_bin_dir() -> Path | None:
    return optional_path("CSWH_PG_BIN_DIR")


def spark_dir() -> Path:
    return repo_path("CSWH_SPARK_DIR")


def sample_warehouse_for_tests() -> Path | None:
    return optional_path("CSWH_TEST_SAMPLE_WAREHOUSE")


def dashboard_screenshots() -> Path | None:
    return optional_path("CSWH_DASHBOARD_SCREENSHOTS")


@contextmanager
def temporary_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for dbt run in this process (profiles.yml reads them), then restore them.

    Here because restoring means reading the previous values, and this module is the only reader.
    """
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- the reference page ----------------------------------------------------------------------

DOC_PATH = REPO_ROOT / "docs" / "settings.md"


def render_markdown() -> str:
    """docs/settings.md: every variable, its default and what it does."""
    lines = [
        "# Settings",
        "",
        "Every environment variable cs_warehouse reads, with its default. Rendered from",
        "`scripts/cswh/settings.py` by `cswh settings --markdown > docs/settings.md`; a test keeps",
        "the two in sync. Command-line options, where a command has one, win over the variable.",
        "",
        "| variable | default | read by | what it does |",
        "|---|---|---|---|",
    ]
    for setting in SETTINGS.values():
        default = f"`{setting.default}`" if setting.default else "(not set)"
        readers = ", ".join(READERS[reader] for reader in setting.read_by)
        description = setting.description.replace("|", "\\|")
        lines.append(f"| `{setting.name}` | {default} | {readers} | {description} |")
    return "\n".join(lines) + "\n"


def current_values() -> list[tuple[str, str, str]]:
    """(name, value, default) of every setting, the password masked: `cswh settings`."""
    rows = []
    for setting in SETTINGS.values():
        value = _raw(setting.name)
        if value is not None and "PASSWORD" in setting.name:
            value = "********"
        rows.append((setting.name, value if value is not None else "", setting.default))
    return rows
