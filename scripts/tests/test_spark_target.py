"""The Spark target: raw-layer export, mart fingerprints, and the same marts on DuckDB and Spark.

The end-to-end test (marker `spark`, several minutes: a JVM and a full dbt build; `make
spark-build`) takes an SF 0.05 sample built on DuckDB, replicates it to a local Spark session,
builds it there, and requires equal row counts and column sums in the key marts. pytest skips
the marker unless asked (``-m spark``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from sample_warehouse import Sample

from cswh.generate import append_next_day
from cswh.load import load_landing
from cswh.targets import spark

REPO_ROOT = Path(__file__).resolve().parents[2]
# The incremental models (test_incremental checks the list against the manifest) and those of
# them partitioned on Spark, where an incremental run rewrites only the partitions it touches.
INCREMENTAL_MODELS = (
    "stg_product_usage__daily_feature_usage",
    "stg_support_desk__tickets",
    "stg_crm__activities",
    "int_account_usage_measured_weekly",
    "int_account_onboarding_measured_weekly",
    "fct_account_indicators_weekly",
    "fct_account_health_components_weekly",
    "fct_account_health_weekly",
)
# The health tables restate every week of an account whose touch tier changed: Spark, which
# cannot delete, rewrites them whole (macros/incremental).
PARTITIONED = (
    "staging.stg_product_usage__daily_feature_usage",
    "intermediate.int_account_usage_measured_weekly",
    "intermediate.int_account_onboarding_measured_weekly",
    "marts.fct_account_indicators_weekly",
)
# One new day restates its own date and a four-week lookback: a small share of the partitions.
MAX_REWRITTEN_SHARE = 0.25


# --------------------------------------------------------------------------- fast tests


@pytest.fixture
def raw_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema raw")
        con.execute(
            "create table raw.crm__csms (csm_id varchar, updated_at timestamp, seats bigint)"
        )
        con.execute(
            "insert into raw.crm__csms values "
            "('C-1', '2024-01-01 23:30:00', 3), ('C-2', '2024-02-01 00:00:00', null)"
        )
        con.execute("create table raw.billing__plans (plan_id varchar, price decimal(18, 4))")
    return path


def test_export_writes_one_folder_per_raw_table_with_utc_timestamps(
    raw_warehouse: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "parquet"
    stale = folder / "crm__csms" / "left-over.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not parquet")

    exported = spark.export_raw_parquet(raw_warehouse, folder)

    assert exported == {"billing__plans": 0, "crm__csms": 2}
    assert not stale.exists(), "a table folder is replaced whole, never merged with old files"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        types = dict(
            con.execute(
                f"select column_name, column_type from (describe select * from "
                f"'{folder / 'crm__csms' / 'data.parquet'}')"
            ).fetchall()
        )
        # UTC-adjusted in Parquet: Spark reads it as `timestamp`, not `timestamp_ntz`.
        assert types["updated_at"] == "TIMESTAMP WITH TIME ZONE"
        assert types["seats"] == "BIGINT"
        latest = con.execute(
            f"select max(updated_at)::varchar from '{folder / 'crm__csms' / 'data.parquet'}'"
        ).fetchone()[0]
    assert latest == "2024-02-01 00:00:00+00"


def test_export_refuses_a_warehouse_without_raw_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(spark.SparkTargetError, match="no raw tables"):
        spark.export_raw_parquet(empty, tmp_path / "parquet")
    with pytest.raises(spark.SparkTargetError, match="not found"):
        spark.export_raw_parquet(tmp_path / "missing.duckdb", tmp_path / "parquet")


@pytest.fixture
def mart_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "built.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_accounts ("
            "account_id varchar, seats bigint, mrr decimal(18, 4), share double, "
            "is_active boolean, started_date date)"
        )
        con.execute(
            "insert into marts.dim_accounts values "
            "('A-1', 3, 100.5, 0.25, true, '2024-01-01'), "
            "('A-2', null, 20.25, 0.5, false, '2024-02-01'), "
            "('A-3', 4, null, 0.125, true, null)"
        )
    return path


def test_fingerprints_count_rows_sum_numbers_and_count_trues(mart_warehouse: Path) -> None:
    # Stand in for Spark with DuckDB itself: the fingerprint SQL must run unchanged on both.
    with duckdb.connect(str(mart_warehouse), read_only=True) as other:
        fingerprints = spark.fingerprint_marts(
            mart_warehouse, lambda sql: other.execute(sql).fetchall(), marts=["dim_accounts"]
        )
    on_duckdb, on_other = fingerprints["dim_accounts"]
    assert on_duckdb == on_other
    assert on_duckdb.rows == 3
    assert on_duckdb.sums == {"seats": 7.0, "mrr": 120.75, "share": 0.875, "is_active": 2.0}
    assert on_duckdb.ratios == {"share"}
    assert spark.differences(fingerprints) == []


def test_differences_name_each_disagreeing_count_and_sum() -> None:
    same = spark.MartFingerprint(rows=2, sums={"mrr": 10.0, "seats": None})
    fingerprints = {
        "dim_accounts": (same, spark.MartFingerprint(rows=3, sums={"mrr": 10.0, "seats": None})),
        "rpt_mrr_waterfall": (
            same,
            spark.MartFingerprint(rows=2, sums={"mrr": 10.0002, "seats": 1}),
        ),
    }
    found = spark.differences(fingerprints)
    assert found == [
        "dim_accounts: 2 rows on DuckDB, 3 on Spark",
        "rpt_mrr_waterfall.mrr: sum 10.0 on DuckDB, 10.0002 on Spark",
        "rpt_mrr_waterfall.seats: sum None on DuckDB, 1 on Spark",
    ]


def test_ratio_sums_may_differ_by_half_a_sixth_decimal_per_row_and_other_sums_may_not() -> None:
    # 1,000 rows: Spark's 6-place ratios may move the sum by up to 0.0005.
    on_duckdb = spark.MartFingerprint(
        rows=1000, sums={"share": 717.3560, "mrr": 717.3560}, ratios=frozenset({"share"})
    )
    within = spark.MartFingerprint(rows=1000, sums={"share": 717.3564, "mrr": 717.3560})
    beyond = spark.MartFingerprint(rows=1000, sums={"share": 717.3566, "mrr": 717.3564})
    assert spark.differences({"m": (on_duckdb, within)}) == []
    assert spark.differences({"m": (on_duckdb, beyond)}) == [
        "m.share: sum 717.356 on DuckDB, 717.3566 on Spark",
        "m.mrr: sum 717.356 on DuckDB, 717.3564 on Spark",
    ]


def test_sums_agree_at_the_fourth_decimal_and_no_further() -> None:
    assert spark._same_number(1234.56781, 1234.56779)
    assert spark._same_number(0.1 + 0.2, 0.3)
    assert not spark._same_number(1234.5678, 1234.5679)
    assert not spark._same_number(0.0, None)
    assert spark._same_number(None, None)


def test_spark_dir_is_absolute_for_derby(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSWH_SPARK_DIR", "relative/spark")
    assert spark.spark_dir() == (Path.cwd() / "relative" / "spark").resolve()
    monkeypatch.delenv("CSWH_SPARK_DIR")
    assert spark.spark_dir() == REPO_ROOT / "target" / "spark"


# --------------------------------------------------------------------------- end to end


def _spark_available() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (the `spark` extra)"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime for Spark"
    return None


def _run(command: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, (
        f"{' '.join(command[:4])} failed (exit {completed.returncode}):\n"
        f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
    )


def _spark_build(
    warehouse: Path, env: dict[str, str], summary_path: Path, *arguments: str
) -> dict[str, object]:
    """`cswh target spark build` in a subprocess; its summary, asserted ok."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cswh.cli",
            "target",
            "spark",
            "build",
            "--warehouse",
            str(warehouse),
            "--summary-json",
            str(summary_path),
            *arguments,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    assert completed.returncode == 0 and summary.get("ok"), (
        f"spark build failed or differs (exit {completed.returncode}): "
        f"{summary.get('differences')}\n{completed.stdout[-6000:]}\n{completed.stderr[-3000:]}"
    )
    # A comparison of empty tables proves nothing.
    for relation, counts in summary["marts_compared"].items():
        assert counts["rows_spark"] > 0, f"{relation} is empty"
    return summary


