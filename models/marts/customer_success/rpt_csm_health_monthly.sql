{#
    One row per CSM and month: the health-band distribution and advocates of the CSM's book in
    the month's last scored week, and saves: renewals in the month of accounts that were red at
    some point in the year before the renewal and had recovered (a later week not red) before it.
#}

with

health as (

    select * from {{ ref('fct_account_health_weekly') }}

),

indicators as (

    select * from {{ ref('fct_account_indicators_weekly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

renewals as (

    select * from {{ ref('fct_renewals') }}

),

last_weeks as (

    select
        cast({{ dbt.date_trunc('month', 'week_start_date') }} as date) as month_start_date,
        max(week_start_date) as week_start_date
    from health
    group by cast({{ dbt.date_trunc('month', 'week_start_date') }} as date)

),

book_health as (

    select
        accounts.owner_csm_id as csm_id,
        last_weeks.month_start_date,
        sum(case when health.health_band = 'red' then 1 else 0 end) as red_accounts,
        sum(case when health.health_band = 'yellow' then 1 else 0 end) as yellow_accounts,
        sum(case when health.health_band = 'green' then 1 else 0 end) as green_accounts,
        avg(health.health_score) as average_health_score,
        sum(indicators.advocates) as advocates
    from health
    inner join last_weeks
        on health.week_start_date = last_weeks.week_start_date
    inner join indicators
        on health.account_week_id = indicators.account_week_id
    inner join accounts
        on health.account_id = accounts.account_id
    where accounts.owner_csm_id is not null
    group by accounts.owner_csm_id, last_weeks.month_start_date

),

red_then_recovered as (

    select
        renewals.subscription_term_id,
        min(red_week.week_start_date) as first_red_week_start_date
    from renewals
    inner join health as red_week
        on
            renewals.account_id = red_week.account_id
            and red_week.health_band = 'red'
            and red_week.week_start_date < cast(renewals.term_ends_at as date)
            and red_week.week_start_date
            >= cast({{ dbt.dateadd('day', -365, 'renewals.term_ends_at') }} as date)
    inner join health as recovered_week
        on
            renewals.account_id = recovered_week.account_id
            and recovered_week.health_band != 'red'
            and red_week.week_start_date < recovered_week.week_start_date
            and recovered_week.week_start_date < cast(renewals.term_ends_at as date)
    where renewals.is_renewed
    group by renewals.subscription_term_id

),

saves as (

    select
        renewals.owner_csm_id as csm_id,
        renewals.renewal_month_start_date as month_start_date,
        count(*) as saves
    from renewals
    inner join red_then_recovered
        on renewals.subscription_term_id = red_then_recovered.subscription_term_id
    where renewals.owner_csm_id is not null
    group by renewals.owner_csm_id, renewals.renewal_month_start_date

),

final as (

    select
        coalesce(book_health.csm_id, saves.csm_id) as csm_id,
        coalesce(book_health.month_start_date, saves.month_start_date) as month_start_date,
        cast(coalesce(book_health.red_accounts, 0) as {{ dbt.type_bigint() }}) as red_accounts,
        cast(coalesce(book_health.yellow_accounts, 0) as {{ dbt.type_bigint() }})
            as yellow_accounts,
        cast(coalesce(book_health.green_accounts, 0) as {{ dbt.type_bigint() }}) as green_accounts,
        book_health.average_health_score,
        cast(coalesce(book_health.advocates, 0) as {{ dbt.type_bigint() }}) as advocates,
        cast(coalesce(saves.saves, 0) as {{ dbt.type_bigint() }}) as saves
    from book_health
    full outer join saves
        on
            book_health.csm_id = saves.csm_id
            and book_health.month_start_date = saves.month_start_date

)

select * from final
