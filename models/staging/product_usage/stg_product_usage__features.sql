with

raw_features as (

    select * from {{ source('product_usage', 'features') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['feature_id']) }} as version_rank
    from raw_features

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(feature_id as {{ dbt.type_string() }}) as feature_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(included_from_tier as {{ dbt.type_string() }}) as included_from_tier,
        cast(is_core_value_feature as {{ dbt.type_boolean() }}) as is_core_value_feature,
        cast(released_date as {{ type_date() }}) as released_date,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
