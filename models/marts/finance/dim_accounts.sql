{#
    One row per CRM account: firmographics, owner CSM, current recurring revenue, touch tier
    (with the rule that set it) and lifecycle stage as of the reporting date.
#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

tier_history as (

    select * from {{ ref('int_account_tiers_assigned_monthly') }}

),

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

onboarding_projects as (

    select * from {{ ref('stg_crm__onboarding_projects') }}

),

reporting_month as (

    select max(month_start_date) as month_start_date from tier_history

),

tiers as (

    select tier_history.*
    from tier_history
    inner join reporting_month
        on tier_history.month_start_date = reporting_month.month_start_date

),

revenue_history as (

    select
        account_id,
        min(first_paid_month_start_date) as first_paid_month_start_date,
        max(case when is_paying then month_start_date end) as last_paid_month_start_date
    from account_months
    group by account_id

),

open_trials as (

    select distinct customers.account_id
    from subscriptions
    inner join customers
        on subscriptions.billing_customer_id = customers.billing_customer_id
    where subscriptions.status = 'trialing'

),

open_onboarding as (

    select distinct account_id
    from onboarding_projects
    where status in ('in_progress', 'stalled')

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.employee_count,
        accounts.region,
        accounts.country,
        accounts.owner_csm_id,
        accounts.created_at,
        tiers.touch_tier,
        tiers.touch_tier_reason,
        accounts.touch_tier_override is not null as is_touch_tier_overridden,
        case
            when tiers.arr > 0 and open_onboarding.account_id is not null then 'onboarding'
            when tiers.arr > 0 then 'active'
            when revenue_history.first_paid_month_start_date is not null then 'churned'
            when open_trials.account_id is not null then 'trial'
            else 'prospect'
        end as lifecycle_stage,
        cast(tiers.mrr as {{ type_money() }}) as mrr,
        cast(tiers.arr as {{ type_money() }}) as arr,
        cast(tiers.seats as {{ dbt.type_bigint() }}) as seats,
        cast(tiers.product_count as {{ dbt.type_bigint() }}) as product_count,
        revenue_history.first_paid_month_start_date,
        revenue_history.last_paid_month_start_date
    from accounts
    inner join tiers
        on accounts.account_id = tiers.account_id
    left join revenue_history
        on accounts.account_id = revenue_history.account_id
    left join open_trials
        on accounts.account_id = open_trials.account_id
    left join open_onboarding
        on accounts.account_id = open_onboarding.account_id

)

select * from final