@dataclass
class SparkSample:
    """A DuckDB sample, its landing folder, and the same sample built once on Spark."""

    warehouse: Path
    landing: Path
    env: dict[str, str]
    full_build: dict[str, object]


@pytest.fixture(scope="module")
def spark_sample(tmp_path_factory: pytest.TempPathFactory, sample: Sample) -> SparkSample:
    """The shared sample (conftest.py; read only here) built once on Spark and compared."""
    if reason := _spark_available():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("spark_sample")
    env = os.environ | {
        "CSWH_SPARK_DIR": str(folder / "spark"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    warehouse, landing = sample.warehouse, sample.landing
    assert landing.is_dir(), f"no landing folder beside {warehouse}"
    # The Spark builds keep their own dbt artefacts: DuckDB's partial-parse state would not match.
    env["DBT_TARGET_PATH"] = str(folder / "target-spark")
    summary = _spark_build(warehouse, env, folder / "spark-summary.json", "--compare")
    return SparkSample(warehouse, landing, env, summary)


@pytest.mark.spark
def test_key_marts_are_the_same_on_duckdb_and_spark(spark_sample: SparkSample) -> None:
    summary = spark_sample.full_build
    assert set(summary["marts_compared"]) == set(spark.KEY_MARTS)
    assert summary["tables_replicated"] >= 19
    print(
        f"spark: replicate {summary['replicate_seconds']}s, dbt build "
        f"{summary['dbt_build_seconds']}s, compare {summary['compare_seconds']}s"
    )


def _partition_files(spark_folder: Path, relation: str) -> dict[str, set[str]]:
    """Partition folder -> the Parquet files in it, for a partitioned Spark table."""
    schema, table = relation.split(".")
    root = spark_folder / "warehouse" / f"{schema}.db" / table
    return {
        partition.name: {file.name for file in partition.glob("*.parquet")}
        for partition in root.iterdir()
        if partition.is_dir() and "=" in partition.name
    }


@pytest.mark.spark
def test_incremental_run_on_spark_matches_duckdb_and_rewrites_few_partitions(
    spark_sample: SparkSample, tmp_path: Path
) -> None:
    """One more day of extracts, then only the incremental models run on both engines: Spark's
    `insert_overwrite` of partitions must leave the same rows as DuckDB's `delete+insert` by key
    (which test_incremental proves equal to a full refresh), and must rewrite only the partitions
    the new day touches."""
    landing = tmp_path / "landing"
    shutil.copytree(spark_sample.landing, landing)
    # Same file name as the sample: DuckDB names a file's catalog after it, and views store it.
    warehouse = tmp_path / spark_sample.warehouse.name
    shutil.copyfile(spark_sample.warehouse, warehouse)
    append_next_day(landing)
    next_day = load_landing(landing, warehouse)
    assert next_day.ok and next_day.total("rows_loaded") > 0

    env = spark_sample.env | {"CSWH_WAREHOUSE_PATH": str(warehouse)}
    select = ["--select", "config.materialized:incremental"]
    _run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "run",
            *select,
            "--project-dir",
            ".",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "target-duckdb"),
            "--log-path",
            str(tmp_path / "logs-duckdb"),
            "--target",
            "dev",
        ],
        env,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_name in ({})".format(", ".join(f"'{m}'" for m in INCREMENTAL_MODELS))
            ).fetchall()
        ]
    assert len(relations) == len(INCREMENTAL_MODELS), relations

    spark_folder = Path(env["CSWH_SPARK_DIR"])
    before = {relation: _partition_files(spark_folder, relation) for relation in PARTITIONED}
    summary = _spark_build(
        warehouse,
        env,
        tmp_path / "summary.json",
        "--compare-relations",
        ",".join(relations),
        *select,
    )
    assert set(summary["marts_compared"]) == set(relations)

    for relation, old in before.items():
        new = _partition_files(spark_folder, relation)
        assert set(new) >= set(old), f"{relation}: a partition disappeared"
        rewritten = [name for name in new if new[name] != old.get(name)]
        assert rewritten, f"{relation}: the new day rewrote no partition"
        # A full rewrite would replace every file; the new day touches a few dates or weeks.
        assert len(rewritten) <= MAX_REWRITTEN_SHARE * len(new), (
            f"{relation}: {len(rewritten)} of {len(new)} partitions rewritten"
        )
