-- Amounts are in major units of their currency: 12.50 dollars, 1200 yen. Returns every price or
-- invoice amount with more decimals than its currency has (a yen amount of 1200.50, or cents
-- delivered where units were expected would show up as prices 100 times too large elsewhere).

with

currencies as (

    select * from {{ ref('currencies') }}

),

plans as (

    select * from {{ ref('stg_billing__plans') }}

),

item_versions as (

    select * from {{ ref('stg_billing__subscription_item_versions') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

amounts as (

    select
        'plan' as record_kind,
        plan_id as record_id,
        currency,
        list_price as amount
    from plans
    union all
    select
        'subscription item version' as record_kind,
        item_versions.item_version_id as record_id,
        coalesce(item_versions.currency, plans.currency) as currency,
        item_versions.unit_price as amount
    from item_versions
    inner join plans
        on item_versions.plan_id = plans.plan_id
    union all
    select
        'invoice' as record_kind,
        invoice_id as record_id,
        currency,
        total as amount
    from invoices

),

too_precise as (

    select
        amounts.record_kind,
        amounts.record_id,
        amounts.currency,
        amounts.amount,
        currencies.minor_units
    from amounts
    inner join currencies
        on amounts.currency = currencies.currency
    -- One branch per precision: engines want a constant number of decimals in round().
    where
        case currencies.minor_units
            when 0 then round(amounts.amount, 0)
            when 1 then round(amounts.amount, 1)
            when 2 then round(amounts.amount, 2)
            when 3 then round(amounts.amount, 3)
            else amounts.amount
        end != amounts.amount

)

select * from too_precise
