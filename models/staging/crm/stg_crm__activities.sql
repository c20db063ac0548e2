{{ config(**incremental_config(unique_key='activity_id')) }}
{#- Incremental (macros/incremental): re-ranks only activities with new raw versions. -#}

with

raw_activities as (

    select * from {{ source('crm', 'activities') }}
    {{ where_new_raw_versions(source('crm', 'activities'), 'activity_id') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['activity_id']) }} as version_rank
    from raw_activities

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(activity_id as {{ dbt.type_string() }}) as activity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(csm_id as {{ dbt.type_string() }}) as csm_id,
        cast(activity_type as {{ dbt.type_string() }}) as activity_type,
        cast(content_category as {{ dbt.type_string() }}) as content_category,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(is_high_value as {{ dbt.type_boolean() }}) as is_high_value,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
