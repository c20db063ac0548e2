{#
    Each account-month beside the same account one month and twelve months earlier: the pairs
    every churn, retention and waterfall figure is computed from. Accounts not yet paying in an
    earlier month count as zero there. Beside each MRR, the account's segments at that month-end
    (touch tier, plan tier, region), so that a figure over a window can be attributed to the
    segment the account was in at the window's start: an account that moves tier and then
    churns is churn of the tier it started in, not of the tech-touch tier its zero ARR gets.
    A segment is empty in a month the account did not pay at the month-end.
#}

with

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

tiers as (

    select * from {{ ref('int_account_tiers_assigned_monthly') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

segmented as (

    select
        account_months.account_id,
        account_months.month_start_date,
        account_months.first_paid_month_start_date,
        account_months.is_complete_month,
        account_months.mrr,
        account_months.core_plan_tier,
        case when account_months.mrr > 0 then tiers.touch_tier end as touch_tier,
        -- Paying for add-ons alone (no core product at the month-end) is its own plan segment.
        case
            when account_months.mrr > 0 then coalesce(account_months.core_plan_tier, 'add_on_only')
        end as plan_tier,
        -- The CRM keeps only the current region: it applies to every month.
        accounts.region
    from account_months
    left join tiers
        on
            account_months.account_id = tiers.account_id
            and account_months.month_start_date = tiers.month_start_date
    left join accounts
        on account_months.account_id = accounts.account_id

),

final as (

    select
        current_month.account_id,
        current_month.month_start_date,
        current_month.first_paid_month_start_date,
        current_month.is_complete_month,
        current_month.region,
        current_month.core_plan_tier,
        current_month.mrr,
        current_month.touch_tier,
        current_month.plan_tier,
        coalesce(month_before.mrr, 0) as previous_mrr,
        month_before.touch_tier as previous_touch_tier,
        month_before.plan_tier as previous_plan_tier,
        coalesce(year_before.mrr, 0) as mrr_12_months_before,
        year_before.touch_tier as touch_tier_12_months_before,
        year_before.plan_tier as plan_tier_12_months_before
    from segmented as current_month
    left join segmented as month_before
        on
            current_month.account_id = month_before.account_id
            and month_before.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'current_month.month_start_date') }} as date)
    left join segmented as year_before
        on
            current_month.account_id = year_before.account_id
            and year_before.month_start_date
            = cast({{ dbt.dateadd('month', -12, 'current_month.month_start_date') }} as date)

)

select * from final
