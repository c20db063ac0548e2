"""A small built warehouse for the tests that read marts (dashboard, semantic layer, catalogue).

`make test` builds one sample and passes it to these tests through an environment variable, so
they do not each generate and build their own; run alone, a test builds a small one itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Seed 7 as in test_publish: at SF 0.02 some seeds give too few churns for the publish gates
# (trouble escalations must precede churn more often than opportunity ones).
OWN_SAMPLE_ARGUMENTS = ("--scale", "0.02", "--seed", "7")


def sample_warehouse(folder: Path, env_var: str, *, copy: bool) -> Path:
    """The warehouse named by ``env_var``, else one built with `cswh run` into ``folder``.

    ``copy``: work on a copy of a given warehouse, for a test that writes to it (dbt does).
    The copy keeps the file name: DuckDB names the database after the file, and dbt's views
    refer to their parents by database name.
    """
    given = os.environ.get(env_var)
    if given:
        assert Path(given).is_file(), f"{env_var}={given} is not a file"
        if not copy:
            return Path(given)
        copied = folder / Path(given).name
        shutil.copyfile(given, copied)
        return copied
    warehouse = folder / "warehouse.duckdb"
    landing = str(folder / "landing")
    cswh = [sys.executable, "-m", "cswh.cli"]
    env = os.environ | {
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    for command in (
        [*cswh, "generate", *OWN_SAMPLE_ARGUMENTS, "--landing", landing],
        [*cswh, "run", "--landing", landing, "--warehouse", str(warehouse)],
    ):
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, env=env, cwd=REPO_ROOT
        )
        assert result.returncode == 0, f"{command[3]} failed:\n{result.stdout}\n{result.stderr}"
    return warehouse
