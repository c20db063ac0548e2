{#
    One row per week and touch tier (plus 'all'): company-wide rollups of the leading indicators
    over paying accounts. Shares and scores are averages over accounts; NPS and ticket CSAT are
    computed from the pooled answers (% promoters - % detractors; satisfied / rated), never
    averaged across accounts.
#}

{%- set rolled_up_columns = [
    'week_start_date', 'mrr', 'health_score', 'health_band', 'high_value_engagements_30d',
    'days_since_last_proactive_communication', 'daily_active_users_avg_7d', 'stickiness_dau_mau',
    'entitled_features_used_share', 'seat_utilization', 'is_expansion_ready', 'is_under_used',
    'nps_90d', 'nps_responses_90d', 'ticket_csat_90d', 'ticket_csat_responses_90d',
    'latest_csm_sentiment_score',
    'advocates', 'engaged_contacts_90d', 'goals_at_risk', 'goals_missed',
    'trouble_escalations_30d', 'opportunity_escalations_30d'
] %}

with

indicators as (

    select * from {{ ref('fct_account_indicators_weekly') }}

),

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

paying_weeks as (

    select
        indicators.*,
        health.touch_tier,
        health.health_score,
        health.health_band
    from indicators
    inner join health
        on indicators.account_week_id = health.account_week_id

),

tiered as (

    select
        touch_tier,
        {{ rolled_up_columns | join(',\n        ') }}
    from paying_weeks
    union all
    select
        'all' as touch_tier,
        {{ rolled_up_columns | join(',\n        ') }}
    from paying_weeks

),

final as (

    select
        {{ surrogate_key(['week_start_date', 'touch_tier']) }} as tier_week_id,
        week_start_date,
        touch_tier,
        count(*) as paying_accounts,
        cast(sum(mrr) as {{ type_money() }}) as mrr,
        avg(health_score) as average_health_score,
        avg(case when health_band = 'red' then 1.0 else 0.0 end) as red_share,
        avg(case when health_band = 'green' then 1.0 else 0.0 end) as green_share,
        avg(high_value_engagements_30d) as average_high_value_engagements_30d,
        avg(days_since_last_proactive_communication)
            as average_days_since_last_proactive_communication,
        avg(daily_active_users_avg_7d) as average_daily_active_users,
        avg(stickiness_dau_mau) as average_stickiness_dau_mau,
        avg(entitled_features_used_share) as average_entitled_features_used_share,
        avg(seat_utilization) as average_seat_utilization,
        avg(case when is_expansion_ready then 1.0 else 0.0 end) as expansion_ready_share,
        avg(case when is_under_used then 1.0 else 0.0 end) as under_used_share,
        100.0 * sum(nps_90d * nps_responses_90d / 100.0)
        / nullif(sum(nps_responses_90d), 0) as nps_90d,
        sum(ticket_csat_90d * ticket_csat_responses_90d)
        / nullif(sum(ticket_csat_responses_90d), 0) as ticket_csat_90d,
        avg(latest_csm_sentiment_score) as average_csm_sentiment_score,
        cast(sum(advocates) as {{ dbt.type_bigint() }}) as advocates,
        avg(engaged_contacts_90d) as average_engaged_contacts_90d,
        cast(sum(goals_at_risk + goals_missed) as {{ dbt.type_bigint() }})
            as goals_at_risk_or_missed,
        cast(sum(trouble_escalations_30d) as {{ dbt.type_bigint() }}) as trouble_escalations_30d,
        cast(sum(opportunity_escalations_30d) as {{ dbt.type_bigint() }})
            as opportunity_escalations_30d
    from tiered
    group by week_start_date, touch_tier

)

select * from final
