"""Paths and settings, read from environment variables with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def warehouse_path() -> Path:
    return Path(os.environ.get("CSWH_WAREHOUSE_PATH", "warehouse/cs_warehouse.duckdb"))


def landing_dir() -> Path:
    return Path(os.environ.get("CSWH_LANDING_DIR", "landing"))


def dbt_target_path() -> Path:
    """Where dbt writes its artefacts (run_results.json): DBT_TARGET_PATH, as dbt itself reads."""
    return Path(os.environ.get("DBT_TARGET_PATH", REPO_ROOT / "target"))
