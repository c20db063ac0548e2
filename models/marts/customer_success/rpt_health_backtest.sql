{#
    One row per week and health band (plus 'all'): how many scored accounts went on to churn,
    contract or expand in the following 90 and 180 days, as shares of the band's accounts. Weeks
    whose window is not fully observed yet have empty shares for that window.
#}

{%- set outcome_columns = [
    'is_observed_90d', 'has_churn_90d', 'has_contraction_90d', 'has_expansion_90d',
    'is_observed_180d', 'has_churn_180d', 'has_contraction_180d', 'has_expansion_180d'
] %}

with

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

outcomes as (

    select * from {{ ref('fct_account_health_outcomes_weekly') }}

),

joined as (

    select
        health.week_start_date,
        health.health_band,
        {% for column in outcome_columns -%}
            outcomes.{{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from health
    inner join outcomes
        on health.account_week_id = outcomes.account_week_id
    where health.health_band is not null

),

banded as (

    select
        week_start_date,
        health_band,
        {{ outcome_columns | join(',\n        ') }}
    from joined
    union all
    select
        week_start_date,
        'all' as health_band,
        {{ outcome_columns | join(',\n        ') }}
    from joined

),

final as (

    select
        {{ surrogate_key(['week_start_date', 'health_band']) }} as backtest_week_band_id,
        week_start_date,
        health_band,
        {% for days in [90, 180] -%}
            {% for movement in ['churn', 'contraction', 'expansion'] -%}
                cast(
                    sum(case when has_{{ movement }}_{{ days }}d then 1 else 0 end)
                    as {{ dbt.type_bigint() }}
                ) as accounts_with_{{ movement }}_{{ days }}d,
                case
                    when min(case when is_observed_{{ days }}d then 1 else 0 end) = 1
                        then
                            1.0 * sum(case when has_{{ movement }}_{{ days }}d then 1 else 0 end)
                            / count(*)
                end as {{ movement }}_rate_{{ days }}d,
            {% endfor %}
        {%- endfor %}
        min(case when is_observed_90d then 1 else 0 end) = 1 as is_observed_90d,
        min(case when is_observed_180d then 1 else 0 end) = 1 as is_observed_180d,
        count(*) as scored_accounts
    from banded
    group by week_start_date, health_band

)

select * from final
