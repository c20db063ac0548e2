{#
    One row per health band: the backtest pooled over every week whose window is fully observed.
    Rates are account-weeks followed by the outcome / account-weeks in the band (sum, then
    divide); lift = the band's churn rate / the green band's churn rate. Red must churn clearly
    more often than green for the score to be worth acting on; the green baseline is carried on
    every row so that test can also judge a green band that never churned (lift undefined).
#}

with

weekly as (

    select * from {{ ref('rpt_health_backtest') }}

),

pooled as (

    select
        health_band,
        {% for days in [90, 180] -%}
            {% for movement in ['churn', 'contraction', 'expansion'] -%}
                1.0 * sum(
                    case
                        when is_observed_{{ days }}d then accounts_with_{{ movement }}_{{ days }}d
                        else 0
                    end
                )
                / nullif(
                    sum(case when is_observed_{{ days }}d then scored_accounts else 0 end), 0
                ) as {{ movement }}_rate_{{ days }}d,
            {% endfor %}
        {%- endfor %}
        cast(
            sum(
                case when is_observed_90d then scored_accounts else 0 end
            ) as {{ dbt.type_bigint() }}
        ) as account_weeks_observed_90d,
        cast(
            sum(
                case when is_observed_180d then scored_accounts else 0 end
            ) as {{ dbt.type_bigint() }}
        ) as account_weeks_observed_180d
    from weekly
    group by health_band

),

green as (

    select
        account_weeks_observed_90d as green_account_weeks_observed_90d,
        churn_rate_90d as green_churn_rate_90d,
        churn_rate_180d as green_churn_rate_180d
    from pooled
    where health_band = 'green'

),

final as (

    select
        pooled.*,
        green.green_account_weeks_observed_90d,
        green.green_churn_rate_90d,
        pooled.churn_rate_90d / nullif(green.green_churn_rate_90d, 0) as churn_lift_vs_green_90d,
        pooled.churn_rate_180d / nullif(green.green_churn_rate_180d, 0)
            as churn_lift_vs_green_180d
    from pooled
    left join green
        on 1 = 1

)

select * from final
