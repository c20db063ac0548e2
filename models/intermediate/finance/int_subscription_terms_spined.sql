{#
    One row per billing term of every subscription billed for three months or more at a time
    (quarterly, every six months, annual, multi-year) that paid: the terms that have ended by the
    reporting date and the one in progress, each with the recurring revenue in force just before
    its end (expiring) and just after (renewed). Subscriptions billed monthly or more often renew
    without a contract decision and are left out of renewals.
#}

with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

reporting as (

    select
        cast({{ dbt.dateadd('day', 1, 'max(reporting_date)') }} as {{ dbt.type_timestamp() }})
            as reporting_cutoff_at
    from months

),

subscription_periods as (

    select
        subscriptions.subscription_id,
        customers.account_id,
        subscriptions.billing_interval,
        -- Whole months for month, quarter and year (the only intervals kept below).
        cast(
            {{ billing_period_months(
                'subscriptions.billing_interval', 'subscriptions.interval_count'
            ) }} as {{ dbt.type_bigint() }}
        ) as interval_months,
        subscriptions.started_at,
        subscriptions.canceled_at,
        subscriptions.ended_at
    from subscriptions
    inner join customers
        on subscriptions.billing_customer_id = customers.billing_customer_id
    where
        subscriptions.billing_interval in ('month', 'quarter', 'year')
        and subscriptions.status not in ('incomplete', 'incomplete_expired')
        and (subscriptions.ended_at is null or subscriptions.ended_at > subscriptions.started_at)

),

contract_subscriptions as (

    select * from subscription_periods
    where interval_months >= 3

),

numbers as (

    {{ integer_series(200) }}

),

terms as (

    select
        contract_subscriptions.*,
        numbers.n + 1 as term_number,
        {{ dbt.dateadd(
            'month',
            'numbers.n * contract_subscriptions.interval_months',
            'contract_subscriptions.started_at'
        ) }} as term_started_at,
        {{ dbt.dateadd(
            'month',
            '(numbers.n + 1) * contract_subscriptions.interval_months',
            'contract_subscriptions.started_at'
        ) }} as term_ends_at
    from contract_subscriptions
    cross join numbers

),

relevant_terms as (

    select terms.*
    from terms
    cross join reporting
    where
        terms.term_started_at < reporting.reporting_cutoff_at
        and (terms.ended_at is null or terms.term_started_at < terms.ended_at)

),

expiring_revenue as (

    select
        relevant_terms.subscription_id,
        relevant_terms.term_number,
        -- Expiring: what is in force just before the term's end.
        sum({{ discounted_mrr(
            'items.gross_mrr',
            'items.running_discount_mrr',
            'items.discount_ends_at',
            'relevant_terms.term_ends_at',
            just_before=true
        ) }}) as expiring_mrr
    from relevant_terms
    inner join items
        on
            relevant_terms.subscription_id = items.subscription_id
            and items.change_reason != 'removed'
            and {{ is_in_force(
                'items.valid_from',
                'items.valid_to',
                'relevant_terms.term_ends_at',
                just_before=true
            ) }}
    group by relevant_terms.subscription_id, relevant_terms.term_number

),

renewed_revenue as (

    select
        relevant_terms.subscription_id,
        relevant_terms.term_number,
        -- Renewed: what is in force at the term's end, once the next term has begun.
        sum({{ discounted_mrr(
            'items.gross_mrr',
            'items.running_discount_mrr',
            'items.discount_ends_at',
            'relevant_terms.term_ends_at'
        ) }}) as renewed_mrr
    from relevant_terms
    inner join items
        on
            relevant_terms.subscription_id = items.subscription_id
            and items.change_reason != 'removed'
            and {{ is_in_force(
                'items.valid_from', 'items.valid_to', 'relevant_terms.term_ends_at'
            ) }}
    group by relevant_terms.subscription_id, relevant_terms.term_number

),

final as (

    select
        {{ surrogate_key(['relevant_terms.subscription_id', 'relevant_terms.term_number']) }}
            as subscription_term_id,
        relevant_terms.subscription_id,
        relevant_terms.account_id,
        relevant_terms.billing_interval,
        relevant_terms.term_number,
        relevant_terms.term_started_at,
        relevant_terms.term_ends_at,
        relevant_terms.canceled_at,
        relevant_terms.ended_at,
        relevant_terms.term_ends_at < reporting.reporting_cutoff_at as is_due,
        relevant_terms.ended_at is not null
        and relevant_terms.ended_at <= relevant_terms.term_ends_at as is_churned,
        cast(coalesce(expiring_revenue.expiring_mrr, 0) as {{ type_decimal() }}) as expiring_mrr,
        cast(
            case
                when relevant_terms.ended_at is not null
                    and relevant_terms.ended_at <= relevant_terms.term_ends_at
                    then 0
                else coalesce(renewed_revenue.renewed_mrr, 0)
            end as {{ type_decimal() }}
        ) as renewed_mrr
    from relevant_terms
    cross join reporting
    left join expiring_revenue
        on
            relevant_terms.subscription_id = expiring_revenue.subscription_id
            and relevant_terms.term_number = expiring_revenue.term_number
    left join renewed_revenue
        on
            relevant_terms.subscription_id = renewed_revenue.subscription_id
            and relevant_terms.term_number = renewed_revenue.term_number

)

select * from final
