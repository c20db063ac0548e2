with

raw_accounts as (

    select * from {{ source('crm', 'accounts') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['account_id']) }} as version_rank
    from raw_accounts

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(employee_count as {{ dbt.type_bigint() }}) as employee_count,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(owner_csm_id as {{ dbt.type_string() }}) as owner_csm_id,
        cast(touch_tier_override as {{ dbt.type_string() }}) as touch_tier_override,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
