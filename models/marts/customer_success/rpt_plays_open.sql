{#
    One row per account and play open in the latest week: the recommended action, why, how
    urgent (priority 1 is most urgent), who owns it (the account's CSM; tech-touch accounts are
    worked by automated campaigns) and since when its trigger has held without a break.
#}

{%- set monday_2000 = "cast('2000-01-03' as date)" %}

with

signals as (

    select * from {{ ref('fct_account_play_signals_weekly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

latest_week as (

    select max(week_start_date) as week_start_date from signals

),

streaks as (

    select
        *,
        -- consecutive weeks share a key: weeks since a fixed Monday minus the row number
        {{ dbt.datediff(monday_2000, 'week_start_date', 'week') }}
        - row_number() over (partition by account_id, play order by week_start_date)
            as streak_key
    from signals

),

streak_starts as (

    select
        account_id,
        play,
        streak_key,
        min(week_start_date) as open_since_week_start_date,
        max(week_start_date) as last_week_start_date
    from streaks
    group by account_id, play, streak_key

),

final as (

    select
        signals.account_week_play_id as open_play_id,
        signals.account_id,
        signals.play,
        signals.priority,
        signals.play_reason,
        signals.touch_tier,
        case
            when signals.touch_tier = 'tech_touch' then 'tech_touch_automation'
            else coalesce(accounts.owner_csm_id, 'unassigned')
        end as play_owner,
        accounts.owner_csm_id,
        streak_starts.open_since_week_start_date,
        signals.week_start_date as as_of_week_start_date
    from signals
    inner join latest_week
        on signals.week_start_date = latest_week.week_start_date
    inner join streaks
        on signals.account_week_play_id = streaks.account_week_play_id
    inner join streak_starts
        on
            streaks.account_id = streak_starts.account_id
            and streaks.play = streak_starts.play
            and streaks.streak_key = streak_starts.streak_key
    inner join accounts
        on signals.account_id = accounts.account_id

)

select * from final
