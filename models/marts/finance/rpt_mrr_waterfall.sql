{#
    One row per month: opening MRR + new + expansion + reactivation - contraction - churn =
    closing MRR. Contraction and churn are positive amounts that reduce MRR.
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

balances as (

    select
        month_start_date,
        sum(previous_mrr) as opening_mrr,
        sum(mrr) as closing_mrr,
        count(case when previous_mrr > 0 then 1 end) as opening_customers,
        count(case when mrr > 0 then 1 end) as closing_customers
    from account_months
    group by month_start_date

),

movement_totals as (

    select
        month_start_date,
        sum(case when movement_type = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement_type = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement_type = 'reactivation' then mrr_change else 0 end)
            as reactivation_mrr,
        sum(case when movement_type = 'contraction' then 0 - mrr_change else 0 end)
            as contraction_mrr,
        sum(case when movement_type = 'churn' then 0 - mrr_change else 0 end) as churned_mrr,
        count(case when movement_type = 'new' then 1 end) as new_customers,
        count(case when movement_type = 'reactivation' then 1 end) as reactivated_customers,
        count(case when movement_type = 'churn' then 1 end) as churned_customers
    from movements
    group by month_start_date

),

final as (

    select
        months.month_start_date,
        months.is_complete_month,
        cast(coalesce(balances.opening_mrr, 0) as {{ type_money() }}) as opening_mrr,
        cast(coalesce(movement_totals.new_mrr, 0) as {{ type_money() }}) as new_mrr,
        cast(coalesce(movement_totals.expansion_mrr, 0) as {{ type_money() }}) as expansion_mrr,
        cast(coalesce(movement_totals.reactivation_mrr, 0) as {{ type_money() }})
            as reactivation_mrr,
        cast(coalesce(movement_totals.contraction_mrr, 0) as {{ type_money() }})
            as contraction_mrr,
        cast(coalesce(movement_totals.churned_mrr, 0) as {{ type_money() }}) as churned_mrr,
        cast(coalesce(balances.closing_mrr, 0) as {{ type_money() }}) as closing_mrr,
        cast(coalesce(balances.closing_mrr, 0) * 12 as {{ type_money() }}) as closing_arr,
        cast(
            coalesce(balances.closing_mrr, 0) - coalesce(balances.opening_mrr, 0)
            as {{ type_money() }}
        ) as net_new_mrr,
        cast(coalesce(balances.opening_customers, 0) as {{ dbt.type_bigint() }})
            as opening_customers,
        cast(coalesce(movement_totals.new_customers, 0) as {{ dbt.type_bigint() }})
            as new_customers,
        cast(coalesce(movement_totals.reactivated_customers, 0) as {{ dbt.type_bigint() }})
            as reactivated_customers,
        cast(coalesce(movement_totals.churned_customers, 0) as {{ dbt.type_bigint() }})
            as churned_customers,
        cast(coalesce(balances.closing_customers, 0) as {{ dbt.type_bigint() }})
            as closing_customers
    from months
    left join balances
        on months.month_start_date = balances.month_start_date
    left join movement_totals
        on months.month_start_date = movement_totals.month_start_date

)

select * from final
