{#
    One row per account and month whose spend changed dramatically against the month before:
    the list the Low Touch team works from (Variance Outreach play). "Dramatically" is per touch
    tier (the account's tier before the change), both relative and absolute, from the seed
    variance_outreach_thresholds: |MRR change| >= min_absolute_change_mrr and |MRR change| /
    previous MRR >= min_relative_change. New customers are onboarding, not variance; churn,
    contraction, expansion and reactivation all count.
#}

with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

tiers as (

    select * from {{ ref('fct_account_touch_tiers_monthly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

thresholds as (

    select * from {{ ref('variance_outreach_thresholds') }}

),

changes as (

    select
        movements.mrr_movement_id,
        movements.account_id,
        movements.month_start_date,
        movements.movement_type,
        movements.movement_reason,
        movements.previous_mrr,
        movements.mrr,
        movements.mrr_change,
        case
            when movements.mrr_change < 0 then 0 - movements.mrr_change
            else movements.mrr_change
        end as absolute_change_mrr,
        coalesce(tiers.previous_touch_tier, tiers.touch_tier) as touch_tier
    from movements
    inner join tiers
        on
            movements.account_id = tiers.account_id
            and movements.month_start_date = tiers.month_start_date
    where movements.movement_type != 'new'

),

final as (

    select
        changes.mrr_movement_id as variance_outreach_id,
        changes.account_id,
        changes.month_start_date,
        changes.touch_tier,
        accounts.owner_csm_id,
        case when changes.mrr_change > 0 then 'up' else 'down' end as direction,
        changes.movement_type,
        changes.movement_reason,
        cast(changes.previous_mrr as {{ type_money() }}) as previous_mrr,
        cast(changes.mrr as {{ type_money() }}) as mrr,
        cast(changes.mrr_change as {{ type_money() }}) as mrr_change,
        cast(1.0 * changes.mrr_change / nullif(changes.previous_mrr, 0) as {{ type_ratio() }})
            as relative_change
    from changes
    inner join thresholds
        on changes.touch_tier = thresholds.touch_tier
    inner join accounts
        on changes.account_id = accounts.account_id
    where
        changes.absolute_change_mrr >= thresholds.min_absolute_change_mrr
        and (
            changes.previous_mrr = 0
            or 1.0 * changes.absolute_change_mrr / changes.previous_mrr
            >= thresholds.min_relative_change
        )

)

select * from final
