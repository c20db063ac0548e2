"""cs_warehouse dashboard: the entry point Streamlit runs (`make dashboard`).

It reads the BI file read-only, which holds the published marts and nothing else
(`CSWH_BI_WAREHOUSE_PATH`, default: `<stem>_bi.duckdb` beside `CSWH_WAREHOUSE_PATH`, so
`warehouse/cs_warehouse_bi.duckdb`). Each page is a script under `views/`; the folder is not
called `pages/` because Streamlit would then also build its own page list from it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from csm_book import book_selector
from mart_reader import WarehouseMissingError, published_warehouse

VIEWS = Path(__file__).parent / "views"

st.set_page_config(page_title="cs_warehouse", page_icon=":bar_chart:", layout="wide")


def page(view: str, title: str, url_path: str) -> st.Page:
    return st.Page(VIEWS / f"{view}.py", title=title, url_path=url_path)


# url_path values are part of the dashboard's interface: the dbt exposures, the docs and the
# browser test link to them.
executive_summary = page("executive_summary", "Executive summary", "executive-summary")


def open_executive_summary() -> None:
    st.switch_page(executive_summary)


# Streamlit serves its default page at "/" only, never at the page's own url_path. So the default
# is a hidden page that forwards to the executive summary, which then has a real URL of its own
# (/executive-summary) that bookmarks, the exposures and the docs can use.
landing = st.Page(
    open_executive_summary,
    title="cs_warehouse",
    url_path="home",
    default=True,
    visibility="hidden",
)
navigation = st.navigation(
    {
        "Revenue": [
            landing,
            executive_summary,
            page("mrr_waterfall", "MRR waterfall", "mrr-waterfall"),
            page("unit_economics", "Unit economics", "unit-economics"),
            page("cohort_retention", "Cohort retention", "cohort-retention"),
            page("renewals", "Renewals", "renewals"),
        ],
        "Customer success": [
            page("account", "Account drill-down", "account"),
            page("health", "Account health", "health"),
            page("arr_at_risk", "ARR at risk", "arr-at-risk"),
            page("sentiment", "NPS and CSAT", "nps-csat"),
            page("escalations", "Escalations", "escalations"),
            page("plays", "Plays", "plays"),
            page("csm_leaderboard", "CSM leaderboard", "csm-leaderboard"),
        ],
    }
)

try:
    warehouse = published_warehouse()
except WarehouseMissingError as missing:
    st.title("cs_warehouse")
    st.error(
        f"No published BI file at `{missing}`. Run `make demo` first (it builds the warehouse "
        "and publishes its marts there), or point `CSWH_BI_WAREHOUSE_PATH` at an existing BI "
        "file (or `CSWH_WAREHOUSE_PATH` at a warehouse with its `_bi.duckdb` file beside it), "
        "then reload."
    )
    st.stop()

book_selector()
st.sidebar.caption(
    f"Marts from `{warehouse.path}`, published "
    f"{warehouse.published_at:%Y-%m-%d %H:%M} UTC. Read-only; reload to see a newer publish."
)
navigation.run()
