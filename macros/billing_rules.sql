{#
    The billing rules every model that values a subscription item shares, written once:

    - is_in_force: is a period [starts_at, ends_before) in force at an instant?
    - running_discount / discounted_mrr: what a running discount takes off MRR at an instant, and
      MRR after it.
    - billing_period_months / monthly_amount: how many months one billing period lasts, and an
      amount per billing period as an amount per month.

    Boundaries: every period is half-open, [start, end): it is in force from its start instant
    included to its end instant excluded (an export's 23:59:59 end is moved to the next midnight
    in staging, macros/exclusive_end.sql). Two instants are asked about:

    - at an instant (just_before=false): start <= instant < end. What is in force once a term has
      ended (renewed MRR at a term end) is asked at the instant.
    - just before an instant (just_before=true): start < instant <= end. A balance measured at the
      end of a period that ends at `instant` (exclusive), such as MRR at a month-end (snapshot_at
      is the next month's first instant) or the expiring MRR of a term, is what is in force in the
      last moment before it: a subscription paid through 31 March (ended_at 1 April 00:00) is in
      March's MRR, and one starting at 1 April 00:00 is not.

    These are the two sides of the same half-open period, not two conventions: a discount ending
    exactly at a term end is in the term's expiring MRR and not in its renewed MRR.
    Portable SQL (DuckDB, PostgreSQL, Spark); dispatched like the other project macros.
#}

{#
    True when [starts_at, ends_before) is in force at `instant` (or just before it). An empty
    ends_before is open-ended; starts_at none means "since always" (a discount runs from its item
    version's start, so only its end is checked). An empty starts_at gives null (not in force):
    wrap in coalesce(..., false) where the start may be empty (a pause that never happened).

    Usage:  {{ is_in_force('items.valid_from', 'items.valid_to', 'months.snapshot_at',
                           just_before=true) }}
#}
{% macro is_in_force(starts_at, ends_before, instant, just_before=false) -%}
    {{ return(adapter.dispatch('is_in_force', 'cs_warehouse')(
        starts_at, ends_before, instant, just_before
    )) }}
{%- endmacro %}

{% macro default__is_in_force(starts_at, ends_before, instant, just_before) -%}
    {%- if just_before -%}
        ({% if starts_at is not none %}{{ starts_at }} < {{ instant }} and {% endif -%}
        ({{ ends_before }} is null or {{ ends_before }} >= {{ instant }}))
    {%- else -%}
        ({% if starts_at is not none %}{{ starts_at }} <= {{ instant }} and {% endif -%}
        ({{ ends_before }} is null or {{ ends_before }} > {{ instant }}))
    {%- endif -%}
{%- endmacro %}


{#
    The discount taken off MRR at `instant`: the item's running discount per month while the
    discount is in force (it has no end, or ends after the instant), else 0. A once discount has a
    running discount of 0 already (int_subscription_items_priced).

    Usage:  {{ running_discount('items.running_discount_mrr', 'items.discount_ends_at',
                                'months.snapshot_at', just_before=true) }} as discount_mrr
#}
{% macro running_discount(running_discount_mrr, discount_ends_at, instant, just_before=false) -%}
    {{ return(adapter.dispatch('running_discount', 'cs_warehouse')(
        running_discount_mrr, discount_ends_at, instant, just_before
    )) }}
{%- endmacro %}

{% macro default__running_discount(running_discount_mrr, discount_ends_at, instant, just_before) -%}
    case
        when {{ is_in_force(none, discount_ends_at, instant, just_before) }}
            then {{ running_discount_mrr }}
        else 0
    end
{%- endmacro %}


{#
    MRR after discount at `instant`: gross MRR less the discount running then.

    Usage:  sum({{ discounted_mrr('items.gross_mrr', 'items.running_discount_mrr',
                                  'items.discount_ends_at', 'terms.term_ends_at') }})
#}
{% macro discounted_mrr(gross_mrr, running_discount_mrr, discount_ends_at, instant, just_before=false) -%}
    {{ return(adapter.dispatch('discounted_mrr', 'cs_warehouse')(
        gross_mrr, running_discount_mrr, discount_ends_at, instant, just_before
    )) }}
{%- endmacro %}

{% macro default__discounted_mrr(gross_mrr, running_discount_mrr, discount_ends_at, instant, just_before) -%}
    ({{ gross_mrr }} - {{ running_discount(running_discount_mrr, discount_ends_at, instant, just_before) }})
{%- endmacro %}


{#
    One billing period of `interval_count` × `billing_interval` lasts months_numerator ÷
    months_denominator months: a day is 12 ÷ 365.25 of a month (a month is 365.25 ÷ 12 =
    30.4375 days), a week 84 ÷ 365.25 (7 days), a month 1, a quarter 3, a year 12. The one table
    both macros below read; null for an interval it does not know (the staging tests accept only
    these five).
#}
{% macro billing_period_month_fraction(billing_interval, interval_count) -%}
    {%- set numerator -%}
        ({{ interval_count }} * case {{ billing_interval }}
            when 'day' then 12
            when 'week' then 84
            when 'month' then 1
            when 'quarter' then 3
            when 'year' then 12
        end)
    {%- endset -%}
    {%- set denominator -%}
        (case when {{ billing_interval }} in ('day', 'week') then 365.25 else 1 end)
    {%- endset -%}
    {{ return({'numerator': numerator, 'denominator': denominator}) }}
{%- endmacro %}

{#
    Months in one billing period (3 for a quarter, 24 for two years, 12 ÷ 365.25 for a day).
    A whole number for month, quarter and year; cast it to an integer where it counts months to
    add to a date (billing terms).

    Usage:  {{ billing_period_months('plans.billing_interval', 'plans.interval_count') }}
#}
{% macro billing_period_months(billing_interval, interval_count) -%}
    {{ return(adapter.dispatch('billing_period_months', 'cs_warehouse')(
        billing_interval, interval_count
    )) }}
{%- endmacro %}

{% macro default__billing_period_months(billing_interval, interval_count) -%}
    {%- set fraction = billing_period_month_fraction(billing_interval, interval_count) -%}
    ({{ fraction.numerator }} / {{ fraction.denominator }})
{%- endmacro %}

{#
    An amount per billing period as an amount per month: amount ÷ billing_period_months,
    written as amount × denominator ÷ numerator so that the division comes last and decimals stay
    exact on every engine (Spark rounds a division inside an expression, 1/3 to six places).

    Usage:  {{ monthly_amount('seats * unit_price', 'billing_interval', 'interval_count') }}
#}
{% macro monthly_amount(amount, billing_interval, interval_count) -%}
    {{ return(adapter.dispatch('monthly_amount', 'cs_warehouse')(
        amount, billing_interval, interval_count
    )) }}
{%- endmacro %}

{% macro default__monthly_amount(amount, billing_interval, interval_count) -%}
    {%- set fraction = billing_period_month_fraction(billing_interval, interval_count) -%}
    ({{ amount }}) * {{ fraction.denominator }} / {{ fraction.numerator }}
{%- endmacro %}
