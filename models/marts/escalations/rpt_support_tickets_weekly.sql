{#
    One row per week (Monday, UTC) in which tickets were opened: the tickets the help desk
    delivered, the deleted ones every other model leaves out, the tickets that count, how many of
    those had no priority, and their CSAT on either rating scale (by the week the ticket was
    opened). The reconciliation of what the marts count against what the help desk sent.
#}

with

tickets as (

    select * from {{ ref('stg_support_desk__tickets') }}

),

ticket_weeks as (

    select
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start_date,
        is_deleted,
        priority,
        csat_scale,
        is_csat_satisfied
    from tickets

),

final as (

    select
        week_start_date,
        count(*) as tickets_delivered,
        cast(sum(case when is_deleted then 1 else 0 end) as {{ dbt.type_bigint() }})
            as deleted_tickets,
        cast(sum(case when not is_deleted then 1 else 0 end) as {{ dbt.type_bigint() }}) as tickets,
        cast(
            sum(
                case when not is_deleted and priority is null then 1 else 0 end
            ) as {{ dbt.type_bigint() }}
        ) as tickets_without_priority,
        cast(
            sum(case when not is_deleted and priority in ('high', 'urgent') then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as high_or_urgent_tickets,
        cast(
            sum(case when not is_deleted and csat_scale = 'five_point' then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as csat_rated_five_point,
        cast(
            sum(case when not is_deleted and csat_scale = 'good_bad' then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as csat_rated_good_bad,
        cast(
            sum(
                case when not is_deleted and is_csat_satisfied then 1 else 0 end
            ) as {{ dbt.type_bigint() }}
        ) as csat_satisfied,
        1.0 * sum(case when not is_deleted and is_csat_satisfied then 1 else 0 end)
        / nullif(
            sum(case when not is_deleted and csat_scale is not null then 1 else 0 end), 0
        ) as ticket_csat
    from ticket_weeks
    group by week_start_date

)

select * from final
