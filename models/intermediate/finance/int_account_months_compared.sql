{#
    Each account-month beside the same account one month and twelve months earlier: the pairs
    every churn, retention and waterfall figure is computed from. Accounts not yet paying in an
    earlier month count as zero there.
#}

with

account_months as (

    select * from {{ ref('fct_account_mrr_monthly') }}

),

final as (

    select
        current_month.account_id,
        current_month.month_start_date,
        current_month.first_paid_month_start_date,
        current_month.core_plan_tier,
        coalesce(month_before.core_plan_tier, current_month.core_plan_tier)
            as previous_core_plan_tier,
        current_month.mrr,
        coalesce(month_before.mrr, 0) as previous_mrr,
        coalesce(year_before.mrr, 0) as mrr_12_months_before
    from account_months as current_month
    left join account_months as month_before
        on
            current_month.account_id = month_before.account_id
            and month_before.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'current_month.month_start_date') }} as date)
    left join account_months as year_before
        on
            current_month.account_id = year_before.account_id
            and year_before.month_start_date
            = cast({{ dbt.dateadd('month', -12, 'current_month.month_start_date') }} as date)

)

select * from final
