{#
    One row per month: logo churn, gross and net revenue churn, dollar-weighted GRR and NRR over
    one and twelve months, and the quick ratio, each beside its base: opening_customers and
    opening_mrr (paying at the previous month-end) for the monthly rates and the 1-month GRR and
    NRR, customers_12_months_before and starting_mrr_12m for the 12-month ones. Formulas: the docs
    blocks in models/marts/finance/_finance__docs.md (macro retention_rate_columns, shared with
    rpt_churn_retention_by_segment_monthly). Ratios are empty when their denominator is zero.
#}

with

retention as (

    select * from {{ ref('fct_account_retention_monthly') }}

),

waterfall as (

    select * from {{ ref('rpt_mrr_waterfall') }}

),

pairs as (

    select
        month_start_date,
        sum(case when window_months = 1 then starting_mrr else 0 end) as starting_mrr_1m,
        sum(case when window_months = 1 and is_in_base then mrr else 0 end) as current_mrr_1m,
        sum(case when window_months = 1 then retained_mrr else 0 end) as retained_mrr_1m,
        count(case when window_months = 12 then 1 end) as customers_12_months_before,
        count(case when window_months = 12 and is_retained then 1 end) as customers_retained_12m,
        sum(case when window_months = 12 then starting_mrr else 0 end) as starting_mrr_12m,
        sum(case when window_months = 12 then mrr else 0 end) as current_mrr_12m,
        sum(case when window_months = 12 then retained_mrr else 0 end) as retained_mrr_12m
    from retention
    where is_in_base
    group by month_start_date

),

inputs as (

    select
        waterfall.month_start_date,
        waterfall.is_complete_month,
        waterfall.opening_customers,
        waterfall.churned_customers,
        waterfall.opening_mrr,
        waterfall.new_mrr,
        waterfall.expansion_mrr,
        waterfall.reactivation_mrr,
        waterfall.contraction_mrr,
        waterfall.churned_mrr,
        waterfall.closing_mrr,
        pairs.starting_mrr_1m,
        pairs.current_mrr_1m,
        pairs.retained_mrr_1m,
        cast(coalesce(pairs.customers_12_months_before, 0) as {{ dbt.type_bigint() }})
            as customers_12_months_before,
        cast(coalesce(pairs.customers_retained_12m, 0) as {{ dbt.type_bigint() }})
            as customers_retained_12m,
        cast(coalesce(pairs.starting_mrr_12m, 0) as {{ type_money() }}) as starting_mrr_12m,
        cast(coalesce(pairs.current_mrr_12m, 0) as {{ type_money() }}) as current_mrr_12m,
        pairs.retained_mrr_12m
    from waterfall
    left join pairs
        on waterfall.month_start_date = pairs.month_start_date

),

final as (

    select
        month_start_date,
        is_complete_month,
        opening_customers,
        churned_customers,
        opening_mrr,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        closing_mrr,
        customers_12_months_before,
        customers_retained_12m,
        starting_mrr_12m,
        current_mrr_12m,
        {{ retention_rate_columns() }}
    from inputs

)

select * from final
