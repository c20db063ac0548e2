{#
    One row per paying account: its latest week's indicators and health score, with the two
    components pulling the score down most: the list a CSM starts the week from.
#}

with

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

indicators as (

    select * from {{ ref('fct_account_indicators_weekly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

latest_week as (

    select max(week_start_date) as week_start_date from health

),

final as (

    select
        health.account_id,
        accounts.owner_csm_id,
        health.touch_tier,
        health.week_start_date,
        indicators.mrr,
        health.health_score,
        health.health_band,
        health.health_score_change_4w,
        health.top_drag_component,
        health.top_drag_explanation,
        health.second_drag_component,
        health.second_drag_explanation,
        indicators.days_since_last_proactive_communication,
        indicators.days_since_last_executive_engagement,
        indicators.usage_trend_ratio,
        indicators.seat_utilization,
        indicators.is_expansion_ready,
        indicators.is_under_used,
        indicators.latest_nps_score,
        indicators.latest_csm_sentiment_score,
        indicators.trouble_escalations_90d,
        indicators.opportunity_escalations_90d
    from health
    inner join latest_week
        on health.week_start_date = latest_week.week_start_date
    inner join indicators
        on health.account_week_id = indicators.account_week_id
    inner join accounts
        on health.account_id = accounts.account_id

)

select * from final
