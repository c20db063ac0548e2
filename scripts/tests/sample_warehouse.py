"""The sample warehouse the tests that read marts share (see ``conftest.py``'s ``sample``).

One sample, as `make sample-build` builds it: SF 0.05, seed 42, generated and built with
`cswh run`, its landing folder beside it. `make pytest` passes its own through
CSWH_TEST_SAMPLE_WAREHOUSE; without it the first test that asks builds one for the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cswh import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ENV = "CSWH_TEST_SAMPLE_WAREHOUSE"
# The Makefile's TEST_SCALE and the default seed. At SF 0.02 the sample is too small for the
# statistical escalation test (trouble precedes churn more than opportunity) on any engine.
SAMPLE_SCALE, SAMPLE_SEED = "0.05", "42"


@dataclass(frozen=True)
class Sample:
    """A built warehouse (its BI file beside it) and the landing folder it was loaded from."""

    warehouse: Path
    landing: Path

    def copy_to(self, folder: Path) -> Path:
        """A private copy of the warehouse, for a test that writes to it (dbt does).

        The copy keeps the file name: DuckDB names the database after the file, and dbt's views
        refer to their parents by database name.
        """
        folder.mkdir(parents=True, exist_ok=True)
        copied = folder / self.warehouse.name
        shutil.copyfile(self.warehouse, copied)
        return copied


def given_sample() -> Sample | None:
    """The sample CSWH_TEST_SAMPLE_WAREHOUSE names, checked; None when it is not set."""
    given = settings.sample_warehouse_for_tests()
    if given is None:
        return None
    warehouse = given.resolve()
    assert warehouse.is_file(), f"{SAMPLE_ENV}={given} is not a file"
    return Sample(warehouse, warehouse.parent / "landing")


def build_sample(folder: Path) -> Sample:
    """Generate and build the sample into ``folder`` with `cswh run`, as `make sample-build`."""
    warehouse, landing = folder / "warehouse.duckdb", folder / "landing"
    cswh = [sys.executable, "-m", "cswh.cli"]
    env = os.environ | {
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    for command in (
        [
            *cswh,
            "generate",
            "--scale",
            SAMPLE_SCALE,
            "--seed",
            SAMPLE_SEED,
            "--landing",
            str(landing),
        ],
        [*cswh, "run", "--landing", str(landing), "--warehouse", str(warehouse)],
    ):
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, env=env, cwd=REPO_ROOT
        )
        assert result.returncode == 0, f"{command[3]} failed:\n{result.stdout}\n{result.stderr}"
    return Sample(warehouse, landing)


def sample_warehouse(folder: Path, env_var: str, *, copy: bool) -> Path:
    """For a test not yet on the ``sample`` fixture: the warehouse ``env_var`` names, else the
    shared sample, else one built into ``folder``; ``copy`` for a test that writes to it."""
    own = os.environ.get(env_var)  # a test module's own override (test_dashboard's)
    sample = Sample(Path(own), Path(own).parent / "landing") if own else given_sample()
    if sample is None:
        return build_sample(folder).warehouse
    assert sample.warehouse.is_file(), f"{sample.warehouse} is not a file"
    return sample.copy_to(folder) if copy else sample.warehouse
