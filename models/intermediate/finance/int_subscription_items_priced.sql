{#
    Every version of every subscription item with what it is worth per month: the plan's
    product and billing interval, the subscription's paid period and the account it bills.
#}

with

item_versions as (

    select * from {{ ref('stg_billing__subscription_item_versions') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

plans as (

    select * from {{ ref('stg_billing__plans') }}

),

final as (

    select
        item_versions.item_version_id,
        item_versions.subscription_item_id,
        item_versions.subscription_id,
        customers.account_id,
        item_versions.plan_id,
        plans.product_id,
        plans.product_kind,
        plans.plan_tier,
        plans.billing_interval,
        case plans.billing_interval
            when 'month' then 1
            when 'quarter' then 3
            when 'year' then 12
        end as interval_months,
        item_versions.seats,
        item_versions.unit_price,
        coalesce(item_versions.discount_percent, 0) as discount_percent,
        item_versions.discount_ends_at,
        item_versions.change_reason,
        item_versions.valid_from,
        item_versions.valid_to,
        subscriptions.started_at as subscription_started_at,
        subscriptions.ended_at as subscription_ended_at
    from item_versions
    inner join subscriptions
        on item_versions.subscription_id = subscriptions.subscription_id
    inner join customers
        on subscriptions.billing_customer_id = customers.billing_customer_id
    inner join plans
        on item_versions.plan_id = plans.plan_id

)

select * from final
