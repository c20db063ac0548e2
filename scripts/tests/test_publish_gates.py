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


def run(landing: Path, published: Path, accounts: int = 20):
    return run_pipeline(
        landing,
        published,
        build=stand_in_build(accounts=accounts),
        run_results=published.parent / "run_results.json",
        quality_dir=quality_dir_for(published),
    )


def test_a_second_publish_is_compared_with_the_first_and_documented(landing, tmp_path):
    published = tmp_path / "warehouse" / "cs.duckdb"
    first = run(landing, published)
    assert first.published, first.failed_checks
    assert first.warnings == []
    runs = quality_dir_for(published) / "runs"
    assert not list(runs.glob("*/extract_*.json")), "a first delivery has nothing to compare with"
    # A re-delivery of all but the last ticket: new content, so it loads and is judged.
    tickets = sorted((landing / "support_desk" / "tickets").glob("*.csv"))[0]
    lines = tickets.read_text().splitlines()
    (tickets.parent / "tickets__redelivered.csv").write_text("\n".join(lines[:-1]) + "\n")
    second = run(landing, published)
    assert second.published, second.failed_checks
    assert second.warnings == []
    assert second.data_docs is not None and second.data_docs.exists()
    assert not candidate_path(published).exists()
    assert list(runs.glob("*/extract_tickets.json"))
    assert list(runs.glob("*/mart_dim_accounts.json"))
    assert list(runs.glob("*/drift_closed_months_mrr.json"))


def test_a_mart_that_lost_rows_blocks_publishing(landing, tmp_path):
    published = tmp_path / "warehouse" / "cs.duckdb"
    assert run(landing, published, accounts=20).published
    before = digest(published)
    second = run(landing, published, accounts=10)
    assert not second.published
    assert any(
        check.startswith("mart_dim_accounts: expect_table_row_count_to_be_between")
        for check in second.failed_checks
    ), second.failed_checks
    assert digest(published) == before
    assert failed_path(published).exists()


def test_a_usually_filled_column_delivered_empty_is_a_warning(landing, tmp_path):
    published = tmp_path / "warehouse" / "cs.duckdb"
    assert run(landing, published).published
    tickets = sorted((landing / "support_desk" / "tickets").glob("*.csv"))[0]
    lines = tickets.read_text().splitlines()
    columns = lines[0].split(",")
    priority = columns.index("priority")
    emptied = []
    for line in lines[1:]:
        values = line.split(",")
        values[priority] = ""  # an export that renamed the field: optional, so rows still load
        emptied.append(",".join(values))
    (tickets.parent / "tickets__no_priority.csv").write_text("\n".join([lines[0], *emptied]) + "\n")
    result = run(landing, published)
    assert result.published, result.failed_checks
    assert any(
        warning.startswith("extract_tickets: expect_column_values_to_not_be_null(priority)")
        for warning in result.warnings
    ), result.warnings
    assert result.load is not None and result.load.total("rows_quarantined") == 0
