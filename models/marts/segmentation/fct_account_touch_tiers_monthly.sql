{#
    One row per account per month in which it was paying at the month-end or the month before:
    its touch tier that month, the tier the month before, and whether it moved. The tier is
    recomputed each month from that month's ARR, seats and products
    (int_account_tiers_assigned_monthly), so the history is what the rules said at the time.
#}

with

tiers as (

    select * from {{ ref('int_account_tiers_assigned_monthly') }}

),

compared as (

    select
        this_month.account_month_id,
        this_month.account_id,
        this_month.month_start_date,
        this_month.touch_tier,
        this_month.touch_tier_reason,
        last_month.touch_tier as previous_touch_tier,
        this_month.mrr,
        coalesce(last_month.mrr, 0) as previous_mrr
    from tiers as this_month
    left join tiers as last_month
        on
            this_month.account_id = last_month.account_id
            and last_month.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'this_month.month_start_date') }} as date)

),

final as (

    select
        account_month_id,
        account_id,
        month_start_date,
        touch_tier,
        touch_tier_reason,
        previous_touch_tier,
        cast(mrr as {{ type_money() }}) as mrr,
        cast(previous_mrr as {{ type_money() }}) as previous_mrr,
        mrr > 0 as is_paying,
        mrr > 0 and previous_mrr > 0 and touch_tier != previous_touch_tier as is_tier_move
    from compared
    where mrr > 0 or previous_mrr > 0

)

select * from final
