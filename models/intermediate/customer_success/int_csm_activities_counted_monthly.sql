{#
    One row per CSM and month with any activity: engagement activities the CSM logged,
    executive business reviews among them, and onboarding projects the CSM took live that month
    with their average days from kick-off to go-live.
#}

with

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

projects as (

    select * from {{ ref('stg_crm__onboarding_projects') }}

),

activity_counts as (

    select
        csm_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month_start_date,
        count(*) as engagement_activities,
        sum(case when activity_type = 'executive_business_review' then 1 else 0 end)
            as executive_business_reviews
    from activities
    where csm_id is not null
    group by csm_id, cast({{ dbt.date_trunc('month', 'occurred_at') }} as date)

),

go_lives as (

    select
        csm_id,
        cast({{ dbt.date_trunc('month', 'go_live_date') }} as date) as month_start_date,
        count(*) as onboardings_completed,
        avg({{ dbt.datediff('started_date', 'go_live_date', 'day') }}) as average_onboarding_days
    from projects
    where csm_id is not null and go_live_date is not null
    group by csm_id, cast({{ dbt.date_trunc('month', 'go_live_date') }} as date)

),

final as (

    select
        coalesce(activity_counts.csm_id, go_lives.csm_id) as csm_id,
        coalesce(activity_counts.month_start_date, go_lives.month_start_date)
            as month_start_date,
        coalesce(activity_counts.engagement_activities, 0) as engagement_activities,
        coalesce(activity_counts.executive_business_reviews, 0) as executive_business_reviews,
        coalesce(go_lives.onboardings_completed, 0) as onboardings_completed,
        go_lives.average_onboarding_days
    from activity_counts
    full outer join go_lives
        on
            activity_counts.csm_id = go_lives.csm_id
            and activity_counts.month_start_date = go_lives.month_start_date

)

select * from final
