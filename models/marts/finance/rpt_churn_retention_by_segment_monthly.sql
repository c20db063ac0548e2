{%- set segments = ['touch_tier', 'plan_tier', 'region'] -%}

{#
    rpt_churn_retention_monthly per segment (touch tier, plan tier, region): logo churn, gross and
    net revenue churn, GRR and NRR over one and twelve months and the quick ratio, each beside its
    base, with every account attributed to the segment it was in at the window's start: the
    previous month-end for the monthly figures (the segment waterfall's opening), the month-end
    twelve months before for the 12-month ones. An account that moved from high touch to tech
    touch and then churned is high-touch churn. New and reactivated accounts, which have no start,
    count where they close the month (as in rpt_mrr_waterfall_by_segment). Summed over the
    segments of one type, every base and every count is the company's.
#}

with

waterfall as (

    select * from {{ ref('rpt_mrr_waterfall_by_segment') }}

),

retention as (

    select * from {{ ref('fct_account_retention_monthly') }}

),

retention_by_segment as (

    {% for segment in segments %}
        select
            month_start_date,
            '{{ segment }}' as segment_type,
            {{ segment }} as segment_value,
            window_months,
            is_retained,
            starting_mrr,
            mrr,
            retained_mrr
        from retention
        where is_in_base
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

pairs as (

    select
        month_start_date,
        segment_type,
        segment_value,
        sum(case when window_months = 1 then starting_mrr else 0 end) as starting_mrr_1m,
        sum(case when window_months = 1 then mrr else 0 end) as current_mrr_1m,
        sum(case when window_months = 1 then retained_mrr else 0 end) as retained_mrr_1m,
        count(case when window_months = 12 then 1 end) as customers_12_months_before,
        count(case when window_months = 12 and is_retained then 1 end) as customers_retained_12m,
        sum(case when window_months = 12 then starting_mrr else 0 end) as starting_mrr_12m,
        sum(case when window_months = 12 then mrr else 0 end) as current_mrr_12m,
        sum(case when window_months = 12 then retained_mrr else 0 end) as retained_mrr_12m
    from retention_by_segment
    group by month_start_date, segment_type, segment_value

),

inputs as (

    select
        waterfall.month_start_date,
        waterfall.is_complete_month,
        waterfall.segment_type,
        waterfall.segment_value,
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
        on
            waterfall.month_start_date = pairs.month_start_date
            and waterfall.segment_type = pairs.segment_type
            and waterfall.segment_value = pairs.segment_value

),

final as (

    select
        {{ surrogate_key(['month_start_date', 'segment_type', 'segment_value']) }}
            as retention_segment_month_id,
        month_start_date,
        is_complete_month,
        segment_type,
        segment_value,
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
