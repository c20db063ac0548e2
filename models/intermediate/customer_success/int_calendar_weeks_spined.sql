{#
    One row per complete week (Monday to Sunday, UTC) from the first account's creation to the
    reporting date. Every weekly indicator is measured as of the week's end: only what happened
    before `week_ends_before` (the next Monday, 00:00) counts.
#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

first_week as (

    select cast({{ dbt.date_trunc('week', 'min(created_at)') }} as date) as first_week_start_date
    from accounts

),

reporting as (

    select max(reporting_date) as reporting_date from months

),

numbers as (

    {{ integer_series(2000) }}

),

weeks as (

    select
        cast(
            {{ dbt.dateadd('day', 'numbers.n * 7', 'first_week.first_week_start_date') }} as date
        ) as week_start_date,
        reporting.reporting_date
    from numbers
    cross join first_week
    cross join reporting

),

final as (

    select
        week_start_date,
        cast({{ dbt.dateadd('day', 6, 'week_start_date') }} as date) as week_end_date,
        cast(
            {{ dbt.dateadd('day', 7, 'week_start_date') }} as {{ dbt.type_timestamp() }}
        ) as week_ends_before
    from weeks
    where cast({{ dbt.dateadd('day', 6, 'week_start_date') }} as date) <= reporting_date

)

select * from final
