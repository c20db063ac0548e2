with

raw_contacts as (

    select * from {{ source('crm', 'contacts') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['contact_id']) }} as version_rank
    from raw_contacts

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(is_executive as {{ dbt.type_boolean() }}) as is_executive,
        cast(is_decision_maker as {{ dbt.type_boolean() }}) as is_decision_maker,
        cast(is_champion as {{ dbt.type_boolean() }}) as is_champion,
        cast(reports_to_contact_id as {{ dbt.type_string() }}) as reports_to_contact_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
