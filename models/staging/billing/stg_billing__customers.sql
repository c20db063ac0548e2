with

raw_customers as (

    select * from {{ source('billing', 'customers') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['billing_customer_id']) }} as version_rank
    from raw_customers

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(billing_customer_id as {{ dbt.type_string() }}) as billing_customer_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(billing_email as {{ dbt.type_string() }}) as billing_email,
        cast(billing_country as {{ dbt.type_string() }}) as billing_country,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
