"""Plays: what to do with which account this week, with filters for the team's daily list."""

from __future__ import annotations

import streamlit as st
from csm_book import book_filter_description, csm_names, selected_csm
from mart_reader import read_mart
from presentation import (
    TOUCH_TIER_ORDER,
    date_column,
    date_label,
    money_column,
    nothing_matches,
    number_column,
    show_table,
    stop_when_empty,
    text,
)
from shaping import filter_in, filter_to_book

st.title("Plays")

plays = read_mart(
    """
    select
        plays.priority,
        plays.play,
        plays.account_id,
        accounts.account_name,
        plays.touch_tier,
        plays.play_owner,
        accounts.owner_csm_id,
        plays.play_reason,
        plays.open_since_week_start_date,
        plays.as_of_week_start_date,
        accounts.mrr
    from marts.rpt_plays_open as plays
    left join marts.dim_accounts as accounts
        on plays.account_id = accounts.account_id
    order by plays.priority, accounts.mrr desc nulls last, plays.account_id, plays.play
    """
)
stop_when_empty(plays, "open plays")
# A play's owner is a CSM (shown by name) or a team such as tech-touch automation.
names = csm_names()
plays["owner"] = plays.play_owner.map(lambda owner: names.get(owner, owner))

st.caption(
    f"Plays open in the week starting {date_label(plays.as_of_week_start_date.max())}. "
    "Priority 1 is most urgent; a play stays open while its trigger holds (rules: seed play_rules)."
)

play_filter, priority_filter, tier_filter, owner_filter = st.columns(4)
chosen_plays = play_filter.multiselect("Play", sorted(plays.play.unique()), key="plays")
chosen_priorities = priority_filter.multiselect(
    "Priority", sorted(plays.priority.unique()), key="priorities"
)
chosen_tiers = tier_filter.multiselect(
    "Touch tier", [tier for tier in TOUCH_TIER_ORDER if tier in set(plays.touch_tier)], key="tiers"
)
chosen_owners = owner_filter.multiselect(
    "Owner", sorted(plays.owner.dropna().unique()), key="owners"
)
filters = {
    **book_filter_description(),
    "play": chosen_plays,
    "priority": chosen_priorities,
    "tier": chosen_tiers,
    "owner": chosen_owners,
}

# An empty filter means "all".
shown = filter_to_book(plays, selected_csm())
for column, chosen in (
    ("play", chosen_plays),
    ("priority", chosen_priorities),
    ("touch_tier", chosen_tiers),
    ("owner", chosen_owners),
):
    shown = filter_in(shown, column, chosen)

st.write(f"**{len(shown):,}** of {len(plays):,} open plays shown.")
if not nothing_matches(shown, "open plays", filters):
    show_table(
        shown,
        {
            "priority": number_column("priority"),
            "play": text("play"),
            "account_name": text("account"),
            "touch_tier": text("tier"),
            "owner": text("owner"),
            "play_reason": text("why"),
            "open_since_week_start_date": date_column("open since week of"),
            "mrr": money_column("MRR"),
        },
    )
