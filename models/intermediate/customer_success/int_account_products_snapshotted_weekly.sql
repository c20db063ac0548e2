{#
    One row per account, week and product held at the week's end (paid service only): plan
    tier, seats and MRR. The weekly counterpart of the month-end MRR snapshot, for indicators
    that need what the customer is licensed for (seats, features, product stack).
#}

with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

weeks as (

    select * from {{ ref('int_calendar_weeks_spined') }}

),

items_in_force as (

    select
        items.account_id,
        weeks.week_start_date,
        items.product_id,
        items.product_kind,
        items.plan_tier,
        items.seats,
        -- MRR at the week's end: what is in force just before week_ends_before
        -- (macros/billing_rules.sql, as the monthly snapshot).
        {{ discounted_mrr(
            'items.gross_mrr',
            'items.running_discount_mrr',
            'items.discount_ends_at',
            'weeks.week_ends_before',
            just_before=true
        ) }} as mrr
    from items
    inner join weeks
        on
            items.change_reason != 'removed'
            and {{ is_in_force(
                'items.valid_from', 'items.valid_to', 'weeks.week_ends_before', just_before=true
            ) }}
            and {{ is_in_force(
                'items.subscription_started_at',
                'items.subscription_ended_at',
                'weeks.week_ends_before',
                just_before=true
            ) }}

),

final as (

    select
        account_id,
        week_start_date,
        product_id,
        max(product_kind) as product_kind,
        max(plan_tier) as plan_tier,
        sum(seats) as seats,
        cast(sum(mrr) as {{ type_decimal() }}) as mrr
    from items_in_force
    group by account_id, week_start_date, product_id

)

select * from final
