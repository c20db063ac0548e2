with

raw_invoices as (

    select * from {{ source('billing', 'invoices') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['invoice_id']) }} as version_rank
    from raw_invoices

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(billing_customer_id as {{ dbt.type_string() }}) as billing_customer_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(period_start_date as {{ type_date() }}) as period_start_date,
        cast(period_end_date as {{ type_date() }}) as period_end_date,
        cast(subtotal as {{ type_decimal() }}) as subtotal,
        cast(discount_amount as {{ type_decimal() }}) as discount_amount,
        cast(tax_amount as {{ type_decimal() }}) as tax_amount,
        cast(total as {{ type_decimal() }}) as total,
        cast(amount_paid as {{ type_decimal() }}) as amount_paid,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
