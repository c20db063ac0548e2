"""A stand-in for `dbt build` in tests of the publishing pipeline: it writes the marts the Great
Expectations mart suites read, one row per account, in a second instead of a dbt build's minute."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

MARTS = """
create schema if not exists marts;
create or replace table marts.fct_account_mrr_monthly as
    select 'am' || i || '-' || m as account_month_id,
        date '2026-09-01' + to_months(cast(m as integer)) as month_start_date, 100.0 as mrr
    from range({accounts}) t(i) cross join range(2) months(m);
create or replace table marts.dim_accounts as
    select 'a' || i as account_id, 'low_touch' as touch_tier, 'active' as lifecycle_stage,
        100.0 as mrr
    from range({accounts}) t(i);
create or replace table marts.fct_escalations as
    select 'e1' as escalation_id, 'trouble' as escalation_type;
create or replace table marts.rpt_mrr_waterfall as
    select date '2026-10-01' as month_start_date, 100.0 * {accounts} as closing_mrr;
create or replace table marts.fct_account_health_weekly as
    select 'aw' || i as account_week_id, date '2026-10-05' as week_start_date,
        72.5 as health_score
    from range({accounts}) t(i);
"""


def stand_in_build(accounts: int = 20) -> Callable[[Path], int]:
    def build(candidate: Path) -> int:
        connection = duckdb.connect(str(candidate))
        try:
            connection.execute(MARTS.format(accounts=accounts))
        finally:
            connection.close()
        return 0

    return build
