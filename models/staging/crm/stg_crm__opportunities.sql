with

raw_opportunities as (

    select * from {{ source('crm', 'opportunities') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['opportunity_id']) }} as version_rank
    from raw_opportunities

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_csm_id as {{ dbt.type_string() }}) as owner_csm_id,
        cast(opportunity_type as {{ dbt.type_string() }}) as opportunity_type,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(amount as {{ type_decimal() }}) as amount,
        cast(close_date as {{ type_date() }}) as close_date,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
