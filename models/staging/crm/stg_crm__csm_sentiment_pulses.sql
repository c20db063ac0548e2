with

raw_csm_sentiment_pulses as (

    select * from {{ source('crm', 'csm_sentiment_pulses') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['pulse_id']) }} as version_rank
    from raw_csm_sentiment_pulses

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(pulse_id as {{ dbt.type_string() }}) as pulse_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(csm_id as {{ dbt.type_string() }}) as csm_id,
        cast(sentiment_score as {{ dbt.type_bigint() }}) as sentiment_score,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
