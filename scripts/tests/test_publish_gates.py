"""The publishing gates without dbt: a stand-in build writes marts, the gates judge them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from stand_in_build import stand_in_build

from cswh.generate import generate_landing
from cswh.publish import candidate_path, failed_path, quality_dir_for, run_pipeline


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    generate_landing(path, scale=0.01, seed=3)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_marts_that_pass_every_gate_are_published_with_data_docs(landing, tmp_path):
    published = tmp_path / "warehouse" / "cs.duckdb"
    result = run_pipeline(
        landing,
        published,
        build=stand_in_build(churned_mrr=0),
        run_results=tmp_path / "run_results.json",
        quality_dir=quality_dir_for(published),
    )
    assert result.published, result.failed_checks
    assert result.warnings == []
    assert result.data_docs is not None and result.data_docs.exists()
    assert not candidate_path(published).exists()
    assert list((quality_dir_for(published) / "runs").glob("*/extract_tickets.json"))


def test_a_failed_mart_expectation_blocks_publishing(landing, tmp_path):
    published = tmp_path / "warehouse" / "cs.duckdb"
    first = run_pipeline(
        landing,
        published,
        build=stand_in_build(churned_mrr=0),
        run_results=tmp_path / "run_results.json",
        quality_dir=quality_dir_for(published),
    )
    assert first.published
    before = digest(published)
    second = run_pipeline(
        landing,
        published,
        build=stand_in_build(churned_mrr=42),
        run_results=tmp_path / "run_results.json",
        quality_dir=quality_dir_for(published),
    )
    assert not second.published
    assert any("mart_churned_accounts_zero_mrr" in check for check in second.failed_checks)
    assert digest(published) == before
    assert failed_path(published).exists()


def test_extract_problems_are_reported_and_their_rows_quarantined(landing, tmp_path):
    tickets = sorted((landing / "support_desk" / "tickets").glob("*.csv"))[0]
    lines = tickets.read_text().splitlines()
    header, first = lines[0], lines[1]
    columns = header.split(",")
    values = first.split(",")
    values[columns.index("priority")] = "sky-high"
    tickets.write_text("\n".join([*lines, ",".join(values)]) + "\n")
    published = tmp_path / "warehouse" / "cs.duckdb"
    result = run_pipeline(
        landing,
        published,
        build=stand_in_build(churned_mrr=0),
        run_results=tmp_path / "run_results.json",
        quality_dir=quality_dir_for(published),
    )
    assert result.published
    assert any("extract_tickets" in warning for warning in result.warnings)
    assert result.load is not None and result.load.total("rows_quarantined") >= 1
