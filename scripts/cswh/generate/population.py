"""Who is in the world: accounts (companies), their latent health, the CSM roster and contacts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cswh.contracts import REGIONS
from cswh.generate import names, params
from cswh.generate.timeline import DAY, NULL_TS, Timeline, business_seconds, stream

TEAMS = ("scale", "commercial", "enterprise")


def _weighted(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=np.float64)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Readable identifiers like acc_000123 (numbers start at 1)."""
    return np.array([f"{prefix}_{int(i):0{width}d}" for i in numbers], dtype=object)


# ------------------------------------------------------------------------------------ accounts
@dataclass
class Accounts:
    n: int
    ids: np.ndarray
    created_ts: np.ndarray
    segment: np.ndarray  # 0 small, 1 mid, 2 large; also the owning team index
    employees: np.ndarray
    industry: np.ndarray
    region: np.ndarray  # index into contracts.REGIONS
    country: np.ndarray
    name: np.ndarray
    domain: np.ndarray
    touch_override: np.ndarray
    business_hour: np.ndarray
    billing_country: np.ndarray
    tax_rate: np.ndarray
    baseline: np.ndarray
    drift: np.ndarray
    has_trial: np.ndarray
    trial_converts: np.ndarray
    stalled: np.ndarray
    onboarding_cancelled: np.ndarray
    never_adopt_core: np.ndarray


def signup_times(rng: np.random.Generator, timeline: Timeline, scale: float) -> np.ndarray:
    """Account creation instants: exponentially growing signups over the window and horizon."""
    n_hist = max(1, round(params.ACCOUNTS_PER_SCALE * scale))
    window = (timeline.end - timeline.start).days + 1
    total_days = timeline.n_days
    growth = math.log(params.SIGNUP_GROWTH_RATIO)

    def cumulative(t: float) -> float:  # expected signups by day t, in units of n_hist
        return (math.exp(growth * t / window) - 1) / (params.SIGNUP_GROWTH_RATIO - 1)

    n_horizon = max(0, round(n_hist * (cumulative(total_days) - 1)))

    def inverse(u: np.ndarray) -> np.ndarray:  # u in units of n_hist
        return window / growth * np.log1p(u * (params.SIGNUP_GROWTH_RATIO - 1))

    hist = inverse(rng.random(n_hist))
    horizon = inverse(1 + rng.random(n_horizon) * (cumulative(total_days) - 1))
    days = np.sort(np.floor(np.concatenate([hist, horizon])).astype(np.int64))
    days = np.clip(days, 0, total_days - 1)
    return timeline.start_ts + days * DAY


