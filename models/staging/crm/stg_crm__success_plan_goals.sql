with

raw_success_plan_goals as (

    select * from {{ source('crm', 'success_plan_goals') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['goal_id']) }} as version_rank
    from raw_success_plan_goals

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(goal_id as {{ dbt.type_string() }}) as goal_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(goal_category as {{ dbt.type_string() }}) as goal_category,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(target_date as {{ type_date() }}) as target_date,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
