{#
    The cohort table as finance reads it: one row per cohort and measure (logo, net revenue and
    gross revenue retention), one column per month since start. Empty where the cohort has not
    reached that month yet.
#}

{%- set max_months = var('cohort_table_months') %}

with

cohorts as (

    select * from {{ ref('fct_cohort_retention') }}

),

measures as (

    {% for measure in ['logo_retention', 'net_revenue_retention', 'gross_revenue_retention'] %}
        select
            cohort_month_start_date,
            '{{ measure }}' as measure,
            months_since_start,
            cohort_accounts,
            starting_mrr,
            {{ measure }} as measure_value
        from cohorts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ surrogate_key(['cohort_month_start_date', 'measure']) }} as cohort_measure_id,
        cohort_month_start_date,
        measure,
        cast(max(cohort_accounts) as {{ dbt.type_bigint() }}) as cohort_accounts,
        cast(max(starting_mrr) as {{ type_money() }}) as starting_mrr,
        {% for month in range(max_months + 1) %}
            cast(
                max(case when months_since_start = {{ month }} then measure_value end)
                as {{ type_ratio() }}
            ) as month_{{ '%02d' % month }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from measures
    group by cohort_month_start_date, measure

)

select * from final
