"""A stand-in for `dbt build` in tests of the publishing pipeline: it writes the marts the Great
Expectations mart suites read, in a second instead of a dbt build's minute."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

MARTS = """
create schema if not exists marts;
create or replace table marts.fct_account_mrr_monthly as
    select 'am1' as account_month_id, 100.0 as mrr;
create or replace table marts.dim_accounts as
    select 'a1' as account_id, 'low_touch' as touch_tier, 'active' as lifecycle_stage,
        100.0 as mrr
    union all
    select 'a2', 'tech_touch', 'churned', {churned_mrr};
create or replace table marts.fct_escalations as
    select 'e1' as escalation_id, 'trouble' as escalation_type;
create or replace table marts.rpt_mrr_waterfall as
    select date '2026-10-01' as month_start_date, 100.0 as closing_mrr;
create or replace table marts.fct_account_health_weekly as
    select 'aw1' as account_week_id, 72.5 as health_score;
"""


def stand_in_build(churned_mrr: float = 0) -> Callable[[Path], int]:
    def build(candidate: Path) -> int:
        connection = duckdb.connect(str(candidate))
        try:
            connection.execute(MARTS.format(churned_mrr=churned_mrr))
        finally:
            connection.close()
        return 0

    return build
