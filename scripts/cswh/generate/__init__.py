"""Synthetic extract generator: a deterministic, realistic Customer Success data set.

Public API::

    generate_landing(landing_dir, scale=1.0, seed=42, end_date=date(2026, 10, 31),
                     file_format="csv", progress=None) -> GenerateResult
    append_next_day(landing_dir, days=1, progress=None) -> GenerateResult

Landing folder layout (one folder per contract entity)::

    <landing_dir>/_generator.json                         seed, scale, dates, files written
    <landing_dir>/<source>/<entity>/<entity>__<YYYY-MM-DD>.csv
    <landing_dir>/product_usage/daily_feature_usage/daily_feature_usage__<end>__<YYYY-MM>.csv
        (initial extract: one file per usage month; a month above 2,000,000 rows is split into
        ``..._part1``, ``..._part2``; appended days write ``daily_feature_usage__<day>.csv``)

Every entity gets a file in the initial extract, header-only if it has no rows (tiny scales).

How the world is simulated (modules in the order they run):

- ``population``: accounts (growing signups), latent monthly health, the CSM roster, contacts;
- ``lifecycle``: trials, purchases, onboarding outcomes, churn and reactivation; health is bent
  down over the 2-6 months before each cancellation so the leading indicators lead;
- ``billing``: subscription items, seats, plan changes, invoices, driven by health and demand;
- ``support``, ``engagement``, ``success``, ``sentiment``, ``usage``: the observable signals;
- ``tables`` / ``versions``: every record as a log of row versions over history plus a horizon
  of ``params.HORIZON_DAYS`` days after ``end_date``; extracts are cuts of these logs.

Extract semantics:

- The initial extract holds, per key, the version as of ``end_date`` 23:59:59 UTC: fields of
  later events are empty and statuses are as they were then.
- ``append_next_day`` writes, for each following day D, files dated D with the rows created or
  changed on D (their version as of the end of D) and D's usage. An entity with nothing new on D
  gets **no file** that day (no header-only files).
- The latest version per key over the initial extract plus appended days equals the state as of
  the last appended day, because both are cuts of the same simulated log.
- Deterministic: the same seed, scale and end_date give byte-identical files. Every part of the
  simulation draws from its own ``SeedSequence`` child stream (see ``timeline.stream``).

Modelling decisions worth knowing downstream:

- A trial that never converts is a subscription with ``started_at`` = ``ended_at`` =
  ``trial_ended_at`` (the intended paid start: zero paid days), status ``ended`` (or
  ``incomplete_expired``), no current term,
  no ``canceled_at`` and no invoices. Its items have ``valid_from`` = ``valid_to`` = the intended
  start, followed by a ``removed`` version.
- Items describe paid service: they are created with the subscription (for trials, with
  ``valid_from`` = the paid start) and every item gets a ``removed`` version with 0 seats when it
  is dropped or the subscription ends, so MRR can be computed from item versions alone.
- Discounts are subscription-wide coupons: a percent off every item, or an amount off the
  platform item per billing period; ``repeating`` ones end on a term boundary and their expiry
  writes a ``discount_change`` version (``discount_ends_at`` shows the scheduled end beforehand),
  ``forever`` ones never end, ``once`` ones (monthly and weekly plans) reduce the first invoice
  only.
- Each account is billed in one currency: for a share of accounts in the UK, the euro area
  (and Sweden), Japan, Canada and Australia their local one, from a price book of whole local
  prices (plans ``..._eur``); amounts are exact in the currency's minor units (whole yen).
- Billing periods: month, quarter, year, six months, week and two weeks. Weekly plans tick every
  28 days (renewal changes, discount ends) and issue an invoice per period.
- Statuses: monthly subscriptions may pause for 1-3 whole months (``paused`` with ``paused_at`` /
  ``resumes_at``, no invoice meanwhile, still in MRR); ``past_due`` while an invoice is unpaid 14
  days after issue, ``unpaid`` from a write-off until a later invoice is paid; some cancellations
  read ``non_renewing`` instead of ``canceled``; some lapsed trials ``incomplete_expired``.
- A share of subscriptions start at midnight and export their end inclusively (``ended_at``
  23:59:59 on the last paid day).
- Seat increases, upgrades and new add-ons happen mid-term with a proration invoice at once;
  seat cuts, downgrades and add-on removals happen at renewal.
- ``daily_feature_usage.updated_at`` is the last second of the usage day.
- During a trial the account uses what its trial subscription holds (tier and add-ons), although
  the items' ``valid_from`` is the paid start.
- Churn is decided from latent health; health is then bent down before each cancellation, so
  usage, engagement, sentiment and trouble escalations lead churn. Most cancellations (80%) are
  preceded by a trouble escalation 20-115 days before paid service ends; half of the expansions
  by an opportunity escalation.
"""

from cswh.generate.extracts import GenerateResult, append_next_day, generate_landing

__all__ = ["GenerateResult", "append_next_day", "generate_landing"]
