{{ config(**incremental_config(unique_key='ticket_id')) }}
{#- Incremental (macros/incremental): re-ranks only tickets with new raw versions. -#}

with

raw_tickets as (

    select * from {{ source('support_desk', 'tickets') }}
    {{ where_new_raw_versions(source('support_desk', 'tickets'), 'ticket_id') }}

),

versions_ranked as (

    select
        *,
        {{ latest_version_rank(['ticket_id']) }} as version_rank
    from raw_tickets

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

final as (

    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(requester_contact_id as {{ dbt.type_string() }}) as requester_contact_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(first_response_at as {{ dbt.type_timestamp() }}) as first_response_at,
        cast(solved_at as {{ dbt.type_timestamp() }}) as solved_at,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(priority as {{ dbt.type_string() }}) as priority,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(csat_rating as {{ dbt.type_bigint() }}) as csat_rating,
        cast(csat_good_bad as {{ dbt.type_string() }}) as csat_good_bad,
        -- A deletion time is a deletion, whatever is_deleted says; empty is not deleted.
        coalesce(is_deleted, false) or deleted_at is not null as is_deleted,
        cast(deleted_at as {{ dbt.type_timestamp() }}) as deleted_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        -- One measure for every scale: 4-5 of 5, or good, is satisfied (staging_csat_normalised).
        case
            when csat_rating is not null then 'five_point'
            when csat_good_bad is not null then 'good_bad'
        end as csat_scale,
        case
            when csat_rating is not null then csat_rating >= 4
            when csat_good_bad is not null then csat_good_bad = 'good'
        end as is_csat_satisfied,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from latest_versions

)

select * from final
