with

raw_csms as (

    select * from {{ source('crm', 'csms') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['csm_id']) }} as version_rank
    from raw_csms

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(csm_id as {{ dbt.type_string() }}) as csm_id,
        cast(full_name as {{ dbt.type_string() }}) as full_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(manager_csm_id as {{ dbt.type_string() }}) as manager_csm_id,
        cast(annual_renewal_quota as {{ type_decimal() }}) as annual_renewal_quota,
        cast(hired_date as {{ type_date() }}) as hired_date,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
