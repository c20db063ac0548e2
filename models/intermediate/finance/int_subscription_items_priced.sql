{#
    Every version of every subscription item with what it is worth per month, in the item's
    currency and in the reporting currency, and the account it bills.

    - A period of interval_count intervals is normalised to a month (macro monthly_amount): a day
      is 365.25 / 12 of a month's days, a week 7 of them, a quarter 3 months, a year 12.
    - The discount is what a running discount takes off per month: percent off the gross, plus
      an amount off per period (normalised likewise), never more than the gross. A discount that
      applies once (the first invoice) is a one-off and takes nothing off MRR.
    - Exchange rate: fixed per subscription item and currency at the rate of the day the item
      was booked (its first version in that currency), so a seat, price or discount change moves
      MRR by what changed and never by a rate.
    - Subscriptions that never paid (incomplete, incomplete_expired) are left out.
#}

{%- set reporting_currency = var('reporting_currency') %}

with

item_versions as (

    select * from {{ ref('stg_billing__subscription_item_versions') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

plans as (

    select * from {{ ref('stg_billing__plans') }}

),

exchange_rates as (

    select * from {{ ref('int_exchange_rates_spanned') }}

),

versions_normalised as (

    select
        item_versions.*,
        coalesce(item_versions.currency, plans.currency) as item_currency,
        plans.product_id,
        plans.product_kind,
        plans.plan_tier,
        plans.billing_interval,
        plans.interval_count
    from item_versions
    inner join plans
        on item_versions.plan_id = plans.plan_id

),

bookings as (

    select
        subscription_item_id,
        item_currency,
        cast(min(valid_from) as {{ type_date() }}) as booked_on_date
    from versions_normalised
    group by subscription_item_id, item_currency

),

booked_rates as (

    select
        bookings.subscription_item_id,
        bookings.item_currency,
        case
            when bookings.item_currency = '{{ reporting_currency }}' then 1
            else exchange_rates.rate_to_reporting_currency
        end as exchange_rate,
        exchange_rates.rate_date as exchange_rate_date
    from bookings
    left join exchange_rates
        on
            bookings.item_currency = exchange_rates.currency
            and bookings.booked_on_date >= exchange_rates.serves_from_date
            and bookings.booked_on_date < exchange_rates.serves_before_date

),

versions_priced as (

    select
        versions_normalised.*,
        {{ monthly_amount(
            'versions_normalised.seats * versions_normalised.unit_price',
            'versions_normalised.billing_interval',
            'versions_normalised.interval_count'
        ) }} as gross_mrr_in_currency,
        case
            when versions_normalised.discount_duration = 'once' then 0
            else
                {{ monthly_amount(
                    'versions_normalised.seats * versions_normalised.unit_price'
                    ~ ' * coalesce(versions_normalised.discount_percent, 0) / 100'
                    ~ ' + coalesce(versions_normalised.discount_amount, 0)',
                    'versions_normalised.billing_interval',
                    'versions_normalised.interval_count'
                ) }}
        end as uncapped_discount_mrr_in_currency
    from versions_normalised

),

final as (

    select
        versions_priced.item_version_id,
        versions_priced.subscription_item_id,
        versions_priced.subscription_id,
        customers.account_id,
        versions_priced.plan_id,
        versions_priced.product_id,
        versions_priced.product_kind,
        versions_priced.plan_tier,
        versions_priced.billing_interval,
        versions_priced.interval_count,
        versions_priced.seats,
        versions_priced.unit_price,
        versions_priced.item_currency as currency,
        coalesce(versions_priced.discount_percent, 0) as discount_percent,
        coalesce(versions_priced.discount_amount, 0) as discount_amount,
        versions_priced.discount_duration,
        versions_priced.discount_ends_at,
        versions_priced.change_reason,
        versions_priced.valid_from,
        versions_priced.valid_to,
        subscriptions.status as subscription_status,
        subscriptions.started_at as subscription_started_at,
        subscriptions.ended_at as subscription_ended_at,
        subscriptions.paused_at as subscription_paused_at,
        subscriptions.resumes_at as subscription_resumes_at,
        booked_rates.exchange_rate,
        booked_rates.exchange_rate_date,
        cast(versions_priced.gross_mrr_in_currency as {{ type_decimal() }})
            as gross_mrr_in_currency,
        cast(
            least(
                versions_priced.uncapped_discount_mrr_in_currency,
                versions_priced.gross_mrr_in_currency
            ) as {{ type_decimal() }}
        ) as running_discount_mrr_in_currency,
        cast(
            versions_priced.gross_mrr_in_currency * booked_rates.exchange_rate
            as {{ type_decimal() }}
        ) as gross_mrr,
        cast(
            least(
                versions_priced.uncapped_discount_mrr_in_currency,
                versions_priced.gross_mrr_in_currency
            ) * booked_rates.exchange_rate as {{ type_decimal() }}
        ) as running_discount_mrr
    from versions_priced
    inner join subscriptions
        on versions_priced.subscription_id = subscriptions.subscription_id
    inner join customers
        on subscriptions.billing_customer_id = customers.billing_customer_id
    inner join booked_rates
        on
            versions_priced.subscription_item_id = booked_rates.subscription_item_id
            and versions_priced.item_currency = booked_rates.item_currency
    where subscriptions.status not in ('incomplete', 'incomplete_expired')

)

select * from final
