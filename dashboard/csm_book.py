"""The CSM "my book" filter: chosen once in the sidebar, applied by every page that lists accounts.

A CSM's book is the accounts they own today (dim_accounts.owner_csm_id; see DECISIONLOG: books use
today's owners). The choice lives in the session, so it follows the reader from page to page, and
in the URL (`?csm=<csm_id>`), so a CSM can bookmark their own book.

CSMs are shown by name, from the `dim_csms` mart; an owner missing from the roster shows by id.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from mart_reader import read_marts

SESSION_KEY = "book_csm_id"
QUERY_PARAMETER = "csm"
EVERYONE = "Everyone (all accounts)"
# The option "no CSM": a selectbox shows a placeholder, not a label, for None.
NO_CSM = ""


def csm_directory() -> pd.DataFrame:
    """One row per CSM who owns an account today: csm_id, csm_name (the id when unnamed)."""
    owners = read_marts(
        owners="""
            select distinct accounts.owner_csm_id as csm_id, csms.csm_name
            from marts.dim_accounts as accounts
            left join marts.dim_csms as csms on accounts.owner_csm_id = csms.csm_id
            where accounts.owner_csm_id is not null
        """
    )["owners"]
    owners["csm_name"] = owners.csm_name.fillna(owners.csm_id)
    return owners.sort_values(["csm_name", "csm_id"], ignore_index=True)


def csm_names() -> dict[str, str]:
    """csm_id -> the name to show."""
    directory = csm_directory()
    return dict(zip(directory.csm_id, directory.csm_name, strict=True))


def name_csms(frame: pd.DataFrame, id_column: str, name_column: str) -> pd.DataFrame:
    """Add a column of CSM names beside a column of CSM ids (ids without a name stay as is)."""
    names = csm_names()
    return frame.assign(**{name_column: frame[id_column].map(lambda csm: names.get(csm, csm))})


def book_selector() -> None:
    """The sidebar control; call it from app.py on every run, before the page runs."""
    directory = csm_directory()
    options = [NO_CSM, *directory.csm_id]
    names = dict(zip(directory.csm_id, directory.csm_name, strict=True))
    if SESSION_KEY not in st.session_state:
        from_url = st.query_params.get(QUERY_PARAMETER)
        st.session_state[SESSION_KEY] = from_url if from_url in names else NO_CSM
    elif st.session_state[SESSION_KEY] not in options:
        st.session_state[SESSION_KEY] = NO_CSM  # a CSM who no longer owns an account
    st.sidebar.selectbox(
        "My book (CSM)",
        options,
        key=SESSION_KEY,
        format_func=lambda csm: names.get(csm, EVERYONE),
        help="Pages that list accounts show only this CSM's accounts (today's owner).",
    )
    chosen = st.session_state[SESSION_KEY]
    if chosen == NO_CSM:
        st.query_params.pop(QUERY_PARAMETER, None)
    else:
        st.query_params[QUERY_PARAMETER] = chosen


def selected_csm() -> str | None:
    """The CSM whose book is shown, or None for every account."""
    return st.session_state.get(SESSION_KEY) or None


def book_filter_description() -> dict[str, str | None]:
    """The book filter as a page lists its filters: {'CSM': name} or {'CSM': None}."""
    csm = selected_csm()
    return {"CSM": None if csm is None else csm_names().get(csm, csm)}


def company_wide_note() -> None:
    """On pages of company-wide figures: say the book filter does not narrow them."""
    csm = selected_csm()
    if csm is not None:
        st.caption(
            f"Company-wide figures: the CSM filter ({csm_names().get(csm, csm)}) applies to "
            "pages that list accounts, not to these."
        )
