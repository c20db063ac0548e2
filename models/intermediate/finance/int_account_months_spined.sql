{#
    One row per account per month from the account's first paid month to the reporting month:
    its products' recurring revenue summed to the account (int_account_products_snapshotted_monthly),
    zero-filled after churn so every month-over-month comparison has both sides. The account-month
    grain every finance model builds on (fct_account_mrr_monthly publishes it).
#}

with

account_products as (

    select * from {{ ref('int_account_products_snapshotted_monthly') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

account_months as (

    select
        account_id,
        month_start_date,
        sum(mrr) as mrr,
        sum(gross_mrr) as gross_mrr,
        sum(discount_mrr) as discount_mrr,
        sum(paused_mrr) as paused_mrr,
        case
            when count(currency) = count(*) and min(currency) = max(currency) then max(currency)
        end as billing_currency,
        sum(mrr_in_currency) as mrr_in_currency,
        sum(case when product_kind = 'core' then mrr else 0 end) as core_mrr,
        sum(case when product_kind = 'add_on' then mrr else 0 end) as add_on_mrr,
        sum(seats) as seats,
        sum(case when product_kind = 'core' then seats else 0 end) as core_seats,
        count(distinct product_id) as product_count,
        max(case when product_kind = 'core' then plan_tier end) as core_plan_tier
    from account_products
    where mrr > 0
    group by account_id, month_start_date

),

first_paid_months as (

    select
        account_id,
        min(month_start_date) as first_paid_month_start_date
    from account_months
    group by account_id

),

account_month_grid as (

    select
        first_paid_months.account_id,
        first_paid_months.first_paid_month_start_date,
        months.month_start_date,
        months.is_complete_month
    from first_paid_months
    inner join months
        on first_paid_months.first_paid_month_start_date <= months.month_start_date

),

final as (

    select
        {{ surrogate_key(
            ['account_month_grid.account_id', 'account_month_grid.month_start_date']
        ) }}
            as account_month_id,
        account_month_grid.account_id,
        account_month_grid.month_start_date,
        account_month_grid.first_paid_month_start_date,
        account_month_grid.is_complete_month,
        coalesce(account_months.mrr, 0) as mrr,
        coalesce(account_months.mrr, 0) * 12 as arr,
        coalesce(account_months.gross_mrr, 0) as gross_mrr,
        coalesce(account_months.discount_mrr, 0) as discount_mrr,
        coalesce(account_months.paused_mrr, 0) as paused_mrr,
        account_months.billing_currency,
        case
            when account_months.billing_currency is not null then account_months.mrr_in_currency
        end as mrr_in_billing_currency,
        coalesce(account_months.core_mrr, 0) as core_mrr,
        coalesce(account_months.add_on_mrr, 0) as add_on_mrr,
        coalesce(account_months.seats, 0) as seats,
        coalesce(account_months.core_seats, 0) as core_seats,
        coalesce(account_months.product_count, 0) as product_count,
        account_months.core_plan_tier,
        coalesce(account_months.mrr, 0) > 0 as is_paying
    from account_month_grid
    left join account_months
        on
            account_month_grid.account_id = account_months.account_id
            and account_month_grid.month_start_date = account_months.month_start_date

)

select * from final
