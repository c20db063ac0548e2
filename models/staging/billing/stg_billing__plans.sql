with

raw_plans as (

    select * from {{ source('billing', 'plans') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['plan_id']) }} as version_rank
    from raw_plans

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(plan_tier as {{ dbt.type_string() }}) as plan_tier,
        cast(product_kind as {{ dbt.type_string() }}) as product_kind,
        cast(billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(coalesce(interval_count, 1) as {{ dbt.type_bigint() }}) as interval_count,
        cast(list_price as {{ type_decimal() }}) as list_price,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
