{#
    The reporting calendar: one row per month from the first paid subscription to the reporting
    date. Each month's recurring revenue is measured at its snapshot instant: the end of the
    month, or the end of the reporting date for the month in progress.
#}

with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

item_versions as (

    select * from {{ ref('stg_billing__subscription_item_versions') }}

),

latest_changes as (

    select max(updated_at) as latest_change_at from subscriptions
    union all
    select max(updated_at) as latest_change_at from item_versions

),

reporting as (

    select
        {% if var('reporting_date') -%}
            cast('{{ var("reporting_date") }}' as date)
        {%- else -%}
            cast(max(latest_change_at) as date)
        {%- endif %} as reporting_date
    from latest_changes

),

first_month as (

    select cast({{ dbt.date_trunc('month', 'min(started_at)') }} as date) as first_month_start_date
    from subscriptions

),

numbers as (

    {{ integer_series(1200) }}

),

months as (

    select
        reporting.reporting_date,
        cast(
            {{ dbt.dateadd('month', 'numbers.n', 'first_month.first_month_start_date') }} as date
        ) as month_start_date,
        cast(
            {{ dbt.dateadd('month', 'numbers.n + 1', 'first_month.first_month_start_date') }}
            as date
        ) as next_month_start_date,
        cast({{ dbt.dateadd('day', 1, 'reporting.reporting_date') }} as date)
            as reporting_cutoff_date
    from numbers
    cross join first_month
    cross join reporting

),

final as (

    select
        month_start_date,
        next_month_start_date,
        reporting_date,
        cast(
            case
                when next_month_start_date <= reporting_cutoff_date then next_month_start_date
                else reporting_cutoff_date
            end as {{ dbt.type_timestamp() }}
        ) as snapshot_at,
        next_month_start_date <= reporting_cutoff_date as is_complete_month
    from months
    where month_start_date <= reporting_date

)

select * from final
