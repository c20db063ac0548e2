{#
    One row per month and touch tier: paying accounts and MRR in the tier, and the tier's share
    of all paying accounts and of all MRR.
#}

with

tiers as (

    select * from {{ ref('fct_account_touch_tiers_monthly') }}

),

by_tier as (

    select
        month_start_date,
        touch_tier,
        count(*) as paying_accounts,
        sum(mrr) as mrr
    from tiers
    where is_paying
    group by month_start_date, touch_tier

),

final as (

    select
        {{ surrogate_key(['month_start_date', 'touch_tier']) }} as tier_month_id,
        month_start_date,
        touch_tier,
        cast(paying_accounts as {{ dbt.type_bigint() }}) as paying_accounts,
        cast(mrr as {{ type_money() }}) as mrr,
        cast(mrr * 12 as {{ type_money() }}) as arr,
        cast(
            1.0 * paying_accounts / sum(paying_accounts) over (partition by month_start_date)
            as {{ type_ratio() }}
        ) as account_share,
        cast(
            1.0 * mrr / nullif(sum(mrr) over (partition by month_start_date), 0)
            as {{ type_ratio() }}
        ) as mrr_share
    from by_tier

)

select * from final
