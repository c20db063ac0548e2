{#
    One row per month: ARPA and customer lifetime value.
    CLTV = ARPA x gross margin / logo churn rate, with the churn rate averaged over the trailing
    six months (including this one) so one quiet or busy month does not swing it; gross margin
    is the project variable `gross_margin`.
#}

with

retention as (

    select * from {{ ref('rpt_churn_retention_monthly') }}

),

with_trailing_churn as (

    select
        month_start_date,
        is_complete_month,
        closing_mrr,
        opening_customers,
        logo_churn_rate,
        avg(logo_churn_rate) over (
            order by month_start_date rows between 5 preceding and current row
        ) as logo_churn_rate_t6m_average,
        count(logo_churn_rate) over (
            order by month_start_date rows between 5 preceding and current row
        ) as months_in_average
    from retention

),

waterfall as (

    select * from {{ ref('rpt_mrr_waterfall') }}

),

final as (

    select
        with_trailing_churn.month_start_date,
        with_trailing_churn.is_complete_month,
        waterfall.closing_customers as paying_customers,
        waterfall.closing_mrr as mrr,
        cast(
            1.0 * waterfall.closing_mrr / nullif(waterfall.closing_customers, 0)
            as {{ type_money() }}
        ) as arpa,
        with_trailing_churn.logo_churn_rate,
        cast(
            case
                when with_trailing_churn.months_in_average = 6
                    then with_trailing_churn.logo_churn_rate_t6m_average
            end as {{ type_ratio() }}
        ) as logo_churn_rate_t6m_average,
        cast({{ var('gross_margin') }} as {{ type_ratio() }}) as gross_margin,
        cast(
            case
                when with_trailing_churn.months_in_average = 6
                    then 1.0 * waterfall.closing_mrr / nullif(waterfall.closing_customers, 0)
                        * {{ var('gross_margin') }}
                        / nullif(with_trailing_churn.logo_churn_rate_t6m_average, 0)
            end as {{ type_money() }}
        ) as customer_lifetime_value
    from with_trailing_churn
    inner join waterfall
        on with_trailing_churn.month_start_date = waterfall.month_start_date

)

select * from final