def build_accounts(seed: int, timeline: Timeline, scale: float) -> Accounts:
    rng = stream(seed, "accounts")
    day_ts = signup_times(rng, timeline, scale)
    n = len(day_ts)
    region = rng.choice(len(REGIONS), size=n, p=[params.REGION_WEIGHTS[r] for r in REGIONS])
    business_hour = np.array(
        [params.REGION_BUSINESS_START_HOUR[REGIONS[r]] for r in region], dtype=np.int64
    )
    created_ts = day_ts + business_seconds(rng, business_hour)
    country = np.empty(n, dtype=object)
    for r, region_name in enumerate(REGIONS):
        mask = region == r
        country[mask] = _weighted(rng, params.COUNTRY_WEIGHTS[region_name], int(mask.sum()))
    employees = np.exp(np.log(params.EMPLOYEE_MEDIAN) + params.EMPLOYEE_SIGMA * rng.normal(size=n))
    employees = np.clip(np.round(employees), *params.EMPLOYEE_RANGE).astype(np.int64)
    segment = np.where(
        employees >= params.SEGMENT_LARGE_EMPLOYEES,
        2,
        np.where(employees >= params.SEGMENT_MID_EMPLOYEES, 1, 0),
    ).astype(np.int8)
    company, domain = names.company_names(rng, n)
    override = np.full(n, None, dtype=object)
    chosen = rng.random(n) < params.TOUCH_OVERRIDE_SHARE
    tiers = np.asarray(("high_touch", "low_touch", "tech_touch"), dtype=object)
    override[chosen] = tiers[rng.integers(0, 3, int(chosen.sum()))]
    billing_country = country.copy()
    billing_country[rng.random(n) < params.BILLING_COUNTRY_US_SHARE] = "US"
    tax_rate = np.array([params.TAX_RATES.get(c, 0.0) for c in billing_country])
    baseline = rng.beta(*params.BASELINE_BETA, size=n)
    weak = 1.0 - baseline
    stalled = rng.random(n) < params.ONBOARDING_STALL_BASE + params.ONBOARDING_STALL_SLOPE * weak
    return Accounts(
        n=n,
        ids=format_ids("acc", np.arange(1, n + 1), 6),
        created_ts=created_ts,
        segment=segment,
        employees=employees,
        industry=_weighted(rng, params.INDUSTRY_WEIGHTS, n),
        region=region.astype(np.int8),
        country=country,
        name=np.asarray(company, dtype=object),
        domain=np.asarray(domain, dtype=object),
        touch_override=override,
        business_hour=business_hour,
        billing_country=billing_country,
        tax_rate=tax_rate,
        baseline=baseline,
        drift=rng.normal(0.0, params.HEALTH_DRIFT_SIGMA, n),
        has_trial=rng.random(n) < np.asarray(params.TRIAL_PROB_BY_SEGMENT)[segment],
        trial_converts=rng.random(n)
        >= params.TRIAL_NO_CONVERT_BASE + params.TRIAL_NO_CONVERT_SLOPE * weak,
        stalled=stalled,
        onboarding_cancelled=stalled & (rng.random(n) < params.ONBOARDING_CANCEL_GIVEN_STALL),
        never_adopt_core=rng.random(n)
        < params.NEVER_ADOPT_CORE_BASE + params.NEVER_ADOPT_CORE_SLOPE * weak,
    )


# ------------------------------------------------------------------------------------ health
@dataclass
class Health:
    """Latent monthly health per account (NaN before the account exists) and what shaped it."""

    h: np.ndarray  # [accounts, months]
    negative_shock: np.ndarray  # [accounts, months] bool
    outage_starts: np.ndarray  # instants
    outage_days: np.ndarray
    outage_affected: np.ndarray  # [outages, accounts] bool


