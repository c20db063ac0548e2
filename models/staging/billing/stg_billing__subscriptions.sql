with

raw_subscriptions as (

    select * from {{ source('billing', 'subscriptions') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['subscription_id']) }} as version_rank
    from raw_subscriptions

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(billing_customer_id as {{ dbt.type_string() }}) as billing_customer_id,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(coalesce(interval_count, 1) as {{ dbt.type_bigint() }}) as interval_count,
        cast(trial_started_at as {{ dbt.type_timestamp() }}) as trial_started_at,
        cast({{ exclusive_end('trial_ended_at') }} as {{ dbt.type_timestamp() }})
            as trial_ended_at,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(current_term_started_at as {{ dbt.type_timestamp() }}) as current_term_started_at,
        cast({{ exclusive_end('current_term_ends_at') }} as {{ dbt.type_timestamp() }})
            as current_term_ends_at,
        cast(canceled_at as {{ dbt.type_timestamp() }}) as canceled_at,
        cast({{ exclusive_end('ended_at') }} as {{ dbt.type_timestamp() }}) as ended_at,
        cast(paused_at as {{ dbt.type_timestamp() }}) as paused_at,
        cast({{ exclusive_end('resumes_at') }} as {{ dbt.type_timestamp() }}) as resumes_at,
        cast(is_auto_renew as {{ dbt.type_boolean() }}) as is_auto_renew,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
