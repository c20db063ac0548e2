{#
    The MRR waterfall per month by touch tier, core plan tier and region. Each account-month
    sits in one segment (its touch tier and plan tier that month, or the month before when it
    churned; its region), so opening + movements = closing holds within every row. An account
    that changes tier moves its opening MRR with it: a segment's opening can differ from its
    previous closing by such transfers (rpt_touch_tier_moves_monthly shows them).
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

tiers as (

    select * from {{ ref('int_account_tiers_monthly') }}

),

account_month_movements as (

    select
        account_months.month_start_date,
        case
            when account_months.mrr > 0 then this_month_tier.touch_tier
            else coalesce(last_month_tier.touch_tier, this_month_tier.touch_tier)
        end as touch_tier,
        accounts.region,
        coalesce(
            account_months.core_plan_tier, account_months.previous_core_plan_tier, 'add_on_only'
        ) as plan_tier,
        account_months.previous_mrr,
        account_months.mrr,
        coalesce(movements.movement_type, 'none') as movement_type,
        coalesce(movements.mrr_change, 0) as mrr_change
    from account_months
    inner join accounts
        on account_months.account_id = accounts.account_id
    inner join tiers as this_month_tier
        on
            account_months.account_id = this_month_tier.account_id
            and account_months.month_start_date = this_month_tier.month_start_date
    left join tiers as last_month_tier
        on
            account_months.account_id = last_month_tier.account_id
            and last_month_tier.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'account_months.month_start_date') }} as date)
    left join movements
        on
            account_months.account_id = movements.account_id
            and account_months.month_start_date = movements.month_start_date

),

by_segment as (

    {% for segment in ['touch_tier', 'plan_tier', 'region'] %}
        select
            month_start_date,
            '{{ segment }}' as segment_type,
            {{ segment }} as segment_value,
            previous_mrr,
            mrr,
            movement_type,
            mrr_change
        from account_month_movements
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ surrogate_key(['month_start_date', 'segment_type', 'segment_value']) }}
            as waterfall_segment_month_id,
        month_start_date,
        segment_type,
        segment_value,
        sum(previous_mrr) as opening_mrr,
        sum(case when movement_type = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement_type = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement_type = 'reactivation' then mrr_change else 0 end)
            as reactivation_mrr,
        sum(case when movement_type = 'contraction' then 0 - mrr_change else 0 end)
            as contraction_mrr,
        sum(case when movement_type = 'churn' then 0 - mrr_change else 0 end) as churned_mrr,
        sum(mrr) as closing_mrr
    from by_segment
    group by month_start_date, segment_type, segment_value

)

select * from final
