{#
    One row per account per month from the account's first paid month to the reporting month,
    zero-filled after churn so every month-over-month comparison has both sides
    (int_account_months_spined). Money is in the reporting currency (var reporting_currency) as
    fixed decimals; mrr_in_billing_currency is the same MRR in the currency the account is billed
    in, when it is billed in one.
#}

with

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

final as (

    select
        account_month_id,
        account_id,
        month_start_date,
        first_paid_month_start_date,
        is_complete_month,
        cast(mrr as {{ type_money() }}) as mrr,
        cast(arr as {{ type_money() }}) as arr,
        cast(gross_mrr as {{ type_money() }}) as gross_mrr,
        cast(discount_mrr as {{ type_money() }}) as discount_mrr,
        cast(paused_mrr as {{ type_money() }}) as paused_mrr,
        billing_currency,
        cast(mrr_in_billing_currency as {{ type_money() }}) as mrr_in_billing_currency,
        cast(core_mrr as {{ type_money() }}) as core_mrr,
        cast(add_on_mrr as {{ type_money() }}) as add_on_mrr,
        cast(seats as {{ dbt.type_bigint() }}) as seats,
        cast(core_seats as {{ dbt.type_bigint() }}) as core_seats,
        cast(product_count as {{ dbt.type_bigint() }}) as product_count,
        core_plan_tier,
        is_paying
    from account_months

)

select * from final
