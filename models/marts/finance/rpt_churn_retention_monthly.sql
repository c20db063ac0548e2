{#
    One row per month: logo churn, gross and net revenue churn, dollar-weighted GRR and NRR over
    one and twelve months, and the quick ratio. Formulas: see the docs blocks in
    models/marts/finance/_finance__docs.md. Ratios are null when their denominator is zero.
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

waterfall as (

    select * from {{ ref('rpt_mrr_waterfall') }}

),

one_month_pairs as (

    select
        month_start_date,
        sum(previous_mrr) as starting_mrr_1m,
        sum(mrr) as current_mrr_1m,
        sum(case when mrr < previous_mrr then mrr else previous_mrr end) as retained_mrr_1m
    from account_months
    where previous_mrr > 0
    group by month_start_date

),

twelve_month_pairs as (

    select
        month_start_date,
        count(*) as customers_12_months_before,
        sum(case when mrr > 0 then 1 else 0 end) as customers_retained_12m,
        sum(mrr_12_months_before) as starting_mrr_12m,
        sum(mrr) as current_mrr_12m,
        sum(
            case when mrr < mrr_12_months_before then mrr else mrr_12_months_before end
        ) as retained_mrr_12m
    from account_months
    where mrr_12_months_before > 0
    group by month_start_date

),

rates as (

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
        1.0 * waterfall.churned_customers
        / nullif(waterfall.opening_customers, 0) as logo_churn_rate,
        1.0 * (waterfall.churned_mrr + waterfall.contraction_mrr)
        / nullif(waterfall.opening_mrr, 0) as gross_revenue_churn_rate,
        1.0 * (
            waterfall.churned_mrr + waterfall.contraction_mrr
            - waterfall.expansion_mrr - waterfall.reactivation_mrr
        )
        / nullif(waterfall.opening_mrr, 0) as net_revenue_churn_rate,
        1.0 * (waterfall.new_mrr + waterfall.expansion_mrr + waterfall.reactivation_mrr)
        / nullif(waterfall.contraction_mrr + waterfall.churned_mrr, 0) as quick_ratio,
        1.0 * one_month_pairs.retained_mrr_1m
        / nullif(one_month_pairs.starting_mrr_1m, 0) as gross_revenue_retention_1m,
        1.0 * one_month_pairs.current_mrr_1m
        / nullif(one_month_pairs.starting_mrr_1m, 0) as net_revenue_retention_1m,
        coalesce(twelve_month_pairs.customers_12_months_before, 0)
            as customers_12_months_before,
        coalesce(twelve_month_pairs.customers_retained_12m, 0) as customers_retained_12m,
        coalesce(twelve_month_pairs.starting_mrr_12m, 0) as starting_mrr_12m,
        coalesce(twelve_month_pairs.current_mrr_12m, 0) as current_mrr_12m,
        1.0 * twelve_month_pairs.retained_mrr_12m
        / nullif(twelve_month_pairs.starting_mrr_12m, 0) as gross_revenue_retention_12m,
        1.0 * twelve_month_pairs.current_mrr_12m
        / nullif(twelve_month_pairs.starting_mrr_12m, 0) as net_revenue_retention_12m,
        1.0 - 1.0 * twelve_month_pairs.customers_retained_12m
        / nullif(twelve_month_pairs.customers_12_months_before, 0) as logo_churn_rate_t12m
    from waterfall
    left join one_month_pairs
        on waterfall.month_start_date = one_month_pairs.month_start_date
    left join twelve_month_pairs
        on waterfall.month_start_date = twelve_month_pairs.month_start_date

),

final as (

    select
        *,
        1.0 - gross_revenue_retention_12m as gross_revenue_churn_rate_t12m,
        1.0 - net_revenue_retention_12m as net_revenue_churn_rate_t12m
    from rates

)

select * from final
