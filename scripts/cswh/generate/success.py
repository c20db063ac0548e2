"""Customer Success records: onboarding projects, success-plan goals and the renewal/expansion
pipeline. Their outcomes follow the simulated lifecycle: projects of churned accounts end
cancelled, goals are achieved by healthy accounts and missed by weak ones, renewal opportunities
are won when the subscription renews and lost when it is cancelled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cswh.contracts import entity
from cswh.generate import params
from cswh.generate.billing import BillingLog
from cswh.generate.catalogue import PLATFORM_MONTHLY_PRICE
from cswh.generate.lifecycle import Episode
from cswh.generate.population import TEAMS, Accounts, Health, Roster, format_ids
from cswh.generate.state import EpisodeArrays, ServiceMonths, StatePoints
from cswh.generate.timeline import (
    DAY,
    HOUR,
    NULL_TS,
    Draws,
    Timeline,
    anniversary_ts,
    stream,
    ts_days,
)
from cswh.generate.versions import EntityLog, Stage, expand

GOAL_CATEGORIES = ("adoption", "efficiency", "revenue", "cost_saving", "compliance")


@dataclass
class OnboardingOutcome:
    """Per onboarding project: the episode, go-live instant (or NULL) and the rating given."""

    episode: np.ndarray
    go_live: np.ndarray
    rating: np.ndarray
    account: np.ndarray


def _health_at(
    health: Health, timeline: Timeline, account: np.ndarray, ts: np.ndarray
) -> np.ndarray:
    h = health.h[account, timeline.month_of(ts)]
    return np.where(np.isnan(h), 0.5, h)


def onboarding_projects(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    health: Health,
    roster: Roster,
    episodes: list[Episode],
) -> tuple[EntityLog, OnboardingOutcome]:
    rng = stream(seed, "onboarding")
    chosen = [e for e, ep in enumerate(episodes) if ep.onboarding is not None]
    n = len(chosen)
    eps = [episodes[e] for e in chosen]
    account = np.array([ep.account for ep in eps], dtype=np.int64)
    kickoff = np.array([ep.onboarding.started_ts for ep in eps], dtype=np.int64)
    target = np.array([ep.onboarding.target_ts for ep in eps], dtype=np.int64)
    stall = np.array([ep.onboarding.stall_ts for ep in eps], dtype=np.int64)
    go_live = np.array([ep.onboarding.go_live_ts for ep in eps], dtype=np.int64)
    cancel = np.array([ep.onboarding.cancel_ts for ep in eps], dtype=np.int64)
    churn = np.array([ep.cancel_ts for ep in eps], dtype=np.int64)
    objectives = np.array([ep.onboarding.has_objectives for ep in eps], dtype=bool)
    go_live = np.where(go_live != NULL_TS, go_live + 16 * HOUR, NULL_TS)
    # A customer that cancels before going live ends the project.
    churn_first = (churn != NULL_TS) & ((go_live == NULL_TS) | (churn < go_live))
    churn_first &= (cancel == NULL_TS) | (churn < cancel)
    cancel = np.where(churn_first, churn + HOUR, cancel)
    go_live = np.where(churn_first, NULL_TS, go_live)
    stall = np.where((stall != NULL_TS) & (cancel != NULL_TS) & (stall >= cancel), NULL_TS, stall)
    stalled = np.array([ep.stalled for ep in eps], dtype=bool)
    h = _health_at(health, timeline, account, np.where(go_live != NULL_TS, go_live, kickoff))
    curve = params.ONBOARDING_RATING
    rating = curve["base"] + curve["slope"] * h + curve["noise"] * rng.normal(size=n)
    rating = np.clip(np.round(rating - curve["stalled_penalty"] * stalled), 1, 10)
    rating = rating.astype(np.int64)
    kickoff_at = kickoff + 10 * HOUR
    owner = roster.owner_at(account, kickoff_at)
    specialist = roster.specialists[account % len(roster.specialists)]
    csm = np.where(accounts.segment[account] == 0, specialist, owner)
    base = {
        "onboarding_project_id": format_ids("onb", np.arange(1, n + 1), 6),
        "account_id": accounts.ids[account],
        "csm_id": roster.ids[csm],
        "started_date": ts_days(kickoff),
        "target_go_live_date": ts_days(target),
        "go_live_date": ts_days(go_live),
        "has_documented_objectives": objectives,
        "onboarding_rating": np.where(go_live != NULL_TS, rating, np.iinfo(np.int64).min),
        "status": np.full(n, "in_progress", dtype=object),
    }
    pending = ("go_live_date", "onboarding_rating")
    stages = [
        Stage(kickoff_at, {"status": "in_progress"}, pending),
        Stage(stall, {"status": "stalled"}, pending),
        Stage(go_live, {"status": "live"}),
        Stage(cancel, {"status": "cancelled"}, pending),
    ]
    log = expand(entity("onboarding_projects"), base, np.arange(n), stages, timeline.horizon_ts)
    outcome = OnboardingOutcome(np.array(chosen, dtype=np.int64), go_live, rating, account)
    return log, outcome


# ------------------------------------------------------------------------------------ goals
def success_plan_goals(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    health: Health,
    episodes: EpisodeArrays,
    outcome: OnboardingOutcome,
) -> EntityLog:
    """Goals for commercial and enterprise accounts, set at go-live and yearly after."""
    d = Draws(stream(seed, "goals"))
    go_live = dict(zip(outcome.episode.tolist(), outcome.go_live.tolist(), strict=True))
    rows: list[tuple] = []  # (account, created, target, [(ts, status), ...])
    for e in range(episodes.n):
        a = int(episodes.account[e])
        team = TEAMS[accounts.segment[a]]
        if team not in params.GOALS_RANGE or episodes.secondary[e] or not episodes.converted[e]:
            continue
        start = go_live.get(e, NULL_TS)
        if start == NULL_TS:
            if e in go_live:
                continue  # onboarding never went live: no success plan
            start = int(episodes.paid_start[e]) + 45 * DAY
        stop = int(episodes.service_stop[e])
        year = 0
        while True:
            created = anniversary_ts(start, 12 * year) + d.integer(1, 10) * DAY
            if created >= stop or created > timeline.horizon_ts:
                break
            for _ in range(d.integer(*params.GOALS_RANGE[team])):
                target = created + d.integer(*params.GOAL_TARGET_DAYS) * DAY
                rows.append(
                    (
                        a,
                        created,
                        target,
                        _goal_path(
                            d, timeline, health, a, created, target, stop, episodes.cancel[e]
                        ),
                    )
                )
            year += 1
    n = len(rows)
    rng = stream(seed, "goal_categories")
    base = {
        "goal_id": format_ids("goal", np.arange(1, n + 1), 6),
        "account_id": accounts.ids[np.array([r[0] for r in rows], dtype=np.int64)],
        "goal_category": np.asarray(GOAL_CATEGORIES, dtype=object)[
            rng.integers(0, len(GOAL_CATEGORIES), n)
        ],
        "status": np.full(n, "on_track", dtype=object),
        "target_date": ts_days(np.array([r[2] for r in rows], dtype=np.int64)),
        "created_at": np.array([r[1] for r in rows], dtype=np.int64),
    }
    # Each status change is its own stage: flatten the paths into version rows.
    key = np.repeat(np.arange(n), [len(r[3]) for r in rows])
    times = np.array([t for r in rows for t, _ in r[3]], dtype=np.int64)
    statuses = np.array([s for r in rows for _, s in r[3]], dtype=object)
    flat = {name: values[key] for name, values in base.items()}
    flat["status"] = statuses
    flat["updated_at"] = times
    return expand(
        entity("success_plan_goals"),
        flat,
        key.astype(np.int64),
        [Stage(times)],
        timeline.horizon_ts,
    )


def _goal_path(
    d: Draws,
    timeline: Timeline,
    health: Health,
    a: int,
    created: int,
    target: int,
    stop: int,
    cancel: int,
) -> list[tuple[int, str]]:
    """on_track -> (at_risk <-> on_track)* -> achieved | missed, driven by monthly health."""
    path = [(created, "on_track")]
    status = "on_track"
    month = int(timeline.month_of(created)) + 1
    end_month = int(timeline.month_of(min(target, stop)))
    while month <= end_month and month < timeline.n_months:
        h = health.h[a, month]
        when = int(timeline.month_starts[month]) + d.integer(2, 25) * DAY + 15 * HOUR
        if when >= min(target, stop):
            break
        if status == "on_track" and h < params.GOAL_AT_RISK_HEALTH:
            status = "at_risk"
            path.append((when, status))
        elif status == "at_risk" and h > params.GOAL_RECOVER_HEALTH:
            status = "on_track"
            path.append((when, status))
        month += 1
    if cancel != NULL_TS and cancel < target:
        path.append((max(cancel + DAY, path[-1][0] + HOUR), "missed"))
        return path
    h = health.h[a, int(timeline.month_of(target))]
    curve = params.GOAL_ACHIEVE
    achieve = 1.0 / (1.0 + np.exp(-(h - curve["midpoint"]) / curve["width"]))
    final = "achieved" if d.chance(float(achieve)) else "missed"
    path.append((max(target + d.integer(1, 10) * DAY, path[-1][0] + HOUR), final))
    return path


# ------------------------------------------------------------------------------------ pipeline
@dataclass
class _Opportunity:
    account: int
    kind: str
    created: int
    close_expected: int
    closed: int  # NULL_TS while open
    stage: str  # final stage
    amount_open: float
    amount_closed: float


def opportunities(
    seed: int,
    timeline: Timeline,
    accounts: Accounts,
    roster: Roster,
    episodes: EpisodeArrays,
    log: BillingLog,
    points: StatePoints,
    escalations: EntityLog,
    months: ServiceMonths,
) -> EntityLog:
    d = Draws(stream(seed, "opportunities"))
    opps: list[_Opportunity] = []
    _renewals(d, episodes, log, opps)
    _won_expansions(d, episodes, log, opps)
    _lost_expansions(d, timeline, accounts, episodes, points, escalations, opps)
    _speculative_expansions(d, months, points, opps)
    opps.sort(key=lambda o: (o.created, o.account))
    n = len(opps)
    account = np.array([o.account for o in opps], dtype=np.int64)
    created = np.array([o.created for o in opps], dtype=np.int64)
    closed = np.array([o.closed for o in opps], dtype=np.int64)
    base = {
        "opportunity_id": format_ids("opp", np.arange(1, n + 1), 6),
        "account_id": accounts.ids[account],
        "owner_csm_id": roster.ids[roster.owner_at(account, created)],
        "opportunity_type": np.array([o.kind for o in opps], dtype=object),
        "stage": np.full(n, "open", dtype=object),
        "amount": np.array([o.amount_open for o in opps], dtype=np.float64),
        "close_date": ts_days(np.array([o.close_expected for o in opps], dtype=np.int64)),
        "created_at": created,
        "closed_at": closed,
    }
    stages = [
        Stage(created, {"stage": "open"}, ("closed_at",)),
        Stage(
            closed,
            {
                "stage": np.array([o.stage for o in opps], dtype=object),
                "amount": np.array([o.amount_closed for o in opps], dtype=np.float64),
                "close_date": ts_days(closed),
            },
        ),
    ]
    return expand(entity("opportunities"), base, np.arange(n), stages, timeline.horizon_ts)


def _renewals(d: Draws, episodes: EpisodeArrays, log: BillingLog, opps: list[_Opportunity]) -> None:
    """One renewal opportunity per annual or quarterly term end."""
    for e, term_start, term_end, arr, next_arr, ends_here in log.terms:
        if episodes.secondary[e]:
            continue
        months = int(episodes.interval_months[e])
        lead = params.RENEWAL_OPPORTUNITY_LEAD_DAYS[months]
        created = max(term_end - lead * DAY, term_start + HOUR)
        account = int(episodes.account[e])
        cancel = int(episodes.cancel[e])
        if ends_here and cancel != NULL_TS:
            created = max(min(created, cancel - d.integer(3, 10) * DAY), term_start + HOUR)
            created = min(created, cancel - HOUR)
            opps.append(
                _Opportunity(
                    account,
                    "renewal",
                    created,
                    term_end,
                    cancel,
                    "closed_lost",
                    arr / 100,
                    arr / 100,
                )
            )
        elif next_arr >= 0:
            signed = term_end - d.integer(*params.RENEWAL_SIGNED_BEFORE_DAYS) * DAY - HOUR
            signed = max(signed, created + DAY)
            opps.append(
                _Opportunity(
                    account,
                    "renewal",
                    created,
                    term_end,
                    signed,
                    "closed_won",
                    arr / 100,
                    next_arr / 100,
                )
            )
        else:
            opps.append(
                _Opportunity(
                    account, "renewal", created, term_end, NULL_TS, "open", arr / 100, arr / 100
                )
            )


def _won_expansions(
    d: Draws, episodes: EpisodeArrays, log: BillingLog, opps: list[_Opportunity]
) -> None:
    for e, account, when, _kind, delta in log.expansions:
        if episodes.secondary[e] or delta <= 0 or not d.chance(params.EXPANSION_OPPORTUNITY_PROB):
            continue
        created = when - d.integer(*params.EXPANSION_OPPORTUNITY_LEAD_DAYS) * DAY
        created = max(created, int(episodes.paid_start[e]) + HOUR)
        if created >= when:
            continue
        estimate = round(delta * d.uniform(*params.EXPANSION_ESTIMATE_RANGE), -2)
        opps.append(
            _Opportunity(
                account, "expansion", created, when, when, "closed_won", estimate / 100, delta / 100
            )
        )


def _lost_expansions(
    d: Draws,
    timeline: Timeline,
    accounts: Accounts,
    episodes: EpisodeArrays,
    points: StatePoints,
    escalations: EntityLog,
    opps: list[_Opportunity],
) -> None:
    """Opportunity escalations that led nowhere often leave a lost expansion opportunity."""
    final = escalations.as_of(timeline.horizon_ts)
    cols = escalations.take(final)
    chosen = np.flatnonzero(cols["outcome"] == "no_action")
    account_index = {a: i for i, a in enumerate(accounts.ids.tolist())}
    primary = ~episodes.secondary
    for row in chosen:
        if not d.chance(params.LOST_EXPANSION_FROM_ESCALATION_PROB):
            continue
        a = account_index[cols["account_id"][row]]
        created = int(cols["escalated_at"][row]) + d.integer(1, 5) * DAY
        live = np.flatnonzero(
            primary
            & (episodes.account == a)
            & (episodes.paid_start <= created)
            & (episodes.service_stop > created)
        )
        if len(live) == 0:
            continue
        _add_lost(d, opps, points, a, int(live[0]), created)


def _add_lost(
    d: Draws, opps: list[_Opportunity], points: StatePoints, a: int, e: int, created: int
) -> None:
    """A lost expansion opportunity sized at 10-30% more seats on the current plan."""
    at = int(points.at(np.array([e]), np.array([created]))[0])
    seats, tier = int(points.seats[at]), int(points.tier[at])
    share = d.uniform(*params.LOST_EXPANSION_SEAT_SHARE)
    amount = max(100.0, round(seats * share * PLATFORM_MONTHLY_PRICE[tier] * 12, -2))
    closed = created + d.integer(*params.LOST_EXPANSION_CLOSE_DAYS) * DAY
    opps.append(
        _Opportunity(a, "expansion", created, closed, closed, "closed_lost", amount, amount)
    )


def _speculative_expansions(
    d: Draws, months: ServiceMonths, points: StatePoints, opps: list[_Opportunity]
) -> None:
    """Healthy accounts are pitched more than they buy: some expansion opportunities are lost."""
    for row in range(len(months.month)):
        if not months.paid[row] or months.h[row] < params.SPECULATIVE_EXPANSION_MIN_HEALTH:
            continue
        if not d.chance(params.SPECULATIVE_EXPANSION_PROB * months.fraction[row]):
            continue
        start, stop = int(months.start[row]), int(months.stop[row])
        created = start + int(d.u() * max(stop - start, 1))
        _add_lost(d, opps, points, int(months.account[row]), int(months.episode[row]), created)
