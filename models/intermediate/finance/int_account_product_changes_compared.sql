{#
    Each account's products compared with the month before, with the change in recurring revenue
    split by cause: a product added or removed, a plan change within a product (a swap, not a
    churn plus a new sale), seats, list or contracted price, and discounts starting or ending.
    The parts add up to the product's change in MRR exactly.
#}

with

account_products as (

    select * from {{ ref('int_account_products_snapshotted_monthly') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

previous_month_products as (

    select
        account_id,
        cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as date) as month_start_date,
        product_id,
        plan_id,
        seats,
        gross_mrr,
        discount_mrr,
        mrr
    from account_products

),

paired as (

    select
        coalesce(current_month.account_id, previous_month.account_id) as account_id,
        coalesce(current_month.month_start_date, previous_month.month_start_date)
            as month_start_date,
        coalesce(current_month.product_id, previous_month.product_id) as product_id,
        previous_month.product_id is not null as was_subscribed,
        current_month.product_id is not null as is_subscribed,
        previous_month.plan_id as previous_plan_id,
        current_month.plan_id,
        coalesce(previous_month.seats, 0) as previous_seats,
        coalesce(current_month.seats, 0) as seats,
        coalesce(previous_month.gross_mrr, 0) as previous_gross_mrr,
        coalesce(current_month.gross_mrr, 0) as gross_mrr,
        coalesce(previous_month.discount_mrr, 0) as previous_discount_mrr,
        coalesce(current_month.discount_mrr, 0) as discount_mrr,
        coalesce(previous_month.mrr, 0) as previous_mrr,
        coalesce(current_month.mrr, 0) as mrr
    from account_products as current_month
    full outer join previous_month_products as previous_month
        on
            current_month.account_id = previous_month.account_id
            and current_month.month_start_date = previous_month.month_start_date
            and current_month.product_id = previous_month.product_id

),

in_calendar as (

    select paired.*
    from paired
    inner join months
        on paired.month_start_date = months.month_start_date

),

classified as (

    select
        *,
        was_subscribed and is_subscribed and previous_plan_id = plan_id as is_same_plan,
        case
            when was_subscribed and is_subscribed and previous_plan_id = plan_id
                and previous_seats > 0
                then cast(
                        (seats - previous_seats) * previous_gross_mrr / previous_seats
                        as {{ type_decimal() }}
                    )
            else 0
        end as seat_change_mrr
    from in_calendar

),

final as (

    select
        account_id,
        month_start_date,
        product_id,
        previous_plan_id,
        plan_id,
        previous_seats,
        seats,
        previous_mrr,
        mrr,
        mrr - previous_mrr as mrr_change,
        case when not was_subscribed then mrr else 0 end as product_added_mrr,
        case when not is_subscribed then 0 - previous_mrr else 0 end as product_removed_mrr,
        case
            when was_subscribed and is_subscribed and not is_same_plan then mrr - previous_mrr
            else 0
        end as plan_change_mrr,
        seat_change_mrr,
        case
            when is_same_plan then gross_mrr - previous_gross_mrr - seat_change_mrr
            else 0
        end as price_change_mrr,
        case
            when is_same_plan then previous_discount_mrr - discount_mrr
            else 0
        end as discount_change_mrr
    from classified

)

select * from final
