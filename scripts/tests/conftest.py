"""Fixtures every test module shares.

``sample``: the sample warehouse (SF 0.05, seed 42, built by `cswh run`, BI file and landing
folder beside it), built once per session, or the one CSWH_TEST_SAMPLE_WAREHOUSE names (`make
pytest` passes target/test-sample/warehouse.duckdb). Read it only: a test that writes (dbt, a
load) takes ``sample_copy``, a private copy for its module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_warehouse import Sample, build_sample, given_sample


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The shared sample warehouse and its landing folder; read-only."""
    return given_sample() or build_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def sample_copy(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse this test module may write to."""
    return sample.copy_to(tmp_path_factory.mktemp("sample-copy"))
