with

raw_invoice_lines as (

    select * from {{ source('billing', 'invoice_lines') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['invoice_line_id']) }} as version_rank
    from raw_invoice_lines

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(invoice_line_id as {{ dbt.type_string() }}) as invoice_line_id,
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(line_type as {{ dbt.type_string() }}) as line_type,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(subscription_item_id as {{ dbt.type_string() }}) as subscription_item_id,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(seats as {{ dbt.type_bigint() }}) as seats,
        cast(amount as {{ type_decimal() }}) as amount,
        cast(period_start_date as {{ type_date() }}) as period_start_date,
        cast(period_end_date as {{ type_date() }}) as period_end_date,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
