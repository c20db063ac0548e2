with

raw_subscription_item_versions as (

    select * from {{ source('billing', 'subscription_item_versions') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['item_version_id']) }} as version_rank
    from raw_subscription_item_versions

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(item_version_id as {{ dbt.type_string() }}) as item_version_id,
        cast(subscription_item_id as {{ dbt.type_string() }}) as subscription_item_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(seats as {{ dbt.type_bigint() }}) as seats,
        cast(unit_price as {{ type_decimal() }}) as unit_price,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(discount_percent as {{ type_decimal() }}) as discount_percent,
        cast(discount_amount as {{ type_decimal() }}) as discount_amount,
        cast(
            coalesce(
                discount_duration,
                case when discount_ends_at is null then 'forever' else 'repeating' end
            ) as {{ dbt.type_string() }}
        ) as discount_duration,
        cast({{ exclusive_end('discount_ends_at') }} as {{ dbt.type_timestamp() }})
            as discount_ends_at,
        cast(change_reason as {{ dbt.type_string() }}) as change_reason,
        cast(valid_from as {{ dbt.type_timestamp() }}) as valid_from,
        cast({{ exclusive_end('valid_to') }} as {{ dbt.type_timestamp() }}) as valid_to,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
