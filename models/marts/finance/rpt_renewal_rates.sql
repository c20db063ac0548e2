{#
    One row per renewal month and touch tier (plus 'all'): renewals due, renewed and churned,
    each term in the tier the account was in when it came up (fct_renewals),
    the logo renewal rate and the dollar renewal rates, net (renewed MRR / expiring MRR) and gross
    (renewed MRR capped at the expiring MRR of each term / expiring MRR).
#}

with

renewals as (

    select * from {{ ref('fct_renewals') }}

),

tiered as (

    select
        renewal_month_start_date,
        touch_tier,
        is_renewed,
        expiring_mrr,
        renewed_mrr
    from renewals
    union all
    select
        renewal_month_start_date,
        'all' as touch_tier,
        is_renewed,
        expiring_mrr,
        renewed_mrr
    from renewals

),

final as (

    select
        {{ surrogate_key(['renewal_month_start_date', 'touch_tier']) }} as renewal_rate_id,
        renewal_month_start_date,
        touch_tier,
        cast(count(*) as {{ dbt.type_bigint() }}) as renewals_due,
        cast(count(case when is_renewed then 1 end) as {{ dbt.type_bigint() }}) as renewals_won,
        cast(count(case when not is_renewed then 1 end) as {{ dbt.type_bigint() }})
            as renewals_churned,
        cast(1.0 * count(case when is_renewed then 1 end) / count(*) as {{ type_ratio() }})
            as logo_renewal_rate,
        cast(sum(expiring_mrr) as {{ type_money() }}) as expiring_mrr,
        cast(sum(renewed_mrr) as {{ type_money() }}) as renewed_mrr,
        cast(1.0 * sum(renewed_mrr) / nullif(sum(expiring_mrr), 0) as {{ type_ratio() }})
            as net_dollar_renewal_rate,
        cast(
            1.0 * sum(case when renewed_mrr < expiring_mrr then renewed_mrr else expiring_mrr end)
            / nullif(sum(expiring_mrr), 0) as {{ type_ratio() }}
        ) as gross_dollar_renewal_rate
    from tiered
    group by renewal_month_start_date, touch_tier

)

select * from final
