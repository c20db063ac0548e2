{#
    One row per month: what was invoiced beside the MRR the warehouse reports, the difference
    broken down by kind:
        invoiced_total - mrr = prepayment_timing + invoiced_one_off + invoiced_credit
                               + mid_month_change_timing + unexplained_difference
    Recurring and proration lines are recognised over their service period in equal shares per
    calendar month (part months pro rata to their days), so a year invoiced in advance is
    recognised as twelve equal months. MRR is a month-end measure while revenue accrues through
    the month: mid_month_change_timing is the contracts' revenue accrued day by day over the
    month minus MRR. What invoices recognise beyond what contracts accrue is unexplained. Void
    invoices are left out; amounts are in the reporting currency (int_invoice_lines_converted).
#}

with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_converted') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

waterfall as (

    select * from {{ ref('rpt_mrr_waterfall') }}

),

accrued as (

    select * from {{ ref('int_recurring_revenue_accrued_monthly') }}

),

lines as (

    select
        invoice_line_id,
        line_type,
        amount,
        cast({{ dbt.date_trunc('month', 'issued_at') }} as date) as issued_month_start_date,
        period_start_date,
        period_end_date
    from invoice_lines

),

invoiced as (

    select
        issued_month_start_date as month_start_date,
        sum(case when line_type = 'recurring' then amount else 0 end) as invoiced_recurring,
        sum(case when line_type = 'proration' then amount else 0 end) as invoiced_proration,
        sum(case when line_type = 'one_off' then amount else 0 end) as invoiced_one_off,
        sum(case when line_type = 'credit' then amount else 0 end) as invoiced_credit,
        sum(amount) as invoiced_total
    from lines
    group by issued_month_start_date

),

numbers as (

    {{ integer_series(100) }}

),

line_months as (

    select
        lines.invoice_line_id,
        lines.amount,
        lines.period_start_date,
        lines.period_end_date,
        cast(
            {{ dbt.dateadd(
                'month', 'numbers.n', dbt.date_trunc('month', 'lines.period_start_date')
            ) }} as date
        ) as month_start_date,
        cast(
            {{ dbt.dateadd(
                'month', 'numbers.n + 1', dbt.date_trunc('month', 'lines.period_start_date')
            ) }} as date
        ) as next_month_start_date
    from lines
    cross join numbers
    where
        lines.line_type in ('recurring', 'proration')
        and cast(
            {{ dbt.dateadd(
                'month', 'numbers.n', dbt.date_trunc('month', 'lines.period_start_date')
            ) }} as date
        ) <= lines.period_end_date

),

line_month_overlaps as (

    select
        invoice_line_id,
        amount,
        month_start_date,
        next_month_start_date,
        case
            when period_start_date > month_start_date then period_start_date
            else month_start_date
        end as overlap_start_date,
        case
            when period_end_date < next_month_start_date
                then cast({{ dbt.dateadd('day', 1, 'period_end_date') }} as date)
            else next_month_start_date
        end as overlap_ends_before
    from line_months

),

line_month_shares as (

    select
        invoice_line_id,
        amount,
        month_start_date,
        1.0 * {{ dbt.datediff('overlap_start_date', 'overlap_ends_before', 'day') }}
        / {{ dbt.datediff('month_start_date', 'next_month_start_date', 'day') }}
            as share_of_month
    from line_month_overlaps

),

line_month_amounts as (

    select
        month_start_date,
        amount * share_of_month
        / sum(share_of_month) over (partition by invoice_line_id) as recognised_amount
    from line_month_shares

),

recognised as (

    select
        month_start_date,
        sum(recognised_amount) as recognised_recurring
    from line_month_amounts
    group by month_start_date

),

final as (

    select
        months.month_start_date,
        months.is_complete_month,
        waterfall.closing_customers as paying_customers,
        waterfall.opening_mrr,
        waterfall.closing_mrr as mrr,
        cast(coalesce(invoiced.invoiced_total, 0) as {{ type_money() }}) as invoiced_total,
        cast(coalesce(invoiced.invoiced_recurring, 0) as {{ type_money() }}) as invoiced_recurring,
        cast(coalesce(invoiced.invoiced_proration, 0) as {{ type_money() }}) as invoiced_proration,
        cast(coalesce(invoiced.invoiced_one_off, 0) as {{ type_money() }}) as invoiced_one_off,
        cast(coalesce(invoiced.invoiced_credit, 0) as {{ type_money() }}) as invoiced_credit,
        cast(coalesce(recognised.recognised_recurring, 0) as {{ type_money() }})
            as recognised_recurring,
        cast(
            coalesce(invoiced.invoiced_recurring, 0) + coalesce(invoiced.invoiced_proration, 0)
            - coalesce(recognised.recognised_recurring, 0)
            as {{ type_money() }}
        ) as prepayment_timing,
        cast(coalesce(accrued.accrued_mrr, 0) as {{ type_money() }}) as accrued_mrr,
        cast(coalesce(accrued.accrued_mrr, 0) - waterfall.closing_mrr as {{ type_money() }})
            as mid_month_change_timing,
        cast(
            coalesce(recognised.recognised_recurring, 0) - coalesce(accrued.accrued_mrr, 0)
            as {{ type_money() }}
        ) as unexplained_difference,
        cast(
            1.0 * (
                coalesce(recognised.recognised_recurring, 0) - coalesce(accrued.accrued_mrr, 0)
            )
            / nullif(waterfall.closing_mrr, 0) as {{ type_ratio() }}
        ) as unexplained_share_of_mrr
    from months
    inner join waterfall
        on months.month_start_date = waterfall.month_start_date
    left join invoiced
        on months.month_start_date = invoiced.month_start_date
    left join recognised
        on months.month_start_date = recognised.month_start_date
    left join accrued
        on months.month_start_date = accrued.month_start_date

)

select * from final
