{#
    One row per scored account-week: what happened to the account's MRR in the 90 and 180 days
    after the week's end (churn, contraction, expansion), from the month-end MRR movements, and
    whether those windows are fully observed by the reporting date. A movement counts from the
    end of the month in which it was measured.
#}

with

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

reporting as (

    select max(reporting_date) as reporting_date from months

),

dated_movements as (

    select
        account_id,
        movement_type,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start_date')) }} as date
        ) as measured_date
    from movements
    where movement_type in ('churn', 'contraction', 'expansion')

),

week_ends as (

    select
        health.account_week_id,
        health.account_id,
        cast({{ dbt.dateadd('day', 6, 'health.week_start_date') }} as date) as week_end_date
    from health

),

following as (

    select
        {% for days in [90, 180] -%}
            {% for movement in ['churn', 'contraction', 'expansion'] -%}
                max(
                    case
                        when dated_movements.movement_type = '{{ movement }}'
                            and dated_movements.measured_date
                            <= cast(
                                {{ dbt.dateadd('day', days, 'week_ends.week_end_date') }} as date
                            )
                            then 1
                        else 0
                    end
                ) as has_{{ movement }}_{{ days }}d,
            {% endfor %}
        {%- endfor %}
        week_ends.account_week_id
    from week_ends
    inner join dated_movements
        on
            week_ends.account_id = dated_movements.account_id
            and week_ends.week_end_date < dated_movements.measured_date
            and dated_movements.measured_date
            <= cast({{ dbt.dateadd('day', 180, 'week_ends.week_end_date') }} as date)
    group by week_ends.account_week_id

),

final as (

    select
        week_ends.account_week_id,
        week_ends.account_id,
        week_ends.week_end_date,
        {% for days in [90, 180] -%}
            cast({{ dbt.dateadd('day', days, 'week_ends.week_end_date') }} as date)
            <= reporting.reporting_date as is_observed_{{ days }}d,
            {% for movement in ['churn', 'contraction', 'expansion'] -%}
                coalesce(following.has_{{ movement }}_{{ days }}d, 0) = 1
                    as has_{{ movement }}_{{ days }}d,
            {% endfor %}
        {%- endfor %}
        reporting.reporting_date
    from week_ends
    cross join reporting
    left join following
        on week_ends.account_week_id = following.account_week_id

)

select * from final
