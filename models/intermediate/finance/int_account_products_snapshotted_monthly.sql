{#
    Contracted recurring revenue per account, product and month, measured at each month's
    snapshot instant: item versions in force then, on subscriptions in their paid period (trials
    excluded), normalised to a month (quarterly / 3, annual / 12), discounts applied while they
    run. One-off charges are invoice lines, not subscription items, so they never appear here.
#}

with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

months as (

    select * from {{ ref('int_calendar_months') }}

),

items_in_force as (

    select
        items.account_id,
        items.product_id,
        items.product_kind,
        items.plan_id,
        items.plan_tier,
        months.month_start_date,
        items.seats,
        cast(
            items.seats * items.unit_price / items.interval_months as {{ type_decimal() }}
        ) as gross_mrr,
        case
            when items.discount_ends_at is null or items.discount_ends_at >= months.snapshot_at
                then items.discount_percent
            else 0
        end as active_discount_percent
    from items
    inner join months
        on
            items.change_reason != 'removed'
            and items.valid_from < months.snapshot_at
            and (items.valid_to is null or items.valid_to >= months.snapshot_at)
            and items.subscription_started_at < months.snapshot_at
            and (
                items.subscription_ended_at is null
                or items.subscription_ended_at >= months.snapshot_at
            )

),

items_discounted as (

    select
        *,
        cast(gross_mrr * active_discount_percent / 100 as {{ type_decimal() }}) as discount_mrr
    from items_in_force

),

final as (

    select
        account_id,
        month_start_date,
        product_id,
        max(product_kind) as product_kind,
        max(plan_id) as plan_id,
        max(plan_tier) as plan_tier,
        sum(seats) as seats,
        sum(gross_mrr) as gross_mrr,
        sum(discount_mrr) as discount_mrr,
        sum(gross_mrr) - sum(discount_mrr) as mrr
    from items_discounted
    group by account_id, month_start_date, product_id

)

select * from final
