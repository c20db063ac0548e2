with

raw_escalations as (

    select * from {{ source('support_desk', 'escalations') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['escalation_id']) }} as version_rank
    from raw_escalations

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(escalation_id as {{ dbt.type_string() }}) as escalation_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(escalated_at as {{ dbt.type_timestamp() }}) as escalated_at,
        cast(escalation_type as {{ dbt.type_string() }}) as escalation_type,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(accepted_at as {{ dbt.type_timestamp() }}) as accepted_at,
        cast(resolved_at as {{ dbt.type_timestamp() }}) as resolved_at,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
