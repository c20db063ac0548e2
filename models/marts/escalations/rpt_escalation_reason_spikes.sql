{#
    One row per week and trouble-escalation reason: how many distinct accounts were escalated
    for it, against the average of the eight weeks before. A reason spikes when at least
    `escalation_spike_min_accounts` accounts hit it in the week and that is at least
    `escalation_spike_ratio` times its baseline: many customers hitting the same problem at once
    is a systemic product issue, not one customer's.
#}

with

escalations as (

    select * from {{ ref('fct_escalations') }}

),

weeks as (

    select * from {{ ref('int_calendar_weeks_spined') }}

),

reasons as (

    select distinct reason
    from escalations
    where escalation_type = 'trouble'

),

weekly as (

    select
        escalated_week_start_date as week_start_date,
        reason,
        count(distinct account_id) as accounts_escalated,
        count(*) as escalations
    from escalations
    where escalation_type = 'trouble'
    group by escalated_week_start_date, reason

),

grid as (

    select
        weeks.week_start_date,
        reasons.reason,
        coalesce(weekly.accounts_escalated, 0) as accounts_escalated,
        coalesce(weekly.escalations, 0) as escalations
    from weeks
    cross join reasons
    left join weekly
        on
            weeks.week_start_date = weekly.week_start_date
            and reasons.reason = weekly.reason

),

with_baseline as (

    select
        *,
        -- zero-filled: weeks before the calendar starts count as weeks without escalations
        1.0 * coalesce(
            sum(accounts_escalated) over (
                partition by reason order by week_start_date
                rows between 8 preceding and 1 preceding
            ),
            0
        ) / 8 as baseline_accounts_escalated
    from grid

),

final as (

    select
        {{ surrogate_key(['week_start_date', 'reason']) }} as reason_week_id,
        week_start_date,
        reason,
        accounts_escalated,
        escalations,
        baseline_accounts_escalated,
        accounts_escalated >= {{ var('escalation_spike_min_accounts') }}
        and accounts_escalated
        >= {{ var('escalation_spike_ratio') }} * coalesce(baseline_accounts_escalated, 0)
            as is_spike
    from with_baseline
    where accounts_escalated > 0

)

select * from final
