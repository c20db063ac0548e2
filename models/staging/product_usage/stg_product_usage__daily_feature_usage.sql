{{ config(**incremental_config(unique_key='usage_date', partition_by='usage_date')) }}
{#- Incremental (macros/incremental): the largest raw table. Each run re-ranks only the usage
    dates that received new raw versions; unique_key is the date so that the batch is whole
    days, the same batch Spark overwrites as partitions. -#}

with

raw_daily_feature_usage as (

    select * from {{ source('product_usage', 'daily_feature_usage') }}
    {{ where_new_raw_versions(source('product_usage', 'daily_feature_usage'), 'usage_date') }}

),

{#- The largest table: ranks only keys delivered more than once (see the macro). #}
{{ versions_ranked_ctes('raw_daily_feature_usage', ['account_id', 'feature_id', 'usage_date']) }},

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        {{ surrogate_key(['account_id', 'feature_id', 'usage_date']) }} as daily_feature_usage_id,
        cast(usage_date as {{ type_date() }}) as usage_date,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(feature_id as {{ dbt.type_string() }}) as feature_id,
        cast(active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(event_count as {{ dbt.type_bigint() }}) as event_count,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
