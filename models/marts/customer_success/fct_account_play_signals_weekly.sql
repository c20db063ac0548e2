{#
    One row per paying account, week and play whose trigger held at the week's end, with the
    reason in words. Triggers and their thresholds come from the play_rules seed.
#}

{%- set integer_text = "cast(cast(round({value}, 0) as " ~ dbt.type_int() ~ ") as "
    ~ dbt.type_string() ~ ")" %}

{%- set win_back_reason = dbt.concat([
    integer_text.format(value='win_back.trouble_escalations'),
    "' trouble escalations in the last '",
    integer_text.format(value='win_back.window_days'),
    "' days'",
]) %}
{%- set renewal_reason = dbt.concat([
    "'health red with a renewal on '",
    "cast(cast(renewal_at_risk.next_renewal_at as date) as " ~ dbt.type_string() ~ ")",
]) %}
{%- set executive_gap_reason = dbt.concat([
    "'no executive engagement for '",
    integer_text.format(value='paying_weeks.days_since_last_executive_engagement'),
    "' days'",
]) %}
{%- set spend_down_reason = dbt.concat([
    "'spend down '",
    integer_text.format(value='0 - variance_changes.largest_decrease'),
    "' a month'",
]) %}
{%- set spend_up_reason = dbt.concat([
    "'spend up '", integer_text.format(value='variance_changes.largest_increase'), "' a month'"
]) %}
{%- set onboarding_reason = dbt.concat([
    "'onboarding '",
    integer_text.format(value='paying_weeks.days_beyond_target_go_live'),
    "' days past target go-live'",
]) %}
{%- set utilization_reason = dbt.concat([
    "'active users on '",
    integer_text.format(value='paying_weeks.seat_utilization * 100'),
    "'% of licensed seats'",
]) %}
{%- set usage_reason = dbt.concat([
    "'usage at '",
    integer_text.format(value='paying_weeks.usage_trend_ratio * 100'),
    "'% of the 4 weeks before'",
]) %}
{%- set adoption_reason = dbt.concat([
    "'uses '",
    integer_text.format(value='paying_weeks.entitled_features_used_share * 100'),
    "'% of the features in its plan'",
]) %}

with

indicators as (

    select * from {{ ref('fct_account_indicators_weekly') }}

),

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

escalations as (

    select * from {{ ref('fct_escalations') }}

),

terms as (

    select * from {{ ref('int_subscription_terms_spined') }}

),

variance as (

    select * from {{ ref('rpt_variance_outreach') }}

),

rules as (

    select * from {{ ref('play_rules') }}

),

paying_weeks as (

    select
        indicators.*,
        health.touch_tier,
        health.health_band,
        health.health_score,
        cast(
            {{ dbt.dateadd('day', 7, 'indicators.week_start_date') }} as {{ dbt.type_timestamp() }}
        ) as week_ends_before
    from indicators
    inner join health
        on indicators.account_week_id = health.account_week_id

),

win_back as (

    select
        paying_weeks.account_week_id,
        count(*) as trouble_escalations,
        max(rules.window_days) as window_days
    from paying_weeks
    inner join rules
        on rules.play = 'win_back'
    inner join escalations
        on
            paying_weeks.account_id = escalations.account_id
            and escalations.escalation_type = 'trouble'
            and paying_weeks.week_ends_before > escalations.escalated_at
            and escalations.escalated_at
            >= {{ dbt.dateadd('day', '0 - rules.window_days', 'paying_weeks.week_ends_before') }}
    group by paying_weeks.account_week_id
    having count(*) >= max(rules.threshold)

),

renewal_at_risk as (

    select
        paying_weeks.account_week_id,
        min(terms.term_ends_at) as next_renewal_at
    from paying_weeks
    inner join rules
        on rules.play = 'renewal_at_risk'
    inner join terms
        on
            paying_weeks.account_id = terms.account_id
            and paying_weeks.week_ends_before <= terms.term_ends_at
            and terms.term_ends_at
            < {{ dbt.dateadd('day', 'rules.window_days', 'paying_weeks.week_ends_before') }}
            and (terms.ended_at is null or terms.ended_at >= terms.term_ends_at)
    where paying_weeks.health_band = 'red'
    group by paying_weeks.account_week_id

),

opportunity_escalations as (

    select
        paying_weeks.account_week_id,
        count(*) as opportunity_escalations
    from paying_weeks
    inner join rules
        on rules.play = 'upsell'
    inner join escalations
        on
            paying_weeks.account_id = escalations.account_id
            and escalations.escalation_type = 'opportunity'
            and paying_weeks.week_ends_before > escalations.escalated_at
            and escalations.escalated_at
            >= {{ dbt.dateadd('day', '0 - rules.window_days', 'paying_weeks.week_ends_before') }}
    group by paying_weeks.account_week_id

),

variance_changes as (

    select
        paying_weeks.account_week_id,
        max(variance.mrr_change) as largest_increase,
        min(variance.mrr_change) as largest_decrease
    from paying_weeks
    inner join rules
        on rules.play = 'variance_outreach'
    inner join variance
        on
            paying_weeks.account_id = variance.account_id
            -- a change is known at the end of the month it was measured in
            and cast({{ dbt.dateadd('month', 1, 'variance.month_start_date') }} as date)
            <= paying_weeks.week_end_date
            and cast({{ dbt.dateadd('month', 1, 'variance.month_start_date') }} as date)
            > cast(
                {{ dbt.dateadd('day', '0 - rules.window_days', 'paying_weeks.week_end_date') }}
                as date
            )
    group by paying_weeks.account_week_id

),

signals as (

    select
        win_back.account_week_id,
        'win_back' as play,
        {{ win_back_reason }}
            as play_reason
    from win_back
    union all
    select
        renewal_at_risk.account_week_id,
        'renewal_at_risk' as play,
        {{ renewal_reason }}
            as play_reason
    from renewal_at_risk
    union all
    select
        paying_weeks.account_week_id,
        'executive_sponsor_gap' as play,
        case
            when paying_weeks.days_since_last_executive_engagement is null
                then 'no executive engagement yet'
            else {{ executive_gap_reason }}
        end as play_reason
    from paying_weeks
    inner join rules
        on rules.play = 'executive_sponsor_gap'
    where
        paying_weeks.touch_tier = 'high_touch'
        and coalesce(
            paying_weeks.days_since_last_executive_engagement, paying_weeks.account_age_days
        ) > rules.window_days
    union all
    select
        variance_changes.account_week_id,
        'variance_outreach' as play,
        case
            when variance_changes.largest_decrease < 0
                then {{ spend_down_reason }}
            else {{ spend_up_reason }}
        end as play_reason
    from variance_changes
    union all
    select
        paying_weeks.account_week_id,
        'onboarding_stalled' as play,
        {{ onboarding_reason }}
            as play_reason
    from paying_weeks
    inner join rules
        on rules.play = 'onboarding_stalled'
    where
        paying_weeks.is_onboarding
        and paying_weeks.days_beyond_target_go_live > rules.threshold
    union all
    select
        paying_weeks.account_week_id,
        'upsell' as play,
        case
            when paying_weeks.seat_utilization >= rules.threshold
                then {{ utilization_reason }}
            else 'opportunity escalation from Support'
        end as play_reason
    from paying_weeks
    inner join rules
        on rules.play = 'upsell'
    left join opportunity_escalations
        on paying_weeks.account_week_id = opportunity_escalations.account_week_id
    where
        paying_weeks.seat_utilization >= rules.threshold
        or opportunity_escalations.account_week_id is not null
    union all
    select
        paying_weeks.account_week_id,
        're_engagement' as play,
        case
            when paying_weeks.usage_trend_ratio < rules.threshold
                then {{ usage_reason }}
            else {{ adoption_reason }}
        end as play_reason
    from paying_weeks
    inner join rules
        on rules.play = 're_engagement'
    where
        paying_weeks.usage_trend_ratio < rules.threshold
        or paying_weeks.entitled_features_used_share < rules.secondary_threshold

),

final as (

    select
        {{ surrogate_key(['signals.account_week_id', 'signals.play']) }} as account_week_play_id,
        signals.account_week_id,
        paying_weeks.account_id,
        paying_weeks.week_start_date,
        paying_weeks.touch_tier,
        signals.play,
        rules.priority,
        signals.play_reason
    from signals
    inner join paying_weeks
        on signals.account_week_id = paying_weeks.account_week_id
    inner join rules
        on signals.play = rules.play

)

select * from final
