"""Plays: what to do with which account this week, with filters for the team's daily list."""

from __future__ import annotations

import streamlit as st
from mart_reader import read_mart
from presentation import EMPTY_CELL, stop_when_empty

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

st.caption(
    f"Plays open in the week starting {plays.as_of_week_start_date.max():%Y-%m-%d}. Priority 1 is "
    "most urgent; a play stays open while its trigger holds (rules: seed play_rules)."
)

play_filter, priority_filter, tier_filter, owner_filter = st.columns(4)
chosen_plays = play_filter.multiselect("Play", sorted(plays.play.unique()))
chosen_priorities = priority_filter.multiselect("Priority", sorted(plays.priority.unique()))
chosen_tiers = tier_filter.multiselect("Touch tier", sorted(plays.touch_tier.unique()))
chosen_owners = owner_filter.multiselect("Owner", sorted(plays.play_owner.dropna().unique()))

# An empty filter means "all".
shown = plays
for column, chosen in (
    ("play", chosen_plays),
    ("priority", chosen_priorities),
    ("touch_tier", chosen_tiers),
    ("play_owner", chosen_owners),
):
    if chosen:
        shown = shown[shown[column].isin(chosen)]

st.write(f"**{len(shown):,}** of {len(plays):,} open plays shown.")
st.dataframe(
    shown.drop(columns=["as_of_week_start_date"]),
    hide_index=True,
    placeholder=EMPTY_CELL,
    column_config={
        "priority": st.column_config.NumberColumn("priority", format="%d"),
        "account_id": "account",
        "account_name": "name",
        "touch_tier": "tier",
        "play_owner": "owner",
        "play_reason": st.column_config.TextColumn("why", width="large"),
        "open_since_week_start_date": st.column_config.DateColumn("open since week of"),
        "mrr": st.column_config.NumberColumn("MRR", format="dollar"),
    },
)
