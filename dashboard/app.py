"""cs_warehouse dashboard: the entry point Streamlit runs (`make dashboard`).

It reads the BI file read-only, which holds the published marts and nothing else
(`CSWH_BI_WAREHOUSE_PATH`, default: `<stem>_bi.duckdb` beside `CSWH_WAREHOUSE_PATH`, so
`warehouse/cs_warehouse_bi.duckdb`). Each page is a script under `views/`; the folder is not
called `pages/` because Streamlit would then also build its own page list from it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from mart_reader import WarehouseMissingError, published_warehouse

VIEWS = Path(__file__).parent / "views"

st.set_page_config(page_title="cs_warehouse", page_icon=":bar_chart:", layout="wide")

# url_path values are part of the dashboard's interface: the dbt exposures, the docs and the
# browser test link to them.
navigation = st.navigation(
    {
        "Revenue": [
            st.Page(
                VIEWS / "executive_summary.py",
                title="Executive summary",
                url_path="executive-summary",
                default=True,
            ),
            st.Page(VIEWS / "mrr_waterfall.py", title="MRR waterfall", url_path="mrr-waterfall"),
            st.Page(
                VIEWS / "cohort_retention.py",
                title="Cohort retention",
                url_path="cohort-retention",
            ),
        ],
        "Customer success": [
            st.Page(VIEWS / "health.py", title="Account health", url_path="health"),
            st.Page(VIEWS / "escalations.py", title="Escalations", url_path="escalations"),
            st.Page(VIEWS / "plays.py", title="Plays", url_path="plays"),
            st.Page(
                VIEWS / "csm_leaderboard.py",
                title="CSM leaderboard",
                url_path="csm-leaderboard",
            ),
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

st.sidebar.caption(
    f"Marts from `{warehouse.path}`, published "
    f"{warehouse.published_at:%Y-%m-%d %H:%M} UTC. Read-only; reload to see a newer publish."
)
navigation.run()
