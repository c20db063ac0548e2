{#
    MetricFlow's time spine: one row per day of the reporting calendar, from the first day of its
    first month to the last day of its last month. MetricFlow joins to it for metric_time,
    offsets and cumulative windows; taking the range from the calendar keeps it as long as the
    data, on any engine, without a fixed start or end year.
#}

with

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

calendar_bounds as (

    select
        min(month_start_date) as first_date,
        max(next_month_start_date) as end_date_exclusive
    from months

),

numbers as (

    -- The calendar allows up to 1200 months (100 years); 36,525 days cover that.
    {{ integer_series(36525) }}

),

days as (

    select
        calendar_bounds.end_date_exclusive,
        cast({{ dbt.dateadd('day', 'numbers.n', 'calendar_bounds.first_date') }} as date)
            as date_day
    from numbers
    cross join calendar_bounds

),

final as (

    select date_day
    from days
    where date_day < end_date_exclusive

)

select * from final
