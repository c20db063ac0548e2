with

raw_onboarding_projects as (

    select * from {{ source('crm', 'onboarding_projects') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['onboarding_project_id']) }} as version_rank
    from raw_onboarding_projects

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(onboarding_project_id as {{ dbt.type_string() }}) as onboarding_project_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(csm_id as {{ dbt.type_string() }}) as csm_id,
        cast(started_date as {{ type_date() }}) as started_date,
        cast(target_go_live_date as {{ type_date() }}) as target_go_live_date,
        cast(go_live_date as {{ type_date() }}) as go_live_date,
        cast(has_documented_objectives as {{ dbt.type_boolean() }}) as has_documented_objectives,
        cast(onboarding_rating as {{ dbt.type_bigint() }}) as onboarding_rating,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
