"""dbt builds the staging layer on a tiny raw DuckDB and keeps the latest version of each key.

Slow (a dbt subprocess, about 10 s): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cswh.contracts import ENTITIES
from cswh.raw_schema import LOADER_DDL, raw_table_ddl

REPO_ROOT = Path(__file__).resolve().parents[2]

# Two versions of account A-1 (the later renames it), a ticket delivered three times (its second
# version re-delivered last), and usage rows that tie on updated_at.
RAW_ROWS = """
insert into raw.crm__csms
    (csm_id, full_name, team, role, hired_date, is_active, updated_at,
     _source_file, _source_row_number, _load_id, _loaded_at)
values
    ('C-1', 'Ada Example', 'enterprise', 'csm', '2022-01-10', true, '2024-01-01 00:00:00',
     'crm/csms_1.csv', 2, 'L1', '2024-01-01 01:00:00');

insert into raw.crm__accounts
    (account_id, account_name, industry, region, country, owner_csm_id, created_at, updated_at,
     _source_file, _source_row_number, _load_id, _loaded_at)
values
    ('A-1', 'Acme', 'software', 'emea', 'DE', null, '2023-05-01 08:00:00',
     '2024-01-01 00:00:00', 'crm/accounts_1.csv', 2, 'L1', '2024-01-01 01:00:00'),
    ('A-1', 'Acme GmbH', 'software', 'emea', 'DE', 'C-1', '2023-05-01 08:00:00',
     '2024-02-01 00:00:00', 'crm/accounts_2.csv', 2, 'L2', '2024-02-01 01:00:00');

insert into raw.support_desk__tickets
    (ticket_id, account_id, created_at, status, priority, channel, category, updated_at,
     _source_file, _source_row_number, _load_id, _loaded_at)
values
    ('T-1', 'A-1', '2024-02-01 09:00:00', 'new', 'high', 'email', 'bug',
     '2024-02-01 09:00:00', 'support_desk/tickets_1.csv', 2, 'L2', '2024-02-01 10:00:00'),
    ('T-1', 'A-1', '2024-02-01 09:00:00', 'open', 'high', 'email', 'bug',
     '2024-02-01 11:00:00', 'support_desk/tickets_2.csv', 2, 'L3', '2024-02-01 12:00:00'),
    ('T-1', 'A-1', '2024-02-01 09:00:00', 'solved', 'high', 'email', 'bug',
     '2024-02-02 12:00:00', 'support_desk/tickets_3.csv', 2, 'L4', '2024-02-02 13:00:00'),
    ('T-1', 'A-1', '2024-02-01 09:00:00', 'open', 'high', 'email', 'bug',
     '2024-02-01 11:00:00', 'support_desk/tickets_4.csv', 5, 'L5', '2024-02-03 08:00:00');

insert into raw.product_usage__features
    (feature_id, product_id, feature_name, included_from_tier, is_core_value_feature,
     released_date, updated_at, _source_file, _source_row_number, _load_id, _loaded_at)
values
    ('F-1', 'P-1', 'Dashboards', 'starter', true, '2022-01-01', '2024-01-01 00:00:00',
     'product_usage/features_1.csv', 2, 'L1', '2024-01-01 01:00:00');

insert into raw.product_usage__daily_feature_usage
    (usage_date, account_id, feature_id, active_users, event_count, updated_at,
     _source_file, _source_row_number, _load_id, _loaded_at)
values
    ('2024-02-01', 'A-1', 'F-1', 3, 10, '2024-02-01 23:00:00',
     'product_usage/usage_1.csv', 2, 'L2', '2024-02-02 01:00:00'),
    ('2024-02-01', 'A-1', 'F-1', 4, 14, '2024-02-01 23:00:00',
     'product_usage/usage_2.csv', 2, 'L3', '2024-02-02 07:00:00'),
    ('2024-02-02', 'A-1', 'F-1', 1, 2, '2024-02-02 23:00:00',
     'product_usage/usage_2.csv', 3, 'L3', '2024-02-03 01:00:00');
"""


@pytest.fixture
def raw_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for statement in LOADER_DDL:
            con.execute(statement)
        for entity in ENTITIES:
            con.execute(raw_table_ddl(entity))
        con.execute(RAW_ROWS)
    return path


def _dbt_executable() -> str:
    found = shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt")
    if found is None:
        pytest.skip("dbt is not installed in this environment")
    return found


@pytest.mark.dbt
def test_dbt_builds_staging(raw_warehouse: Path, tmp_path: Path) -> None:
    # A subprocess, not dbtRunner: dbt-duckdb keeps its DuckDB handle open for the life of the
    # process, which would stop this test from reading the result.
    env = {
        **os.environ,
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": str(raw_warehouse),
        "CSWH_DUCKDB_TEMP_DIR": str(tmp_path / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target = tmp_path / "target"
    completed = subprocess.run(
        [
            _dbt_executable(),
            "build",
            "--select",
            "staging",
            # The seed the currency checks read.
            "currencies",
            # Only tests whose every parent is in staging: a marts test that also reads a
            # staging model is not this test's business.
            "--indirect-selection",
            "cautious",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT),
            # Keep dbt's artefacts out of the repository.
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
            "--no-partial-parse",
            "--no-use-colors",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "[WARNING]" not in completed.stdout, completed.stdout

    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {result["status"] for result in results}
    assert statuses <= {"success", "pass"}, statuses
    models = [r for r in results if r["unique_id"].startswith("model.")]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(models) == len(ENTITIES)
    assert unit_tests, "the staging unit tests should run"

    with duckdb.connect(str(raw_warehouse), read_only=True) as con:
        assert con.execute(
            "select account_id, account_name, owner_csm_id from staging.stg_crm__accounts"
        ).fetchall() == [("A-1", "Acme GmbH", "C-1")]
        assert con.execute(
            "select ticket_id, status, _source_file from staging.stg_support_desk__tickets"
        ).fetchall() == [("T-1", "solved", "support_desk/tickets_3.csv")]
        usage = con.execute(
            "select daily_feature_usage_id, cast(usage_date as varchar), event_count"
            " from staging.stg_product_usage__daily_feature_usage order by usage_date"
        ).fetchall()
        assert [row[1:] for row in usage] == [("2024-02-01", 14), ("2024-02-02", 2)]
        assert len({row[0] for row in usage}) == 2
        assert con.execute("select count(*) from staging.stg_billing__invoices").fetchone() == (0,)
