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
        items.gross_mrr
        - case
            when items.discount_ends_at is null
                or items.discount_ends_at >= weeks.week_ends_before
                then items.running_discount_mrr
            else 0
        end as mrr
    from items
    inner join weeks
        on
            items.change_reason != 'removed'
            and items.valid_from < weeks.week_ends_before
            and (items.valid_to is null or items.valid_to >= weeks.week_ends_before)
            and items.subscription_started_at < weeks.week_ends_before
            and (
                items.subscription_ended_at is null
                or items.subscription_ended_at >= weeks.week_ends_before
            )

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
