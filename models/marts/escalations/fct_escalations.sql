{#
    One row per escalation from Support to Customer Success: what it was (trouble or
    opportunity, reason, product, severity), how fast it moved (hours from ticket to escalation,
    to CS acceptance, to resolution), who owned the account and in which tier, whether the
    account had been escalated in the 90 days before (a repeat), and what happened to the
    account's MRR in the 90 days after (churn, contraction, expansion), once that window is
    observed.
#}

with

escalations as (

    select * from {{ ref('stg_support_desk__escalations') }}

),

tickets as (

    -- Deleted tickets never reach a mart (counted in rpt_support_tickets_weekly).
    select * from {{ ref('stg_support_desk__tickets') }}
    where not is_deleted

),

tiers as (

    select * from {{ ref('int_account_tiers_assigned_monthly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

reporting as (

    select max(reporting_date) as reporting_date from months

),

earlier_escalations as (

    select
        escalations.escalation_id,
        count(previous.escalation_id) as escalations_in_previous_90d
    from escalations
    left join escalations as previous
        on
            escalations.account_id = previous.account_id
            and escalations.escalated_at > previous.escalated_at
            and previous.escalated_at
            >= {{ dbt.dateadd('day', -90, 'escalations.escalated_at') }}
    group by escalations.escalation_id

),

following_movements as (

    select
        escalations.escalation_id,
        max(case when movements.movement_type = 'churn' then 1 else 0 end) as has_churn,
        max(case when movements.movement_type = 'contraction' then 1 else 0 end)
            as has_contraction,
        max(case when movements.movement_type = 'expansion' then 1 else 0 end) as has_expansion
    from escalations
    inner join movements
        on
            escalations.account_id = movements.account_id
            -- a movement is measured at its month's end
            and cast({{ dbt.dateadd('month', 1, 'movements.month_start_date') }} as date)
            > cast(escalations.escalated_at as date)
            and cast({{ dbt.dateadd('month', 1, 'movements.month_start_date') }} as date)
            <= cast({{ dbt.dateadd('day', 91, 'escalations.escalated_at') }} as date)
    group by escalations.escalation_id

),

final as (

    select
        escalations.escalation_id,
        escalations.ticket_id,
        escalations.account_id,
        escalations.escalation_type,
        escalations.reason,
        escalations.product_id,
        escalations.severity,
        escalations.outcome,
        tiers.touch_tier,
        accounts.owner_csm_id,
        tickets.created_at as ticket_created_at,
        escalations.escalated_at,
        escalations.accepted_at,
        escalations.resolved_at,
        cast({{ dbt.date_trunc('week', 'escalations.escalated_at') }} as date)
            as escalated_week_start_date,
        cast({{ dbt.date_trunc('month', 'escalations.escalated_at') }} as date)
            as escalated_month_start_date,
        {{ hours_between('tickets.created_at', 'escalations.escalated_at') }}
            as hours_ticket_to_escalation,
        {{ hours_between('escalations.escalated_at', 'escalations.accepted_at') }}
            as hours_to_acceptance,
        {{ hours_between('escalations.escalated_at', 'escalations.resolved_at') }}
            as hours_to_resolution,
        earlier_escalations.escalations_in_previous_90d > 0 as is_repeat_escalation,
        cast({{ dbt.dateadd('day', 90, 'escalations.escalated_at') }} as date)
        <= reporting.reporting_date as is_observed_90d,
        coalesce(following_movements.has_churn, 0) = 1 as is_followed_by_churn_90d,
        coalesce(following_movements.has_contraction, 0) = 1 as is_followed_by_contraction_90d,
        coalesce(following_movements.has_expansion, 0) = 1 as is_followed_by_expansion_90d
    from escalations
    cross join reporting
    inner join earlier_escalations
        on escalations.escalation_id = earlier_escalations.escalation_id
    left join tickets
        on escalations.ticket_id = tickets.ticket_id
    left join tiers
        on
            escalations.account_id = tiers.account_id
            and cast({{ dbt.date_trunc('month', 'escalations.escalated_at') }} as date)
            = tiers.month_start_date
    left join accounts
        on escalations.account_id = accounts.account_id
    left join following_movements
        on escalations.escalation_id = following_movements.escalation_id

)

select * from final
