{#
    One row per first-paid-month cohort and month since start (0 = the cohort month): accounts
    retained, logo retention, MRR retained, net and gross revenue retention against the cohort's
    starting MRR, and observed cumulative recurring revenue per account.
    "NRR of the 2024-01 cohort after 12 months" is
        select net_revenue_retention from fct_cohort_retention
        where cohort_month_start_date = '2024-01-01' and months_since_start = 12
#}

with

account_months as (

    select * from {{ ref('fct_account_mrr_monthly') }}

),

starting_mrr as (

    select
        account_id,
        mrr as starting_mrr
    from account_months
    where month_start_date = first_paid_month_start_date

),

cohort_members as (

    select
        account_months.first_paid_month_start_date as cohort_month_start_date,
        cast(
            {{ dbt.datediff(
                'account_months.first_paid_month_start_date',
                'account_months.month_start_date',
                'month'
            ) }} as {{ dbt.type_bigint() }}
        ) as months_since_start,
        account_months.month_start_date,
        account_months.is_complete_month,
        account_months.mrr,
        starting_mrr.starting_mrr
    from account_months
    inner join starting_mrr
        on account_months.account_id = starting_mrr.account_id

),

cohort_months as (

    select
        cohort_month_start_date,
        months_since_start,
        min(month_start_date) as month_start_date,
        min(case when is_complete_month then 1 else 0 end) = 1 as is_complete_month,
        count(*) as cohort_accounts,
        count(case when mrr > 0 then 1 end) as retained_accounts,
        sum(starting_mrr) as starting_mrr,
        sum(mrr) as mrr,
        sum(case when mrr < starting_mrr then mrr else starting_mrr end) as retained_mrr_capped
    from cohort_members
    group by cohort_month_start_date, months_since_start

),

final as (

    select
        {{ surrogate_key(['cohort_month_start_date', 'months_since_start']) }}
            as cohort_month_id,
        cohort_month_start_date,
        months_since_start,
        month_start_date,
        is_complete_month,
        cast(cohort_accounts as {{ dbt.type_bigint() }}) as cohort_accounts,
        cast(retained_accounts as {{ dbt.type_bigint() }}) as retained_accounts,
        cast(1.0 * retained_accounts / cohort_accounts as {{ type_ratio() }}) as logo_retention,
        cast(starting_mrr as {{ type_money() }}) as starting_mrr,
        cast(mrr as {{ type_money() }}) as retained_mrr,
        cast(1.0 * mrr / nullif(starting_mrr, 0) as {{ type_ratio() }}) as net_revenue_retention,
        cast(1.0 * retained_mrr_capped / nullif(starting_mrr, 0) as {{ type_ratio() }})
            as gross_revenue_retention,
        cast(
            1.0 * sum(mrr) over (
                partition by cohort_month_start_date
                order by months_since_start
                rows between unbounded preceding and current row
            ) / cohort_accounts as {{ type_money() }}
        ) as cumulative_revenue_per_account
    from cohort_months

)

select * from final
