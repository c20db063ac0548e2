with

raw_survey_responses as (

    select * from {{ source('crm', 'survey_responses') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['survey_response_id']) }} as version_rank
    from raw_survey_responses

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(survey_response_id as {{ dbt.type_string() }}) as survey_response_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(survey_type as {{ dbt.type_string() }}) as survey_type,
        cast(score as {{ dbt.type_bigint() }}) as score,
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        -- Satisfied as for ticket CSAT: 4 or 5 of 5.
        case when survey_type = 'csat' then score >= 4 end as is_csat_satisfied,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
