{#
    One row per paying account, week and health-score component: the indicator behind the
    component, its 0-100 score and its weight for the account's touch tier. The seeds drive the
    score: health_score_components (the version in the variable health_score_version) names the
    components, the indicator each one scores and its thresholds; health_score_weights weighs
    them per touch tier. This model only knows how to measure each indicator (the list below,
    which the seed's accepted_values test mirrors) and how to explain its value in words.
    A component scores 0 at score_zero_at, 100 at score_full_at, linearly in between and
    clamped outside. A missing indicator (or one outside the component's
    applicable account age) is left unscored: its weight goes to the other components.
    "Never contacted" scores as contact as old as the account only while the CRM has delivered
    activities (the engagement counts are then known, never null); without any, engagement and
    relationship are unknown and left unscored like any other missing component.

    Incremental (macros/incremental): a run restates the newest `incremental_lookback_weeks`
    weeks and every week of an account whose touch tier changed (its weights apply to all its
    weeks), and inserts the account-weeks the table lacks. After changing the health-score
    seeds or variables, run `dbt build --full-refresh --select fct_account_health_components_weekly+`.
#}

{{ config(**incremental_config(unique_key='account_week_component_id')) }}
{{ config(pre_hook="{{ delete_restated_weekly_rows(ref('dim_accounts')) }}") }}

{%- set integer_text = "cast(cast(round({value}, 0) as " ~ dbt.type_int() ~ ") as "
    ~ dbt.type_string() ~ ")" %}
{%- set indicators = [
    {
        'indicator': 'days_since_last_proactive_communication',
        'value': 'case when high_value_engagements_30d is not null then coalesce(days_since_last_proactive_communication, account_age_days) end',
        'text': ["'no proactive CS contact for '", integer_text.format(value='indicator_value'), "' days'"],
    },
    {
        'indicator': 'days_since_last_executive_engagement',
        'value': 'case when high_value_engagements_30d is not null then coalesce(days_since_last_executive_engagement, account_age_days) end',
        'text': ["'no executive engagement for '", integer_text.format(value='indicator_value'), "' days'"],
    },
    {
        'indicator': 'usage_trend_ratio',
        'value': 'usage_trend_ratio',
        'text': ["'usage at '", integer_text.format(value='indicator_value * 100'), "'% of the 4 weeks before'"],
    },
    {
        'indicator': 'entitled_features_used_share',
        'value': 'entitled_features_used_share',
        'text': ["'uses '", integer_text.format(value='indicator_value * 100'), "'% of the features in its plan'"],
    },
    {
        'indicator': 'seat_utilization',
        'value': 'seat_utilization',
        'text': ["'active users on '", integer_text.format(value='indicator_value * 100'), "'% of licensed seats'"],
    },
    {
        'indicator': 'latest_nps_score',
        'value': 'latest_nps_score',
        'text': ["'latest NPS answer '", integer_text.format(value='indicator_value'), "' of 10'"],
    },
    {
        'indicator': 'latest_csm_sentiment_score',
        'value': 'latest_csm_sentiment_score',
        'text': ["'CSM sentiment '", integer_text.format(value='indicator_value'), "' of 5'"],
    },
    {
        'indicator': 'trouble_escalations_90d',
        'value': 'trouble_escalations_90d',
        'text': [integer_text.format(value='indicator_value'), "' trouble escalations in 90 days'"],
    },
    {
        'indicator': 'goals_at_risk_or_missed_share',
        'value': '1.0 * (goals_at_risk + goals_missed) / nullif(goals_achieved + goals_on_track + goals_at_risk + goals_missed, 0)',
        'text': [integer_text.format(value='indicator_value * 100'), "'% of success-plan goals at risk or missed'"],
    },
    {
        'indicator': 'days_beyond_target_go_live',
        'value': 'days_beyond_target_go_live',
        'text': ["'onboarding '", integer_text.format(value='indicator_value'), "' days past target go-live'"],
    },
] %}

with

indicators as (

    select * from {{ ref('fct_account_indicators_weekly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

component_settings as (

    select * from {{ ref('health_score_components') }}
    where health_score_version = '{{ var("health_score_version") }}'

),

weights as (

    select * from {{ ref('health_score_weights') }}
    where health_score_version = '{{ var("health_score_version") }}'

),

-- The tier is joined before the unpivot below: a planner cannot estimate joins on the
-- unpivot's literal indicator names, and PostgreSQL then nested-looped accounts over it.
paying_account_weeks as (

    select
        indicators.*,
        accounts.touch_tier
    from indicators
    inner join accounts
        on indicators.account_id = accounts.account_id
    where
        indicators.is_paying
        and {{ where_row_missing('indicators.account_week_id', 'account_week_id') }}

),

indicator_values as (

    {% for indicator in indicators %}
        select
            account_week_id,
            account_id,
            week_start_date,
            touch_tier,
            account_age_days,
            '{{ indicator.indicator }}' as indicator,
            cast({{ indicator.value }} as {{ dbt.type_numeric() }}) as indicator_value
        from paying_account_weeks
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

scored as (

    select
        indicator_values.account_week_id,
        indicator_values.account_id,
        indicator_values.week_start_date,
        indicator_values.touch_tier,
        component_settings.component,
        indicator_values.indicator,
        indicator_values.indicator_value,
        weights.weight,
        -- Exact decimals from here on: sums of floats depend on the order rows arrive in,
        -- and the same data must always give the same score.
        cast(
            case
                when indicator_values.indicator_value is null then null
                when component_settings.applies_to_account_age_days_up_to is not null
                    and indicator_values.account_age_days
                    > component_settings.applies_to_account_age_days_up_to
                    then null
                else greatest(
                        0,
                        least(
                            100,
                            100.0
                            * (indicator_values.indicator_value - component_settings.score_zero_at)
                            / (component_settings.score_full_at - component_settings.score_zero_at)
                        )
                    )
            end as {{ type_decimal(9, 4) }}
        ) as component_score
    from indicator_values
    inner join component_settings
        on indicator_values.indicator = component_settings.indicator
    inner join weights
        on
            indicator_values.touch_tier = weights.touch_tier
            and component_settings.component = weights.component

),

final as (

    select
        {{ surrogate_key(['account_week_id', 'component']) }} as account_week_component_id,
        account_week_id,
        account_id,
        week_start_date,
        touch_tier,
        component,
        indicator,
        indicator_value,
        weight,
        component_score,
        case
            {% for indicator in indicators -%}
                when indicator = '{{ indicator.indicator }}'
                    then {{ dbt.concat(indicator.text) }}
            {% endfor -%}
        end as component_explanation
    from scored

)

select * from final
