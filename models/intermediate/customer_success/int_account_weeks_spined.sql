{#
    One row per account per week, from the week the account was created to the reporting date:
    the grid every weekly indicator is joined to, with what the account holds at the week's end
    (paying or not, MRR, core seats, plan tier, products) and its age.
#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

weeks as (

    select * from {{ ref('int_calendar_weeks_spined') }}

),

account_products as (

    select * from {{ ref('int_account_products_snapshotted_weekly') }}

),

holdings as (

    select
        account_id,
        week_start_date,
        sum(mrr) as mrr,
        sum(case when product_kind = 'core' then seats else 0 end) as licensed_seats,
        count(distinct product_id) as products_subscribed,
        max(
            case plan_tier when 'enterprise' then 3 when 'growth' then 2 when 'starter' then 1 end
        ) as plan_tier_rank
    from account_products
    group by account_id, week_start_date

),

final as (

    select
        {{ surrogate_key(['accounts.account_id', 'weeks.week_start_date']) }} as account_week_id,
        accounts.account_id,
        weeks.week_start_date,
        weeks.week_end_date,
        weeks.week_ends_before,
        accounts.created_at as account_created_at,
        {{ dbt.datediff('accounts.created_at', 'weeks.week_ends_before', 'day') }}
            as account_age_days,
        coalesce(holdings.mrr, 0) > 0 as is_paying,
        coalesce(holdings.mrr, 0) as mrr,
        coalesce(holdings.licensed_seats, 0) as licensed_seats,
        coalesce(holdings.products_subscribed, 0) as products_subscribed,
        coalesce(holdings.plan_tier_rank, 0) as plan_tier_rank
    from accounts
    inner join weeks
        on accounts.created_at < weeks.week_ends_before
    left join holdings
        on
            accounts.account_id = holdings.account_id
            and weeks.week_start_date = holdings.week_start_date

)

select * from final
