{#
    One row per month and move between touch tiers (from tier, to tier) among accounts paying in
    both months: how many accounts moved and what they were worth before and after.
#}

with

tiers as (

    select * from {{ ref('fct_account_touch_tiers_monthly') }}

),

final as (

    select
        {{ surrogate_key(['month_start_date', 'previous_touch_tier', 'touch_tier']) }}
            as tier_move_id,
        month_start_date,
        previous_touch_tier as from_touch_tier,
        touch_tier as to_touch_tier,
        cast(count(*) as {{ dbt.type_bigint() }}) as accounts_moved,
        cast(sum(previous_mrr) as {{ type_money() }}) as mrr_before,
        cast(sum(mrr) as {{ type_money() }}) as mrr_after,
        cast(sum(mrr) - sum(previous_mrr) as {{ type_money() }}) as mrr_change
    from tiers
    where is_tier_move
    group by month_start_date, previous_touch_tier, touch_tier

)

select * from final
