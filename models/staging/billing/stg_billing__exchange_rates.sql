with

raw_exchange_rates as (

    select * from {{ source('billing', 'exchange_rates') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['rate_date', 'currency', 'quote_currency']) }} as version_rank
    from raw_exchange_rates

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        {{ surrogate_key(['rate_date', 'currency', 'quote_currency']) }} as exchange_rate_id,
        cast(rate_date as {{ type_date() }}) as rate_date,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(quote_currency as {{ dbt.type_string() }}) as quote_currency,
        cast(rate as {{ type_decimal(24, 12) }}) as rate,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
