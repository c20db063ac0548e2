{#
    One row per quarterly or annual subscription whose current term ends within 90 days after
    the reporting date, with its current MRR, owner and whether a cancellation is already in.
#}

with

terms as (

    select * from {{ ref('int_subscription_terms_spined') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

reporting as (

    select max(reporting_date) as reporting_date from months

),

upcoming as (

    select
        terms.*,
        cast(
            {{ dbt.datediff('reporting.reporting_date', 'terms.term_ends_at', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_until_renewal
    from terms
    cross join reporting
    where not terms.is_due

),

final as (

    select
        upcoming.subscription_term_id,
        upcoming.subscription_id,
        upcoming.account_id,
        accounts.touch_tier,
        accounts.owner_csm_id,
        upcoming.billing_interval,
        upcoming.term_ends_at,
        upcoming.days_until_renewal,
        case
            when upcoming.days_until_renewal <= 30 then 'next_30_days'
            when upcoming.days_until_renewal <= 60 then 'days_31_to_60'
            else 'days_61_to_90'
        end as renewal_window,
        cast(upcoming.expiring_mrr as {{ type_money() }}) as current_mrr,
        cast(upcoming.expiring_mrr * 12 as {{ type_money() }}) as current_arr,
        upcoming.canceled_at is not null as is_cancellation_requested
    from upcoming
    inner join accounts
        on upcoming.account_id = accounts.account_id
    where upcoming.days_until_renewal <= 90

)

select * from final
