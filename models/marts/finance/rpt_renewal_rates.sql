{#
    One row per renewal month and touch tier (plus 'all'): renewals due, renewed and churned,
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
        count(*) as renewals_due,
        sum(case when is_renewed then 1 else 0 end) as renewals_won,
        sum(case when is_renewed then 0 else 1 end) as renewals_churned,
        1.0 * sum(case when is_renewed then 1 else 0 end) / count(*) as logo_renewal_rate,
        sum(expiring_mrr) as expiring_mrr,
        sum(renewed_mrr) as renewed_mrr,
        1.0 * sum(renewed_mrr) / nullif(sum(expiring_mrr), 0) as net_dollar_renewal_rate,
        1.0 * sum(case when renewed_mrr < expiring_mrr then renewed_mrr else expiring_mrr end)
        / nullif(sum(expiring_mrr), 0) as gross_dollar_renewal_rate
    from tiered
    group by renewal_month_start_date, touch_tier

)

select * from final