def outage_windows(timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
    window = timeline.end_cutoff_ts - timeline.start_ts
    starts = []
    for fraction, _ in params.OUTAGES:
        day = int(fraction * window) // DAY
        starts.append(timeline.start_ts + day * DAY)
    return np.array(starts, dtype=np.int64), np.array([d for _, d in params.OUTAGES])


def simulate_health(seed: int, timeline: Timeline, accounts: Accounts) -> Health:
    """Monthly random walk per account: reverts to its baseline, drifts, and takes shocks."""
    rng = stream(seed, "health")
    n, months = accounts.n, timeline.n_months
    created_month = timeline.month_of(accounts.created_ts)
    outage_starts, outage_days = outage_windows(timeline)
    outage_month = timeline.month_of(outage_starts)
    affected = rng.random((len(outage_starts), n)) < params.OUTAGE_AFFECTED_SHARE
    affected &= accounts.created_ts[None, :] < outage_starts[:, None]
    penalty = (
        params.STALL_HEALTH_PENALTY * accounts.stalled
        + (params.CANCELLED_ONBOARDING_HEALTH_PENALTY - params.STALL_HEALTH_PENALTY)
        * accounts.onboarding_cancelled
        + params.NO_CORE_ADOPTION_HEALTH_PENALTY * accounts.never_adopt_core
    )
    h = np.full((n, months), np.nan)
    shocks = np.zeros((n, months), dtype=bool)
    initial = np.clip(accounts.baseline + rng.normal(0, params.INITIAL_HEALTH_NOISE, n), 0, 1)
    for m in range(months):
        target = accounts.baseline - penalty * ((m - created_month) < 12)
        noise = rng.normal(0, params.HEALTH_WALK_SIGMA, n)
        negative = rng.random(n) < params.NEGATIVE_SHOCK_PROB
        positive = rng.random(n) < params.POSITIVE_SHOCK_PROB
        size_neg = rng.uniform(*params.NEGATIVE_SHOCK_SIZE, n)
        size_pos = rng.uniform(*params.POSITIVE_SHOCK_SIZE, n)
        previous = initial if m == 0 else np.where(np.isnan(h[:, m - 1]), initial, h[:, m - 1])
        step = (
            params.HEALTH_REVERSION * (target - previous)
            + accounts.drift
            + noise
            - negative * size_neg
            + positive * size_pos
        )
        for o in np.flatnonzero(outage_month == m):
            step = step - params.OUTAGE_HEALTH_HIT * affected[o]
        value = np.clip(previous + step, 0.0, 1.0)
        value = np.where(created_month == m, np.clip(initial - 0.5 * penalty, 0, 1), value)
        exists = created_month <= m
        h[:, m] = np.where(exists, value, np.nan)
        shocks[:, m] = exists & negative & (created_month < m)
    return Health(h, shocks, outage_starts, outage_days, affected)


# ------------------------------------------------------------------------------------ roster
@dataclass
class Roster:
    """The CSM roster and who owns which account when (accounts sit in team 'slots')."""

    n: int
    ids: np.ndarray
    full_name: np.ndarray
    email: np.ndarray
    team: np.ndarray  # index into TEAMS
    role: np.ndarray
    manager: np.ndarray  # roster index or -1
    quota: np.ndarray  # USD or NaN
    hired_ts: np.ndarray
    left_ts: np.ndarray  # NULL_TS while active
    slot_of_account: np.ndarray
    # Occupancy changes, sorted by (slot, from_ts): the owner of a slot from an instant on.
    change_slot: np.ndarray
    change_ts: np.ndarray
    change_csm: np.ndarray
    specialists: np.ndarray

    def owner_at(self, account: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Roster index of the account owner at each instant (vectorised)."""
        slot = self.slot_of_account[np.asarray(account)]
        # Instants after 1970 fit in 36 bits: (slot, instant) packs into one sortable integer.
        keys = self.change_slot.astype(np.int64) * (1 << 36) + self.change_ts
        query = slot.astype(np.int64) * (1 << 36) + np.asarray(ts, dtype=np.int64)
        index = np.searchsorted(keys, query, side="right") - 1
        return self.change_csm[index]


@dataclass
class _Member:
    team: int
    role: str
    hired_ts: int
    left_ts: int = NULL_TS
    manager: int = -1  # index into the member list before sorting


def _assign_slots(
    rng: np.random.Generator, timeline: Timeline, accounts: Accounts
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Slot per account and (team, open_ts) per slot: slots open as each team's book grows."""
    slot_of_account = np.zeros(accounts.n, dtype=np.int64)
    slots: list[tuple[int, int]] = []
    for team, team_name in enumerate(TEAMS):
        members = np.flatnonzero(accounts.segment == team)
        n_slots = max(1, round(len(members) / params.ACCOUNTS_PER_CSM[team_name]))
        first = len(slots)
        for k in range(n_slots):
            if k == 0 or len(members) == 0:
                opened = timeline.start_ts - int(rng.integers(60, 700)) * DAY
            else:
                anchor = accounts.created_ts[members[k * len(members) // n_slots]]
                opened = (int(anchor) // DAY - 30) * DAY
            slots.append((team, opened))
        load = np.zeros(n_slots, dtype=np.int64)
        opened_at = np.array([slots[first + k][1] for k in range(n_slots)])
        for a in members:
            eligible = opened_at <= accounts.created_ts[a]
            candidates = np.where(eligible, load, np.iinfo(np.int64).max)
            k = int(np.argmin(candidates))
            load[k] += 1
            slot_of_account[a] = first + k
    return slot_of_account, slots


def _quotas(rng: np.random.Generator, members: list[_Member], position: np.ndarray) -> np.ndarray:
    """Renewal quota per CSM by team; a manager carries the sum of the team still in place."""
    quota = np.full(len(members), np.nan)
    for rank, member in enumerate(members):
        if member.role == "csm":
            low, high = params.CSM_QUOTA_RANGE[TEAMS[member.team]]
            quota[rank] = round(rng.uniform(low, high), -4)
    for rank, member in enumerate(members):
        if member.role == "csm" and member.left_ts == NULL_TS:
            manager = position[member.manager]
            quota[manager] = np.nansum([quota[manager], quota[rank]])
    return quota


def build_roster(seed: int, timeline: Timeline, accounts: Accounts) -> Roster:
    rng = stream(seed, "roster")
    slot_of_account, slots = _assign_slots(rng, timeline, accounts)
    members: list[_Member] = []
    managers_by_team: list[list[int]] = []
    for team in range(len(TEAMS)):
        team_slots = sum(1 for t, _ in slots if t == team)
        n_managers = max(1, math.ceil(team_slots / params.CSMS_PER_MANAGER))
        ids = []
        for _ in range(n_managers):
            hired = timeline.start_ts - int(rng.integers(400, 900)) * DAY
            members.append(_Member(team, "manager", hired))
            ids.append(len(members) - 1)
        managers_by_team.append(ids)
    specialists = []
    n_specialists = max(1, round(accounts.n / params.ACCOUNTS_PER_SPECIALIST))
    for k in range(n_specialists):
        team = k % 2  # scale, commercial
        hired = timeline.start_ts - int(rng.integers(100, 600)) * DAY
        members.append(_Member(team, "specialist", hired, manager=managers_by_team[team][0]))
        specialists.append(len(members) - 1)
    changes: list[tuple[int, int, int]] = []
    mean_tenure = 365.25 * DAY / params.CSM_YEARLY_ATTRITION
    for slot, (team, opened) in enumerate(slots):
        manager = managers_by_team[team][slot % len(managers_by_team[team])]
        hired, takeover = opened, opened
        while True:
            members.append(_Member(team, "csm", hired, manager=manager))
            member = len(members) - 1
            changes.append((slot, takeover, member))
            leave = hired + int(rng.exponential(mean_tenure)) // DAY * DAY + 17 * 3600
            if leave > timeline.horizon_ts or leave <= takeover:
                break
            members[member].left_ts = leave
            hired = (leave // DAY - int(rng.integers(0, 15))) * DAY
            takeover = leave
    order = sorted(range(len(members)), key=lambda i: (members[i].hired_ts, i))
    position = np.empty(len(members), dtype=np.int64)
    position[order] = np.arange(len(members))
    n = len(members)
    first, last = names.person_names(rng, n)
    full_name = np.array([f"{f} {s}" for f, s in zip(first, last, strict=True)], dtype=object)
    email = names.emails(first, last, np.full(n, names.VENDOR_DOMAIN, dtype=object))
    team = np.array([members[i].team for i in order], dtype=np.int8)
    role = np.array([members[i].role for i in order], dtype=object)
    quota = _quotas(rng, [members[i] for i in order], position)
    change_slot = np.array([c[0] for c in changes], dtype=np.int64)
    change_ts = np.array([c[1] for c in changes], dtype=np.int64)
    change_csm = position[np.array([c[2] for c in changes], dtype=np.int64)]
    by = np.lexsort((change_ts, change_slot))
    return Roster(
        n=n,
        ids=format_ids("csm", np.arange(1, n + 1), 4),
        full_name=full_name,
        email=email,
        team=team,
        role=role,
        manager=np.array(
            [position[members[i].manager] if members[i].manager >= 0 else -1 for i in order],
            dtype=np.int64,
        ),
        quota=quota,
        hired_ts=np.array([members[i].hired_ts for i in order], dtype=np.int64),
        left_ts=np.array([members[i].left_ts for i in order], dtype=np.int64),
        slot_of_account=slot_of_account,
        change_slot=change_slot[by],
        change_ts=change_ts[by],
        change_csm=change_csm[by],
        specialists=position[np.array(specialists, dtype=np.int64)],
    )


# ------------------------------------------------------------------------------------ contacts
@dataclass
class Contacts:
    n: int
    ids: np.ndarray
    account: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    title: np.ndarray
    is_executive: np.ndarray
    is_decision_maker: np.ndarray
    is_champion: np.ndarray
    reports_to: np.ndarray  # contact index or -1
    created_ts: np.ndarray
    # First contact index and count per account (contacts of an account are contiguous).
    first_of_account: np.ndarray
    count_of_account: np.ndarray


def build_contacts(seed: int, accounts: Accounts) -> Contacts:
    """2-15 people per account with an org chart: executives on top, directors, then staff."""
    rng = stream(seed, "contacts")
    low = np.array([r[0] for r in params.CONTACTS_RANGE])[accounts.segment]
    high = np.array([r[1] for r in params.CONTACTS_RANGE])[accounts.segment]
    count = rng.integers(low, high + 1)
    first_of = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    n = int(count.sum())
    account = np.repeat(np.arange(accounts.n), count)
    rank = np.arange(n) - first_of[account]
    exec_low = np.array([r[0] for r in params.EXECUTIVES_RANGE])[accounts.segment]
    exec_high = np.array([r[1] for r in params.EXECUTIVES_RANGE])[accounts.segment]
    n_exec = np.minimum(rng.integers(exec_low, exec_high + 1), count)
    n_directors = np.minimum(np.maximum(0, (count - n_exec) // 3), count - n_exec)
    is_exec = rank < n_exec[account]
    is_director = ~is_exec & (rank < (n_exec + n_directors)[account])
    title = np.empty(n, dtype=object)
    # The top executive is the CEO; other executives hold one of the other C-level/VP titles.
    executive_titles = np.asarray(names.EXECUTIVE_TITLES, dtype=object)
    other = rng.integers(1, len(executive_titles), int(is_exec.sum()))
    title[is_exec] = executive_titles[np.where(rank[is_exec] == 0, 0, other)]
    title[is_director] = np.asarray(names.DIRECTOR_TITLES, dtype=object)[
        rng.integers(0, len(names.DIRECTOR_TITLES), int(is_director.sum()))
    ]
    staff = ~is_exec & ~is_director
    title[staff] = np.asarray(names.STAFF_TITLES, dtype=object)[
        rng.integers(0, len(names.STAFF_TITLES), int(staff.sum()))
    ]
    decision = is_exec | (is_director & (rng.random(n) < params.DIRECTOR_DECISION_MAKER_SHARE))
    champion = np.zeros(n, dtype=bool)
    has_champion = rng.random(accounts.n) < (
        params.CHAMPION_BASE + params.CHAMPION_SLOPE * accounts.baseline
    )
    second_chance = accounts.baseline * params.SECOND_CHAMPION_SLOPE
    second = has_champion & (count >= 8) & (rng.random(accounts.n) < second_chance)
    for a in np.flatnonzero(has_champion):
        # A champion below the top executive: a director or a staff member.
        pick = first_of[a] + 1 + int(rng.integers(0, max(1, count[a] - 1)))
        champion[min(pick, first_of[a] + count[a] - 1)] = True
        if second[a]:
            champion[first_of[a] + count[a] - 1] = True
    reports_to = np.full(n, -1, dtype=np.int64)
    # The top executive reports to nobody: the others link a little more often so that about
    # REPORTS_TO_SHARE of all contacts have a manager.
    per_account = params.REPORTS_TO_SHARE * count / np.maximum(count - 1, 1)
    link = (rank > 0) & (rng.random(n) < per_account[account])
    choice = rng.random(n)
    for i in np.flatnonzero(link):
        a = account[i]
        base, execs, directors = first_of[a], n_exec[a], n_directors[a]
        if is_exec[i]:
            reports_to[i] = base
        elif is_director[i] or directors == 0:
            reports_to[i] = base + int(choice[i] * execs)
        else:
            reports_to[i] = base + execs + int(choice[i] * directors)
    reports_to = np.where(reports_to >= np.arange(n), -1, reports_to)
    first, last = names.person_names(rng, n)
    created = accounts.created_ts[account] + 300 + rank * 60
    return Contacts(
        n=n,
        ids=format_ids("con", np.arange(1, n + 1), 7),
        account=account,
        first_name=first,
        last_name=last,
        email=names.emails(first, last, accounts.domain[account]),
        title=title,
        is_executive=is_exec,
        is_decision_maker=decision,
        is_champion=champion,
        reports_to=reports_to,
        created_ts=created.astype(np.int64),
        first_of_account=first_of,
        count_of_account=count.astype(np.int64),
    )
