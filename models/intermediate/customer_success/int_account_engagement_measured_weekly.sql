{#
    Engagement and relationship indicators per account per week, from activities, tickets and
    contacts known at the week's end. "Proactive communication" is an email, call, meeting or
    executive business review the CS team started (a CSM logged it, direction proactive);
    "reactive communication" is a support ticket or an activity the customer started.
    While the CRM has never delivered an activity, "no engagement" cannot be told from "activities
    not connected", so the activity counts are unknown (null), not zero.
#}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

tickets as (

    -- Deleted tickets never reach a mart (counted in rpt_support_tickets_weekly).
    select * from {{ ref('stg_support_desk__tickets') }}
    where not is_deleted

),

-- At most one row: whether any activity was ever delivered.
first_activity as (

    select activity_id from activities
    limit 1  -- noqa: AM09

),

activity_delivery as (

    select count(*) > 0 as has_activities
    from first_activity

),

classified_activities as (

    select
        activities.account_id,
        activities.contact_id,
        activities.occurred_at,
        activities.is_high_value,
        activities.direction = 'proactive'
        and activities.csm_id is not null
        and activities.activity_type in ('email', 'call', 'meeting', 'executive_business_review')
            as is_proactive_communication,
        activities.direction = 'reactive' as is_reactive_communication,
        activities.activity_type in ('content_engagement', 'webinar') as is_content_engagement,
        coalesce(contacts.is_executive, false) as is_executive_contact,
        cast({{ dbt.date_trunc('week', 'activities.occurred_at') }} as date) as week_start_date
    from activities
    left join contacts
        on activities.contact_id = contacts.contact_id

),

reactive_events as (

    select
        account_id,
        occurred_at,
        week_start_date
    from classified_activities
    where is_reactive_communication
    union all
    select
        account_id,
        created_at as occurred_at,
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start_date
    from tickets

),

latest_in_week as (

    select
        account_id,
        week_start_date,
        max(case when is_proactive_communication then occurred_at end)
            as last_proactive_at,
        max(case when is_executive_contact then occurred_at end) as last_executive_at
    from classified_activities
    group by account_id, week_start_date

),

latest_reactive_in_week as (

    select
        account_id,
        week_start_date,
        max(occurred_at) as last_reactive_at
    from reactive_events
    group by account_id, week_start_date

),

contacts_created_in_week as (

    select
        account_id,
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start_date,
        count(*) as contacts_created
    from contacts
    group by account_id, cast({{ dbt.date_trunc('week', 'created_at') }} as date)

),

running as (

    select
        grid.account_week_id,
        max(latest_in_week.last_proactive_at) over (
            partition by grid.account_id order by grid.week_start_date
            rows between unbounded preceding and current row
        ) as last_proactive_at,
        max(latest_in_week.last_executive_at) over (
            partition by grid.account_id order by grid.week_start_date
            rows between unbounded preceding and current row
        ) as last_executive_at,
        max(latest_reactive_in_week.last_reactive_at) over (
            partition by grid.account_id order by grid.week_start_date
            rows between unbounded preceding and current row
        ) as last_reactive_at,
        sum(coalesce(contacts_created_in_week.contacts_created, 0)) over (
            partition by grid.account_id order by grid.week_start_date
            rows between unbounded preceding and current row
        ) as contacts_known
    from grid
    left join latest_in_week
        on
            grid.account_id = latest_in_week.account_id
            and grid.week_start_date = latest_in_week.week_start_date
    left join latest_reactive_in_week
        on
            grid.account_id = latest_reactive_in_week.account_id
            and grid.week_start_date = latest_reactive_in_week.week_start_date
    left join contacts_created_in_week
        on
            grid.account_id = contacts_created_in_week.account_id
            and grid.week_start_date = contacts_created_in_week.week_start_date

),

windowed as (

    select
        grid.account_week_id,
        {% for days in [15, 30, 45, 60] -%}
            sum(
                case
                    when classified_activities.is_high_value
                        and classified_activities.occurred_at
                        >= {{ dbt.dateadd('day', -days, 'grid.week_ends_before') }}
                        then 1
                    else 0
                end
            ) as high_value_engagements_{{ days }}d,
        {% endfor -%}
        count(distinct classified_activities.contact_id) as engaged_contacts_90d,
        count(
            distinct case
                when classified_activities.is_executive_contact
                    then classified_activities.contact_id
            end
        ) as engaged_executive_contacts_90d,
        count(
            distinct case
                when classified_activities.is_content_engagement
                    then classified_activities.contact_id
            end
        ) as content_engaged_contacts_90d
    from grid
    inner join classified_activities
        on
            grid.account_id = classified_activities.account_id
            and grid.week_ends_before > classified_activities.occurred_at
            and classified_activities.occurred_at
            >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
    group by grid.account_week_id

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        {% for days in [15, 30, 45, 60] -%}
            case
                when activity_delivery.has_activities
                    then coalesce(windowed.high_value_engagements_{{ days }}d, 0)
            end as high_value_engagements_{{ days }}d,
        {% endfor -%}
        {{ dbt.datediff('running.last_proactive_at', 'grid.week_ends_before', 'day') }}
            as days_since_last_proactive_communication,
        {{ dbt.datediff('running.last_reactive_at', 'grid.week_ends_before', 'day') }}
            as days_since_last_reactive_communication,
        running.contacts_known,
        case
            when activity_delivery.has_activities
                then coalesce(windowed.engaged_contacts_90d, 0)
        end as engaged_contacts_90d,
        case
            when activity_delivery.has_activities
                then coalesce(windowed.engaged_executive_contacts_90d, 0)
        end as engaged_executive_contacts_90d,
        {{ dbt.datediff('running.last_executive_at', 'grid.week_ends_before', 'day') }}
            as days_since_last_executive_engagement,
        case
            when activity_delivery.has_activities
                then
                    1.0 * coalesce(windowed.content_engaged_contacts_90d, 0)
                    / nullif(running.contacts_known, 0)
        end as content_engaged_contacts_share_90d
    from grid
    cross join activity_delivery
    inner join running
        on grid.account_week_id = running.account_week_id
    left join windowed
        on grid.account_week_id = windowed.account_week_id

)

select * from final
