{#
    Usage, adoption and utilization indicators per account per week, from daily feature usage up
    to the week's end. Usage is reported per feature, so an account's daily active users are the
    most users any one feature had that day (a lower bound of distinct users), and monthly active
    users are approximated by the peak daily active users over the last 28 days.

    Incremental (macros/incremental): a run recomputes the newest `incremental_lookback_weeks`
    weeks and any new week, reading 7 weeks more of input for the 8-week rolling windows.
#}

{{ config(**incremental_config(unique_key='account_week_id', partition_by='week_start_date')) }}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}
    where week_start_date >= {{ weekly_reprocess_from(extra_weeks=7) }}

),

usage as (

    select * from {{ ref('stg_product_usage__daily_feature_usage') }}
    where usage_date >= {{ weekly_reprocess_from(extra_weeks=7) }}

),

features as (

    select * from {{ ref('stg_product_usage__features') }}

),

account_products as (

    select * from {{ ref('int_account_products_snapshotted_weekly') }}

),

-- At most one row: whether any usage was ever delivered. Without any, "no use" cannot be told
-- from "product analytics not connected", so the usage figures are unknown (null), not zero.
first_usage as (

    select usage_date from usage
    limit 1  -- noqa: AM09

),

usage_delivery as (

    select count(*) > 0 as has_usage
    from first_usage

),

daily as (

    select
        usage.account_id,
        usage.usage_date,
        max(usage.active_users) as daily_active_users,
        sum(usage.event_count) as events,
        sum(case when features.is_core_value_feature then usage.event_count else 0 end)
            as core_value_events
    from usage
    inner join features
        on usage.feature_id = features.feature_id
    group by usage.account_id, usage.usage_date

),

weekly as (

    select
        account_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start_date,
        sum(daily_active_users) as daily_active_user_days,
        max(daily_active_users) as peak_daily_active_users,
        sum(events) as events,
        sum(core_value_events) as core_value_events
    from daily
    group by account_id, cast({{ dbt.date_trunc('week', 'usage_date') }} as date)

),

rolling as (

    select
        grid.account_week_id,
        1.0 * coalesce(weekly.daily_active_user_days, 0) / 7 as daily_active_users_avg_7d,
        1.0 * sum(coalesce(weekly.daily_active_user_days, 0)) over last_4_weeks / 28
            as daily_active_users_avg_28d,
        max(coalesce(weekly.peak_daily_active_users, 0)) over last_4_weeks
            as peak_daily_active_users_28d,
        sum(coalesce(weekly.events, 0)) over last_4_weeks as events_last_4_weeks,
        sum(coalesce(weekly.events, 0)) over previous_4_weeks as events_previous_4_weeks,
        sum(coalesce(weekly.core_value_events, 0)) over last_4_weeks
            as core_value_events_last_4_weeks
    from grid
    left join weekly
        on
            grid.account_id = weekly.account_id
            and grid.week_start_date = weekly.week_start_date
    window
        last_4_weeks as (
            partition by grid.account_id order by grid.week_start_date
            rows between 3 preceding and current row
        ),
        previous_4_weeks as (
            partition by grid.account_id order by grid.week_start_date
            rows between 7 preceding and 4 preceding
        )

),

feature_weeks as (

    select distinct
        account_id,
        feature_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start_date
    from usage

),

