"""Every simulation constant of the generator, in one place.

The numbers below decide how the synthetic customer base behaves: how fast it grows, who churns,
how usage, tickets and engagement react to account health. They are tuned so that the leading
indicators the warehouse is built to find really lead (usage, engagement and sentiment fall and
trouble escalations appear before churn; opportunity escalations and high utilisation come before
expansion). Change them here, never inline in the simulation code.

Conventions: probabilities are per account per month unless the name says otherwise; "h" is the
latent monthly account health in [0, 1]; money is USD.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------ time and volume
HISTORY_YEARS = 3
# Simulated days after end_date, so that append_next_day can continue the same world.
HORIZON_DAYS = 183
# Accounts created over the three-year window at scale 1.0.
ACCOUNTS_PER_SCALE = 1000
# Signup rate at the end of the window relative to its start (exponential growth in between).
SIGNUP_GROWTH_RATIO = 2.5

# ------------------------------------------------------------------------------ companies
# Employee count: lognormal around the median, clipped to the range.
EMPLOYEE_MEDIAN = 150
EMPLOYEE_SIGMA = 1.5
EMPLOYEE_RANGE = (5, 20_000)
# Segment thresholds on employee count: small < MID, mid < LARGE <= large.
SEGMENT_MID_EMPLOYEES = 200
SEGMENT_LARGE_EMPLOYEES = 1000
SEGMENTS = ("small", "mid", "large")
# CSM team owning each segment, and accounts (ever created) per CSM of that team.
SEGMENT_TEAM = ("scale", "commercial", "enterprise")
ACCOUNTS_PER_CSM = {"scale": 110, "commercial": 55, "enterprise": 25}
CSMS_PER_MANAGER = 8
ACCOUNTS_PER_SPECIALIST = 400
CSM_YEARLY_ATTRITION = 0.12
# Renewal quota per CSM (USD, per year) by team.
CSM_QUOTA_RANGE = {
    "scale": (200_000, 350_000),
    "commercial": (500_000, 800_000),
    "enterprise": (1_200_000, 1_800_000),
}
TOUCH_OVERRIDE_SHARE = 0.03
# Yearly chance that a company's head count is re-enriched (a new account version).
ENRICHMENT_YEARLY = 0.3

INDUSTRY_WEIGHTS = {
    "software": 0.22,
    "financial_services": 0.12,
    "healthcare": 0.11,
    "retail": 0.12,
    "manufacturing": 0.11,
    "education": 0.08,
    "media": 0.08,
    "professional_services": 0.16,
}
REGION_WEIGHTS = {"north_america": 0.45, "emea": 0.30, "apac": 0.15, "latam": 0.10}
COUNTRY_WEIGHTS = {
    "north_america": {"US": 0.85, "CA": 0.15},
    "emea": {
        "GB": 0.30,
        "DE": 0.20,
        "FR": 0.15,
        "NL": 0.10,
        "SE": 0.08,
        "ES": 0.07,
        "IE": 0.05,
        "ZA": 0.05,
    },
    "apac": {"AU": 0.35, "SG": 0.20, "JP": 0.20, "IN": 0.15, "NZ": 0.10},
    "latam": {"BR": 0.45, "MX": 0.35, "AR": 0.10, "CL": 0.10},
}
# First hour (UTC) of the local business day per region; events fall in a 9-hour window.
REGION_BUSINESS_START_HOUR = {"north_america": 13, "emea": 7, "apac": 0, "latam": 12}
# Share of billing customers invoiced through a US entity instead of the HQ country.
BILLING_COUNTRY_US_SHARE = 0.05
TAX_RATES = {
    "GB": 0.20,
    "DE": 0.19,
    "FR": 0.20,
    "NL": 0.21,
    "SE": 0.25,
    "ES": 0.21,
    "IE": 0.23,
    "ZA": 0.15,
    "AU": 0.10,
    "SG": 0.09,
    "JP": 0.10,
    "IN": 0.18,
    "NZ": 0.15,
    "MX": 0.16,
    "CA": 0.05,
}

# Contacts per account by segment (inclusive range) and executives among them.
CONTACTS_RANGE = ((2, 4), (4, 8), (8, 15))
EXECUTIVES_RANGE = ((1, 1), (1, 2), (2, 3))
REPORTS_TO_SHARE = 0.7
DIRECTOR_DECISION_MAKER_SHARE = 0.6
# Chance of having a champion = CHAMPION_BASE + CHAMPION_SLOPE * baseline health.
CHAMPION_BASE = 0.15
CHAMPION_SLOPE = 0.8
# Large, healthy accounts may have a second champion: chance = baseline health * this.
SECOND_CHAMPION_SLOPE = 0.5
# A negative health shock removes the champion flag with this probability.
CHAMPION_LOSS_ON_SHOCK = 0.5
# Yearly head-count growth of re-enriched companies: lognormal (mean, sigma) of the log factor.
ENRICHMENT_GROWTH = (0.03, 0.08)
BILLING_EMAIL_CHANGE_PROB = 0.05

# ------------------------------------------------------------------------------ health
# Baseline health per account ~ Beta(a, b); the monthly walk reverts towards it.
BASELINE_BETA = (4.0, 2.2)
INITIAL_HEALTH_NOISE = 0.08
HEALTH_REVERSION = 0.15
HEALTH_WALK_SIGMA = 0.055
HEALTH_DRIFT_SIGMA = 0.01
NEGATIVE_SHOCK_PROB = 0.025
NEGATIVE_SHOCK_SIZE = (0.15, 0.40)
POSITIVE_SHOCK_PROB = 0.015
POSITIVE_SHOCK_SIZE = (0.08, 0.20)
# Baseline penalties during the first year for weak starts.
STALL_HEALTH_PENALTY = 0.15
CANCELLED_ONBOARDING_HEALTH_PENALTY = 0.28
NO_CORE_ADOPTION_HEALTH_PENALTY = 0.10
OUTAGE_HEALTH_HIT = 0.05
# Before every churn, health slides over 2-6 months down to a floor: the decline the leading
# indicators must pick up.
PRECHURN_DECLINE_MONTHS = (2, 6)
PRECHURN_HEALTH_FLOOR = (0.05, 0.22)
# Health of a reactivated account at its new start.
REACTIVATION_HEALTH = (0.50, 0.80)
# Share of the reactivation boost that remains each following month.
REACTIVATION_HEALTH_PERSISTENCE = 0.85

# ------------------------------------------------------------------------------ churn
# Hazard = floor + span * logistic((midpoint - h) / width): flat when healthy, steep when weak.
MONTHLY_CHURN_HAZARD = {"floor": 0.004, "span": 0.35, "midpoint": 0.30, "width": 0.06}
QUARTERLY_NONRENEWAL = {"floor": 0.012, "span": 0.60, "midpoint": 0.30, "width": 0.06}
ANNUAL_NONRENEWAL = {"floor": 0.03, "span": 0.90, "midpoint": 0.33, "width": 0.07}
SEMIANNUAL_NONRENEWAL = {"floor": 0.02, "span": 0.75, "midpoint": 0.31, "width": 0.065}
STALLED_ONBOARDING_HAZARD_MULT = 2.0
CANCELLED_ONBOARDING_HAZARD_MULT = 4.0
# Days before term end that an annual / quarterly customer asks to cancel.
# A monthly customer cancels this far into the month of its last term.
MONTHLY_CANCEL_POINT = (0.15, 0.95)
ANNUAL_CANCEL_LEAD_DAYS = (15, 75)
QUARTERLY_CANCEL_LEAD_DAYS = (5, 30)
SEMIANNUAL_CANCEL_LEAD_DAYS = (10, 45)
REACTIVATION_PROB = 0.22
REACTIVATION_GAP_MONTHS = (2, 12)
REACTIVATION_ONBOARDING_PROB = 0.5
# A few mid/large accounts run a second subscription (another department).
SECOND_SUBSCRIPTION_PROB = 0.04
SECOND_SUBSCRIPTION_DELAY_MONTHS = (2, 10)
SECOND_SUBSCRIPTION_SEAT_SHARE = (0.15, 0.40)

# ------------------------------------------------------------------------------ subscriptions
# Hours between the CRM account and its billing subscription.
SUBSCRIPTION_DELAY_HOURS = (0.5, 48)
TRIAL_DAYS = 14
# Quarterly and annual contracts renewing automatically (the rest sign a renewal).
AUTO_RENEW_SHARE = 0.9
TRIAL_PROB_BY_SEGMENT = (0.70, 0.55, 0.35)
# Share of trials that never convert = base + slope * (1 - baseline health).
TRIAL_NO_CONVERT_BASE = 0.08
TRIAL_NO_CONVERT_SLOPE = 0.50
# Billing interval shares (month, quarter, year) by segment.
INTERVAL_SHARES_BY_SEGMENT = ((0.65, 0.10, 0.25), (0.48, 0.10, 0.42), (0.28, 0.10, 0.62))
# Billing periods sold (Episode.interval indexes these): month, quarter, year, six months, week,
# two weeks. A term is INTERVAL_MONTHS ticks; a tick is a calendar month, or WEEKLY_TICK_DAYS for
# plans billed by the week (no contract term: they renew tick by tick like monthly plans).
INTERVAL_MONTHS = (1, 3, 12, 6, 1, 1)
INTERVAL_WEEKS = (0, 0, 0, 0, 1, 2)
WEEKLY_TICK_DAYS = 28
# Small accounts that chose monthly billing pay every week / every two weeks instead.
WEEKLY_SHARE_OF_SMALL_MONTHLY = 0.08
BIWEEKLY_SHARE_OF_SMALL_MONTHLY = 0.05
# Quarterly (1) and annual (2) choosers that sign six-month terms instead.
SEMIANNUAL_SHARE = {1: 0.30, 2: 0.10}
# Plan tier shares (starter, growth, enterprise) by segment.
TIER_SHARES_BY_SEGMENT = ((0.75, 0.25, 0.0), (0.20, 0.62, 0.18), (0.03, 0.32, 0.65))
# Seats = SEATS_BASE + employees ** SEATS_EXPONENT * U(range).
SEATS_BASE = 2
SEATS_EXPONENT = 0.8
SEATS_FACTOR_RANGE = (0.05, 0.25)
SEATS_MAX = 3000
# Chance of each add-on at purchase by tier.
ADDON_PROB_BY_TIER = (0.08, 0.20, 0.35)
DISCOUNT_PROB = 0.30
DISCOUNT_PERCENTS = (10, 15, 20, 25)
DISCOUNT_OPEN_ENDED_SHARE = 0.3
DISCOUNT_MONTHS = (3, 12)
# Share of new-deal discounts given as an amount off the platform item per billing period (the
# same money as the percent, rounded to whole local units) instead of a percent.
AMOUNT_OFF_SHARE = 0.35
# Monthly and weekly new deals without a discount that get a one-time coupon: percent off the
# first invoice only.
ONCE_COUPON_PROB = 0.06
ONCE_COUPON_PERCENTS = (25, 50)
# One-off onboarding/services fee on new growth/enterprise accounts (USD, multiples of 500).
ONE_OFF_FEE_PROB = 0.30
ONE_OFF_FEE_RANGE = (1_500, 15_000)
# Legacy plans: a new subscription picks the legacy plan with this chance while it is sold.
LEGACY_PLAN_SHARE = 0.35
# At each renewal, a subscription on a retired plan migrates to the current one with this chance.
LEGACY_MIGRATION_PROB = 0.25
# List-price increase: month of the window it happens, and share of subscriptions repriced at
# their next renewal (the rest are grandfathered).
PRICE_INCREASE_MONTH = 20
PRICE_INCREASE_ADOPTION = 0.7

# ------------------------------------------------------------------------------ currencies
# Local price books: local units per US dollar of list price; local prices are whole units (JPY
# whole tens of yen). The simulation's CRM figures (ARR of terms and expansions) stay in USD,
# converted back with the same factor.
PRICE_BOOK = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CAD": 1.36, "AUD": 1.52}
# Billing country -> local currency; customers there are billed locally with these shares by
# segment (large accounts more often sign in USD), the rest in USD.
LOCAL_CURRENCY = {
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "ES": "EUR",
    "IE": "EUR",
    "SE": "EUR",
    "JP": "JPY",
    "CA": "CAD",
    "AU": "AUD",
}
LOCAL_CURRENCY_SHARE_BY_SEGMENT = (0.85, 0.75, 0.60)

# ------------------------------------------------------------------------------ statuses
# A monthly subscription pauses (billing and service suspended) with this chance per month after
# its third month, for a whole number of months; usage falls to this share meanwhile.
PAUSE_MONTHLY_PROB = 0.012
PAUSE_MIN_MONTH = 3
PAUSE_MONTHS = (1, 3)
PAUSED_USAGE_SHARE = 0.05
# Cancellations shown as non_renewing (scheduled at term end) instead of canceled.
NON_RENEWING_SHARE = 0.4
# Lapsed trials exported as incomplete_expired (the first invoice was never paid) not ended.
INCOMPLETE_EXPIRED_SHARE = 0.4
# Subscriptions whose billing system exports inclusive ends (23:59:59 on the last day); they
# start at midnight so that the inclusive end is the natural form.
INCLUSIVE_END_SHARE = 0.15

# ------------------------------------------------------------------------------ seats and plans
# Active-user demand: starts at a share of seats, grows with health, shrinks when weak.
DEMAND_START_SHARE = (0.45, 0.75)
DEMAND_GROWTH_SLOPE = 0.09
DEMAND_NEUTRAL_HEALTH = 0.45
DEMAND_WEAK_HEALTH = 0.30
DEMAND_WEAK_DECLINE = 0.08
DEMAND_NOISE = 0.05
MAX_UTILISATION = 1.05
# Expansion when utilisation is high and the account is healthy (any time in the term).
EXPAND_UTILISATION = 0.90
EXPAND_MIN_HEALTH = 0.55
EXPAND_PROB = 0.40
EXPAND_FACTOR = (1.10, 1.40)
UPGRADE_MIN_HEALTH = 0.70
UPGRADE_PROB = 0.025
ADDON_ADD_MIN_HEALTH = 0.65
ADDON_ADD_PROB = 0.02
# Contraction at term boundaries when utilisation is low and the account weak.
CONTRACT_UTILISATION = 0.65
CONTRACT_MAX_HEALTH = 0.50
CONTRACT_PROB = 0.5
CONTRACT_HEADROOM = 1.10
ADDON_REMOVE_MAX_HEALTH = 0.40
ADDON_REMOVE_PROB = 0.30
DOWNGRADE_MAX_HEALTH = 0.35
DOWNGRADE_PROB = 0.15
# Retention discount offered at an annual/quarterly renewal of a weak account that stays.
RETENTION_DISCOUNT_MAX_HEALTH = 0.45
RETENTION_DISCOUNT_PROB = 0.30
RETENTION_DISCOUNT_PERCENT = 15

# ------------------------------------------------------------------------------ invoices
# Invoices are due this many days after issue; the subscription is past_due while one is
# overdue and unpaid after one is written off, until a later invoice is paid.
PAYMENT_TERMS_DAYS = 14
# Accounts below this health pay late and more often not at all.
WEAK_PAYER_HEALTH = 0.4
PAYMENT_DELAY_MEDIAN_DAYS = {"healthy": 4.0, "weak": 12.0}
PAYMENT_DELAY_SIGMA = 0.8
PAYMENT_MAX_DAYS = 30
UNCOLLECTIBLE_PROB = {"healthy": 0.005, "weak": 0.05}
UNCOLLECTIBLE_AFTER_DAYS = (45, 90)
VOID_PROB = 0.004
VOID_AFTER_DAYS = (1, 4)
GOODWILL_CREDIT_PROB = 0.01
GOODWILL_CREDIT_SHARE = 0.05
OUTAGE_CREDIT_SHARE = 0.10

# ------------------------------------------------------------------------------ onboarding
ONBOARDING_TARGET_DAYS = (30, 60)
ONBOARDING_KICKOFF_DELAY_DAYS = (0, 5)
# Chance to stall = base + slope * (1 - baseline health); ~20% overall.
ONBOARDING_STALL_BASE = 0.08
ONBOARDING_STALL_SLOPE = 0.35
ONBOARDING_CANCEL_GIVEN_STALL = 0.25
ONBOARDING_STALL_DELAY_DAYS = (30, 120)
ONBOARDING_ON_TIME_JITTER_DAYS = (-10, 10)
ONBOARDING_OBJECTIVES_PROB = {"normal": 0.85, "stalled": 0.45}
# Accounts that never adopt the core-value features: base + slope * (1 - baseline health).
NEVER_ADOPT_CORE_BASE = 0.05
NEVER_ADOPT_CORE_SLOPE = 0.25
# Onboarding rating = base + slope * h + noise - penalty if stalled (1-10).
ONBOARDING_RATING = {"base": 1.0, "slope": 9.0, "noise": 1.2, "stalled_penalty": 1.5}

# ------------------------------------------------------------------------------ usage
# Usage intensity by weekday, Monday first.
WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.92, 0.15, 0.10)
# Daily active users = demand * (ENGAGEMENT_BASE + ENGAGEMENT_SLOPE * h).
ENGAGEMENT_BASE = 0.35
ENGAGEMENT_SLOPE = 0.65
TRIAL_DEMAND_SHARE = (0.25, 0.55)
# Feature adoption ramps from ADOPTION_START to 1 between paid start and go-live.
ADOPTION_START = 0.35
ADOPTION_WITHOUT_GO_LIVE = 0.5
ADOPTION_RAMP_DAYS_WITHOUT_PROJECT = 60
# Events per active user are scaled by (EVENTS_BASE + h).
EVENTS_BASE = 0.5
# Adoption propensity per account and feature: Beta for core-value features and for the rest,
# of which a share is never used at all.
CORE_ADOPTION_BETA = (4.0, 2.0)
OTHER_ADOPTION_BETA = (2.0, 3.0)
OTHER_NEVER_USED_SHARE = 0.3

# ------------------------------------------------------------------------------ support
# Tickets per account-month = rate * seats ** exponent * (base + slope * (1 - h) ** 2).
TICKET_RATE = 0.50
TICKET_SEAT_EXPONENT = 0.55
TICKET_HEALTH_BASE = 0.5
TICKET_HEALTH_SLOPE = 2.0
# Category shares (how_to, bug, outage, billing, feature_request, account_admin), blended
# between healthy and weak accounts by health.
TICKET_CATEGORY_SHARES = {
    "healthy": (0.42, 0.18, 0.02, 0.10, 0.12, 0.16),
    "weak": (0.18, 0.34, 0.08, 0.12, 0.20, 0.08),
}
# Priority shares (low, normal, high, urgent); bugs and outages are "severe".
TICKET_PRIORITY_SHARES = {"normal": (0.22, 0.55, 0.18, 0.05), "severe": (0.05, 0.35, 0.40, 0.20)}
TICKET_CHANNEL_SHARES = (0.40, 0.30, 0.22, 0.08)  # email, web, chat, phone
# Lognormal first response (median hours by priority) and time to solve (median days).
FIRST_RESPONSE_MEDIAN_HOURS = (12.0, 5.0, 2.0, 0.5)
FIRST_RESPONSE_SIGMA = 0.8
SOLVE_MEDIAN_DAYS = 1.2
SOLVE_SIGMA = 1.0
SEVERE_SOLVE_FACTOR = 2.0
TICKET_PENDING_SHARE = 0.3
TICKET_ADDON_PRODUCT_SHARE = 0.35
TICKET_UNKNOWN_PRODUCT_SHARE = 0.08
TICKET_CLOSE_AFTER_DAYS = 4
CSAT_SHARE = 0.4
CSAT_DELAY_DAYS = (0.05, 3.5)
# CSAT mean = base + slope * (floor + (1 - floor) * h), plus noise; 1-5.
CSAT_SCORE = {"base": 1.2, "slope": 3.8, "floor": 0.15, "noise": 0.7}
# Organic escalation chance per ticket: trouble rises steeply when h is low.
TROUBLE_ESCALATION = {"floor": 0.005, "span": 0.15, "midpoint": 0.30, "width": 0.06}
OPPORTUNITY_ESCALATION_PROB = 0.004
OPPORTUNITY_ESCALATION_HEALTHY_PROB = 0.02
OPPORTUNITY_ESCALATION_MIN_HEALTH = 0.7
# Trouble reasons of a bug ticket: performance for this share, product_defect for the rest.
PERFORMANCE_SHARE_OF_BUGS = 0.4
# Reasons of trouble escalations raised before churn (product_defect, performance, outage,
# missing_feature, billing_dispute, unhappy_customer) and of opportunity escalations
# (seat_expansion, upgrade_interest, longer_contract, case_study, new_use_case).
CHURN_REASON_SHARES = (0.20, 0.15, 0.0, 0.20, 0.15, 0.30)
OPPORTUNITY_REASON_SHARES = (0.30, 0.20, 0.20, 0.15, 0.15)
ESCALATE_AFTER_HOURS = (0.5, 48)
# Severity shares (low, medium, high, critical): trouble blends healthy/weak by health.
SEVERITY_SHARES = {
    "healthy": (0.35, 0.45, 0.15, 0.05),
    "weak": (0.05, 0.30, 0.40, 0.25),
    "opportunity": (0.45, 0.45, 0.10, 0.0),
}
# A trouble escalation that did not end in churn is "saved" below this health, else "resolved";
# an opportunity that led nowhere is "no_action" for this share, else "resolved".
SAVED_MAX_HEALTH = 0.45
NO_ACTION_SHARE = 0.6
# A trouble escalation is raised before this share of churns: 20-115 days before paid service
# ends, and at least two days before the customer asks to cancel.
CHURN_TROUBLE_PROB = 0.8
CHURN_TROUBLE_LEAD_DAYS = (20, 115)
# An opportunity escalation precedes this share of expansions.
EXPANSION_OPPORTUNITY_PROB = 0.5
EXPANSION_OPPORTUNITY_LEAD_DAYS = (5, 45)
# Outcome windows: a trouble escalation is "lost" if the account cancels within this many days;
# an opportunity one "expanded" if it expands within this many days.
ESCALATION_OUTCOME_WINDOW_DAYS = 90
ESCALATION_ACCEPT_HOURS = (1, 48)
ESCALATION_RESOLVE_DAYS = (2, 30)
# Systemic incidents: (position in the window as a fraction, length in days).
OUTAGES = ((0.42, 4), (0.81, 3))
OUTAGE_AFFECTED_SHARE = 0.25
OUTAGE_ESCALATION_SHARE = 0.5

# ------------------------------------------------------------------------------ engagement
# CSM-logged proactive touches per month by team; scaled by engagement(h).
PROACTIVE_TOUCHES = {"scale": 0.3, "commercial": 2.5, "enterprise": 6.0}
AUTOMATED_EMAILS = {"scale": 3.0, "commercial": 1.0, "enterprise": 0.5}
REACTIVE_TOUCHES = {"scale": 0.4, "commercial": 0.8, "enterprise": 1.5}
CONTENT_ENGAGEMENTS = 1.2
WEBINARS = 0.25
# Content and webinars per month scale with (CONTENT_HEALTH_OFFSET + h).
CONTENT_HEALTH_OFFSET = 0.2
# Activity type shares (email, call, meeting).
PROACTIVE_TYPE_SHARES = (0.5, 0.25, 0.25)
REACTIVE_TYPE_SHARES = (0.6, 0.3, 0.1)
# Reactive contacts of scale accounts are logged by a CSM this often (else by the system).
SCALE_REACTIVE_LOGGED_SHARE = 0.5
# Content category: upsell when seats run full, education in the first months.
UPSELL_UTILISATION = 0.85
UPSELL_SHARE = {"full": 0.45, "other": 0.10}
EDUCATIONAL_SHARE = {"early": 0.60, "later": 0.35}
EARLY_TENURE_DAYS = 180
# An EBR needs at least this much of the month in service.
EBR_MIN_MONTH_FRACTION = 0.3
# Executive business reviews every N months per team (0: none).
EBR_EVERY_MONTHS = {"scale": 0, "commercial": 6, "enterprise": 3}
EBR_HEALTH = {"midpoint": 0.40, "width": 0.08}
# Engagement factor = base + slope * h ** power: falls fast when health falls.
ACTIVITY_ENGAGEMENT = {"base": 0.1, "slope": 0.9, "power": 2.0}
# Chance an activity names an executive = base + slope * h ** 2.
EXECUTIVE_CONTACT = {"base": 0.05, "slope": 0.35}

# ------------------------------------------------------------------------------ sentiment
NPS_MONTHS = (3, 9)
NPS_MIN_TENURE_DAYS = 60
NPS_RECIPIENTS = (1, 3)
NPS_RESPONSE_PROB = 0.55
NPS_SCORE = {"base": 2.0, "slope": 8.5, "noise": 1.2}
POST_SALES_RESPONSE_PROB = 0.5
POST_SALES_AFTER_EXPANSION_PROB = 0.3
POST_SALES_SCORE = {"base": 4.0, "slope": 5.0, "noise": 1.0}
CSAT_SURVEY_PROB = 0.08
CSAT_SURVEY_SCORE = {"base": 1.0, "slope": 4.0, "noise": 0.6}
ANONYMOUS_RESPONSE_SHARE = 0.05
# Surveys and pulses need at least this much of the month in service.
SURVEY_MIN_MONTH_FRACTION = 0.5
PULSE_PROB = 0.9
PULSE_NOISE = 0.5

# ------------------------------------------------------------------------------ goals and pipeline
GOALS_RANGE = {"commercial": (1, 3), "enterprise": (2, 4)}
GOAL_TARGET_DAYS = (90, 365)
GOAL_AT_RISK_HEALTH = 0.42
GOAL_RECOVER_HEALTH = 0.58
GOAL_ACHIEVE = {"midpoint": 0.5, "width": 0.08}
RENEWAL_OPPORTUNITY_LEAD_DAYS = {3: 30, 6: 60, 12: 90}
RENEWAL_SIGNED_BEFORE_DAYS = (0, 20)
EXPANSION_OPPORTUNITY_PROB = 0.7
EXPANSION_OPPORTUNITY_LEAD_DAYS = (10, 45)
# The amount forecast on a won expansion, relative to the ARR it finally added.
EXPANSION_ESTIMATE_RANGE = (0.8, 1.3)
# A lost expansion is sized at this share of more seats.
LOST_EXPANSION_SEAT_SHARE = (0.1, 0.3)
LOST_EXPANSION_FROM_ESCALATION_PROB = 0.6
LOST_EXPANSION_CLOSE_DAYS = (30, 90)
# Expansion opportunities opened on healthy accounts that do not buy (per account-month).
SPECULATIVE_EXPANSION_PROB = 0.03
SPECULATIVE_EXPANSION_MIN_HEALTH = 0.6
