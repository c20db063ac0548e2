{#
    Business-outcome and support indicators per account per week. Goals count by their status at
    the week's end: a goal whose last status change came after the week's end is counted in the
    status every goal starts in (on_track), since the extract keeps only the latest status.
    Tickets and escalations count by when they were opened, in the last 30 and 90 days.
    A count whose source table never delivered a row is unknown (null), not zero: no tickets
    cannot be told from a support desk that is not connected.
#}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}

),

goals as (

    select * from {{ ref('stg_crm__success_plan_goals') }}

),

tickets as (

    -- Deleted tickets never reach a mart (counted in rpt_support_tickets_weekly).
    select * from {{ ref('stg_support_desk__tickets') }}
    where not is_deleted

),

escalations as (

    select * from {{ ref('stg_support_desk__escalations') }}

),

-- Whether each table ever delivered a row: reading one row (any row will do) is enough.
first_goal as (

    select goal_id from goals
    limit 1  -- noqa: AM09

),

goals_delivery as (

    select count(*) > 0 as has_goals
    from first_goal

),

first_ticket as (

    select ticket_id from tickets
    limit 1  -- noqa: AM09

),

tickets_delivery as (

    select count(*) > 0 as has_tickets
    from first_ticket

),

first_escalation as (

    select escalation_id from escalations
    limit 1  -- noqa: AM09

),

escalations_delivery as (

    select count(*) > 0 as has_escalations
    from first_escalation

),

goal_status as (

    select
        grid.account_week_id,
        case
            when goals.updated_at < grid.week_ends_before then goals.status
            else 'on_track'
        end as status_known
    from grid
    inner join goals
        on
            grid.account_id = goals.account_id
            and grid.week_ends_before > goals.created_at

),

goal_counts as (

    select
        account_week_id,
        sum(case when status_known = 'achieved' then 1 else 0 end) as goals_achieved,
        sum(case when status_known = 'on_track' then 1 else 0 end) as goals_on_track,
        sum(case when status_known = 'at_risk' then 1 else 0 end) as goals_at_risk,
        sum(case when status_known = 'missed' then 1 else 0 end) as goals_missed
    from goal_status
    group by account_week_id

),

ticket_counts as (

    select
        grid.account_week_id,
        sum(
            case
                when tickets.created_at >= {{ dbt.dateadd('day', -30, 'grid.week_ends_before') }}
                    then 1
                else 0
            end
        ) as tickets_30d,
        count(*) as tickets_90d
    from grid
    inner join tickets
        on
            grid.account_id = tickets.account_id
            and grid.week_ends_before > tickets.created_at
            and tickets.created_at >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
    group by grid.account_week_id

),

escalation_counts as (

    select
        grid.account_week_id,
        {% for escalation_type in ['trouble', 'opportunity'] -%}
            sum(
                case
                    when escalations.escalation_type = '{{ escalation_type }}'
                        and escalations.escalated_at
                        >= {{ dbt.dateadd('day', -30, 'grid.week_ends_before') }}
                        then 1
                    else 0
                end
            ) as {{ escalation_type }}_escalations_30d,
            sum(
                case when escalations.escalation_type = '{{ escalation_type }}' then 1 else 0 end
            ) as {{ escalation_type }}_escalations_90d{% if not loop.last %},{% endif %}
        {% endfor %}
    from grid
    inner join escalations
        on
            grid.account_id = escalations.account_id
            and grid.week_ends_before > escalations.escalated_at
            and escalations.escalated_at >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
    group by grid.account_week_id

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        case
            when goals_delivery.has_goals
                then coalesce(goal_counts.goals_achieved, 0)
        end as goals_achieved,
        case
            when goals_delivery.has_goals
                then coalesce(goal_counts.goals_on_track, 0)
        end as goals_on_track,
        case
            when goals_delivery.has_goals
                then coalesce(goal_counts.goals_at_risk, 0)
        end as goals_at_risk,
        case
            when goals_delivery.has_goals
                then coalesce(goal_counts.goals_missed, 0)
        end as goals_missed,
        case
            when tickets_delivery.has_tickets
                then coalesce(ticket_counts.tickets_30d, 0)
        end as tickets_30d,
        case
            when tickets_delivery.has_tickets
                then coalesce(ticket_counts.tickets_90d, 0)
        end as tickets_90d,
        case
            when escalations_delivery.has_escalations
                then coalesce(escalation_counts.trouble_escalations_30d, 0)
        end as trouble_escalations_30d,
        case
            when escalations_delivery.has_escalations
                then coalesce(escalation_counts.trouble_escalations_90d, 0)
        end as trouble_escalations_90d,
        case
            when escalations_delivery.has_escalations
                then coalesce(escalation_counts.opportunity_escalations_30d, 0)
        end as opportunity_escalations_30d,
        case
            when escalations_delivery.has_escalations
                then coalesce(escalation_counts.opportunity_escalations_90d, 0)
        end as opportunity_escalations_90d
    from grid
    cross join goals_delivery
    cross join tickets_delivery
    cross join escalations_delivery
    left join goal_counts
        on grid.account_week_id = goal_counts.account_week_id
    left join ticket_counts
        on grid.account_week_id = ticket_counts.account_week_id
    left join escalation_counts
        on grid.account_week_id = escalation_counts.account_week_id

)

select * from final
