{#
    Contracted recurring revenue per account, product and month, measured at each month's
    snapshot instant: item versions in force then, on subscriptions in their paid period (trials
    excluded), normalised to a month, discounts applied while they run (see
    int_subscription_items_priced), in the reporting currency and in the item currency (empty
    when a product is billed in several). One-off charges are invoice lines, not subscription
    items, so they never appear here. A paused subscription stays in MRR (the contract stands);
    paused_mrr says how much of it is paused at the snapshot.
#}

with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

items_in_force as (

    select
        items.account_id,
        items.product_id,
        items.product_kind,
        items.plan_id,
        items.plan_tier,
        items.currency,
        months.month_start_date,
        items.seats,
        items.gross_mrr,
        items.gross_mrr_in_currency,
        {{ running_discount(
            'items.running_discount_mrr',
            'items.discount_ends_at',
            'months.snapshot_at',
            just_before=true
        ) }} as discount_mrr,
        {{ running_discount(
            'items.running_discount_mrr_in_currency',
            'items.discount_ends_at',
            'months.snapshot_at',
            just_before=true
        ) }} as discount_mrr_in_currency,
        coalesce(
            {{ is_in_force(
                'items.subscription_paused_at',
                'items.subscription_resumes_at',
                'months.snapshot_at',
                just_before=true
            ) }},
            false
        ) as is_paused
    from items
    inner join months
        on
            items.change_reason != 'removed'
            -- MRR at the month-end: what is in force just before the snapshot instant.
            and {{ is_in_force(
                'items.valid_from', 'items.valid_to', 'months.snapshot_at', just_before=true
            ) }}
            and {{ is_in_force(
                'items.subscription_started_at',
                'items.subscription_ended_at',
                'months.snapshot_at',
                just_before=true
            ) }}

),

final as (

    select
        account_id,
        month_start_date,
        product_id,
        max(product_kind) as product_kind,
        max(plan_id) as plan_id,
        max(plan_tier) as plan_tier,
        case when min(currency) = max(currency) then max(currency) end as currency,
        sum(seats) as seats,
        sum(gross_mrr) as gross_mrr,
        sum(discount_mrr) as discount_mrr,
        sum(gross_mrr) - sum(discount_mrr) as mrr,
        sum(gross_mrr_in_currency) - sum(discount_mrr_in_currency) as mrr_in_currency,
        sum(case when is_paused then gross_mrr - discount_mrr else 0 end) as paused_mrr
    from items_in_force
    group by account_id, month_start_date, product_id

)

select * from final
