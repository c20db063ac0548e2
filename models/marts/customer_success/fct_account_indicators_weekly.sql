{#
    One row per account per week (Monday to Sunday, UTC) while the account is paying, and in its
    first 120 days (trial, onboarding): every leading indicator, each computed only from what
    was known at the end of that week.

    Incremental (macros/incremental): a daily run recomputes the newest
    `incremental_lookback_weeks` weeks and any new week; the inputs are joined on the week, so
    filtering the grid is enough.
#}

{{ config(**incremental_config(unique_key='account_week_id', partition_by='week_start_date')) }}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}
    where week_start_date >= {{ weekly_reprocess_from() }}

),

engagement as (

    select * from {{ ref('int_account_engagement_measured_weekly') }}

),

usage as (

    select * from {{ ref('int_account_usage_measured_weekly') }}

),

sentiment as (

    select * from {{ ref('int_account_sentiment_measured_weekly') }}

),

onboarding as (

    select * from {{ ref('int_account_onboarding_measured_weekly') }}

),

outcomes_support as (

    select * from {{ ref('int_account_outcomes_support_measured_weekly') }}

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        grid.week_end_date,
        grid.account_age_days,
        grid.is_paying,
        cast(grid.mrr as {{ type_money() }}) as mrr,
        -- engagement
        cast(engagement.high_value_engagements_15d as {{ dbt.type_bigint() }})
            as high_value_engagements_15d,
        cast(engagement.high_value_engagements_30d as {{ dbt.type_bigint() }})
            as high_value_engagements_30d,
        cast(engagement.high_value_engagements_45d as {{ dbt.type_bigint() }})
            as high_value_engagements_45d,
        cast(engagement.high_value_engagements_60d as {{ dbt.type_bigint() }})
            as high_value_engagements_60d,
        engagement.days_since_last_proactive_communication,
        engagement.days_since_last_reactive_communication,
        engagement.content_engaged_contacts_share_90d,
        -- onboarding
        onboarding.onboarding_project_id,
        onboarding.is_onboarding,
        onboarding.has_documented_objectives,
        onboarding.average_onboarding_rating,
        onboarding.onboarding_usage_day_share,
        onboarding.days_in_onboarding,
        onboarding.days_beyond_target_go_live,
        -- usage and adoption
        usage.daily_active_users_avg_7d,
        usage.daily_active_users_avg_28d,
        usage.stickiness_dau_mau,
        usage.entitled_features,
        usage.entitled_features_used_share,
        usage.product_stack_share,
        usage.core_value_features_used_share,
        cast(usage.core_value_events_last_4_weeks as {{ dbt.type_bigint() }})
            as core_value_events_last_4_weeks,
        cast(usage.events_last_4_weeks as {{ dbt.type_bigint() }}) as events_last_4_weeks,
        cast(usage.events_previous_4_weeks as {{ dbt.type_bigint() }}) as events_previous_4_weeks,
        usage.usage_trend_ratio,
        -- service utilization
        cast(usage.licensed_seats as {{ dbt.type_bigint() }}) as licensed_seats,
        usage.peak_daily_active_users_28d,
        usage.seat_utilization,
        coalesce(usage.seat_utilization >= {{ var('seat_utilization_expansion_ready') }}, false)
            as is_expansion_ready,
        coalesce(usage.seat_utilization < {{ var('seat_utilization_under_used') }}, false)
        and grid.is_paying as is_under_used,
        -- sentiment
        sentiment.latest_nps_score,
        cast(sentiment.nps_responses_90d as {{ dbt.type_bigint() }}) as nps_responses_90d,
        sentiment.nps_90d,
        sentiment.ticket_csat_90d,
        sentiment.ticket_csat_responses_90d,
        sentiment.latest_csm_sentiment_score,
        sentiment.advocates,
        -- relationship
        cast(engagement.contacts_known as {{ dbt.type_bigint() }}) as contacts_known,
        engagement.engaged_contacts_90d,
        engagement.engaged_executive_contacts_90d,
        engagement.days_since_last_executive_engagement,
        -- business outcomes
        cast(outcomes_support.goals_achieved as {{ dbt.type_bigint() }}) as goals_achieved,
        cast(outcomes_support.goals_on_track as {{ dbt.type_bigint() }}) as goals_on_track,
        cast(outcomes_support.goals_at_risk as {{ dbt.type_bigint() }}) as goals_at_risk,
        cast(outcomes_support.goals_missed as {{ dbt.type_bigint() }}) as goals_missed,
        -- support
        cast(outcomes_support.tickets_30d as {{ dbt.type_bigint() }}) as tickets_30d,
        cast(outcomes_support.tickets_90d as {{ dbt.type_bigint() }}) as tickets_90d,
        cast(outcomes_support.trouble_escalations_30d as {{ dbt.type_bigint() }})
            as trouble_escalations_30d,
        cast(outcomes_support.trouble_escalations_90d as {{ dbt.type_bigint() }})
            as trouble_escalations_90d,
        cast(outcomes_support.opportunity_escalations_30d as {{ dbt.type_bigint() }})
            as opportunity_escalations_30d,
        cast(outcomes_support.opportunity_escalations_90d as {{ dbt.type_bigint() }})
            as opportunity_escalations_90d
    from grid
    inner join engagement
        on grid.account_week_id = engagement.account_week_id
    inner join usage
        on grid.account_week_id = usage.account_week_id
    inner join sentiment
        on grid.account_week_id = sentiment.account_week_id
    inner join onboarding
        on grid.account_week_id = onboarding.account_week_id
    inner join outcomes_support
        on grid.account_week_id = outcomes_support.account_week_id
    where grid.is_paying or grid.account_age_days <= 120

)

select * from final