-- The weeks whose 28-day window (that week and the 3 before) each feature-week counts in: an
-- equi-join on the week below instead of a range join on dates, which every engine hashes.
shifted_feature_weeks as (

    {% for weeks_later in range(4) -%}
        select
            account_id,
            feature_id,
            cast({{ dbt.dateadd('day', 7 * weeks_later, 'week_start_date') }} as date)
                as week_start_date
        from feature_weeks
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

feature_used_in_window as (

    select distinct
        account_id,
        feature_id,
        week_start_date
    from shifted_feature_weeks

),

entitled_features as (

    select
        account_products.account_id,
        account_products.week_start_date,
        features.feature_id,
        features.is_core_value_feature
    from account_products
    inner join grid
        on
            account_products.account_id = grid.account_id
            and account_products.week_start_date = grid.week_start_date
    inner join features
        on
            account_products.product_id = features.product_id
            and grid.week_ends_before > features.released_date
            and (
                account_products.product_kind = 'add_on'
                or case features.included_from_tier
                    when 'starter' then 1 when 'growth' then 2 else 3
                end
                <= case account_products.plan_tier
                    when 'starter' then 1 when 'growth' then 2 when 'enterprise' then 3 else 0
                end
            )

),

entitled_feature_use as (

    select
        entitled_features.account_id,
        entitled_features.week_start_date,
        entitled_features.feature_id,
        entitled_features.is_core_value_feature,
        max(case when feature_used_in_window.feature_id is not null then 1 else 0 end) as was_used
    from entitled_features
    left join feature_used_in_window
        on
            entitled_features.account_id = feature_used_in_window.account_id
            and entitled_features.feature_id = feature_used_in_window.feature_id
            and entitled_features.week_start_date = feature_used_in_window.week_start_date
    group by
        entitled_features.account_id,
        entitled_features.week_start_date,
        entitled_features.feature_id,
        entitled_features.is_core_value_feature

),

adoption as (

    select
        account_id,
        week_start_date,
        count(*) as entitled_features,
        sum(was_used) as entitled_features_used_28d,
        sum(case when is_core_value_feature then 1 else 0 end) as core_value_features,
        sum(case when is_core_value_feature then was_used else 0 end)
            as core_value_features_used_28d
    from entitled_feature_use
    group by account_id, week_start_date

),

product_catalogue as (

    select count(distinct product_id) as products_offered from features

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        case when usage_delivery.has_usage then rolling.daily_active_users_avg_7d end
            as daily_active_users_avg_7d,
        case when usage_delivery.has_usage then rolling.daily_active_users_avg_28d end
            as daily_active_users_avg_28d,
        case when usage_delivery.has_usage then rolling.peak_daily_active_users_28d end
            as peak_daily_active_users_28d,
        1.0 * rolling.daily_active_users_avg_28d
        / nullif(rolling.peak_daily_active_users_28d, 0) as stickiness_dau_mau,
        adoption.entitled_features,
        adoption.entitled_features_used_28d,
        1.0 * adoption.entitled_features_used_28d
        / nullif(adoption.entitled_features, 0) as entitled_features_used_share,
        adoption.core_value_features_used_28d,
        1.0 * adoption.core_value_features_used_28d
        / nullif(adoption.core_value_features, 0) as core_value_features_used_share,
        case when usage_delivery.has_usage then rolling.core_value_events_last_4_weeks end
            as core_value_events_last_4_weeks,
        1.0 * grid.products_subscribed
        / nullif(product_catalogue.products_offered, 0) as product_stack_share,
        case when usage_delivery.has_usage then rolling.events_last_4_weeks end
            as events_last_4_weeks,
        case when usage_delivery.has_usage then rolling.events_previous_4_weeks end
            as events_previous_4_weeks,
        1.0 * rolling.events_last_4_weeks
        / nullif(rolling.events_previous_4_weeks, 0) as usage_trend_ratio,
        grid.licensed_seats,
        case
            when usage_delivery.has_usage
                then 1.0 * rolling.peak_daily_active_users_28d / nullif(grid.licensed_seats, 0)
        end as seat_utilization
    from grid
    cross join product_catalogue
    cross join usage_delivery
    inner join rolling
        on grid.account_week_id = rolling.account_week_id
    left join adoption
        on
            grid.account_id = adoption.account_id
            and grid.week_start_date = adoption.week_start_date
    where grid.week_start_date >= {{ weekly_reprocess_from() }}

)

select * from final
