{#
    Onboarding indicators per account per week, from the account's latest onboarding project
    started by the week's end: objectives documented, the average rating of the account's
    projects (a rating is known once the project is live), days in onboarding (to go-live, or to
    the week's end while not live), days beyond the target go-live date, and product usage
    during onboarding (share of onboarding days with any use). A go-live, rating or cancellation
    after the week's end is not known yet; a project known to be cancelled is not onboarding.

    Incremental (macros/incremental): every figure is of one account-week, so a run recomputes
    the newest `incremental_lookback_weeks` weeks and any new week from the whole history.
#}

{{ config(**incremental_config(unique_key='account_week_id', partition_by='week_start_date')) }}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}
    where week_start_date >= {{ weekly_reprocess_from() }}

),

projects as (

    select * from {{ ref('stg_crm__onboarding_projects') }}

),

usage as (

    select * from {{ ref('stg_product_usage__daily_feature_usage') }}

),

projects_known as (

    select
        grid.account_week_id,
        grid.week_end_date,
        projects.onboarding_project_id,
        projects.account_id,
        projects.started_date,
        projects.target_go_live_date,
        projects.has_documented_objectives,
        case
            when projects.go_live_date <= grid.week_end_date then projects.go_live_date
        end as go_live_date_known,
        projects.status = 'cancelled'
        and projects.updated_at < grid.week_ends_before as is_cancelled_known,
        case
            when projects.go_live_date <= grid.week_end_date then projects.onboarding_rating
        end as onboarding_rating_known,
        row_number() over (
            partition by grid.account_week_id
            order by projects.started_date desc, projects.onboarding_project_id desc
        ) as recency_rank
    from grid
    inner join projects
        on
            grid.account_id = projects.account_id
            and grid.week_end_date >= projects.started_date

),

ratings as (

    select
        account_week_id,
        avg(onboarding_rating_known) as average_onboarding_rating
    from projects_known
    group by account_week_id

),

latest_project as (

    select
        *,
        coalesce(go_live_date_known, week_end_date) as onboarding_measured_to_date
    from projects_known
    where recency_rank = 1

),

usage_days as (

    select distinct
        account_id,
        usage_date
    from usage

),

onboarding_usage as (

    select
        latest_project.account_week_id,
        count(usage_days.usage_date) as onboarding_days_with_usage
    from latest_project
    inner join usage_days
        on
            latest_project.account_id = usage_days.account_id
            and latest_project.started_date <= usage_days.usage_date
            and latest_project.onboarding_measured_to_date >= usage_days.usage_date
    group by latest_project.account_week_id

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        latest_project.onboarding_project_id,
        latest_project.has_documented_objectives,
        ratings.average_onboarding_rating,
        latest_project.go_live_date_known is null
        and not latest_project.is_cancelled_known
        and latest_project.onboarding_project_id is not null as is_onboarding,
        {{ dbt.datediff(
            'latest_project.started_date', 'latest_project.onboarding_measured_to_date', 'day'
        ) }} as days_in_onboarding,
        case
            when latest_project.onboarding_measured_to_date > latest_project.target_go_live_date
                then {{ dbt.datediff(
                    'latest_project.target_go_live_date',
                    'latest_project.onboarding_measured_to_date',
                    'day'
                ) }}
            when latest_project.target_go_live_date is not null then 0
        end as days_beyond_target_go_live,
        1.0 * coalesce(onboarding_usage.onboarding_days_with_usage, 0)
        / nullif(
            {{ dbt.datediff(
                'latest_project.started_date', 'latest_project.onboarding_measured_to_date', 'day'
            ) }} + 1,
            0
        ) as onboarding_usage_day_share
    from grid
    left join latest_project
        on grid.account_week_id = latest_project.account_week_id
    left join ratings
        on grid.account_week_id = ratings.account_week_id
    left join onboarding_usage
        on grid.account_week_id = onboarding_usage.account_week_id

)

select * from final
