{#
    One row per month: the recurring revenue the contracts accrue over the month, day by day
    (the average MRR across the month's days), as opposed to MRR, which is measured at the
    month's end. Each item version is split where its discount ends, and a paused subscription
    accrues nothing while paused (it is not billed). The reconciliation compares what was
    invoiced with this.
#}

{%- set open_end = "cast('2999-12-31' as " ~ dbt.type_timestamp() ~ ")" %}

with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

paid_spans as (

    select
        gross_mrr,
        running_discount_mrr,
        subscription_paused_at,
        coalesce(subscription_resumes_at, {{ open_end }}) as subscription_resumes_at,
        coalesce(discount_ends_at, {{ open_end }}) as discount_ends_at,
        case
            when valid_from > subscription_started_at then valid_from
            else subscription_started_at
        end as span_start_at,
        case
            when coalesce(valid_to, {{ open_end }})
                < coalesce(subscription_ended_at, {{ open_end }})
                then coalesce(valid_to, {{ open_end }})
            else coalesce(subscription_ended_at, {{ open_end }})
        end as span_end_at
    from items
    where change_reason != 'removed'

),

priced_spans as (

    -- The part of each span while the discount runs...
    select
        gross_mrr - running_discount_mrr as mrr,
        subscription_paused_at,
        subscription_resumes_at,
        span_start_at,
        case when discount_ends_at < span_end_at then discount_ends_at else span_end_at end
            as span_end_at
    from paid_spans
    where running_discount_mrr > 0
    union all
    -- ...and the part without it.
    select
        gross_mrr as mrr,
        subscription_paused_at,
        subscription_resumes_at,
        case
            when running_discount_mrr > 0 and discount_ends_at > span_start_at
                then discount_ends_at
            else span_start_at
        end as span_start_at,
        span_end_at
    from paid_spans

),

billed_spans as (

    -- A pause cuts a span in two: before it...
    select
        mrr,
        span_start_at,
        case
            when subscription_paused_at < span_end_at then subscription_paused_at
            else span_end_at
        end as span_end_at
    from priced_spans
    where subscription_paused_at is not null
    union all
    -- ...and after it (or the whole span when there was no pause).
    select
        mrr,
        case
            when subscription_paused_at is not null and subscription_resumes_at > span_start_at
                then subscription_resumes_at
            else span_start_at
        end as span_start_at,
        span_end_at
    from priced_spans

),

span_days as (

    select
        mrr,
        cast(span_start_at as date) as span_start_date,
        cast(span_end_at as date) as span_ends_before
    from billed_spans
    where span_end_at > span_start_at

),

final as (

    select
        months.month_start_date,
        sum(
            1.0 * span_days.mrr
            * {{ dbt.datediff(
                'case when span_days.span_start_date > months.month_start_date'
                ~ ' then span_days.span_start_date else months.month_start_date end',
                'case when span_days.span_ends_before < months.next_month_start_date'
                ~ ' then span_days.span_ends_before else months.next_month_start_date end',
                'day'
            ) }}
            / {{ dbt.datediff('months.month_start_date', 'months.next_month_start_date', 'day') }}
        ) as accrued_mrr
    from months
    inner join span_days
        on
            months.next_month_start_date > span_days.span_start_date
            and months.month_start_date < span_days.span_ends_before
    group by months.month_start_date

)

select * from final
