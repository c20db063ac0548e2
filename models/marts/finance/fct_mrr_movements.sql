{#
    One row per account per month in which its MRR changed, classified at the account level:
    new, expansion, contraction, churn or reactivation, with the cause that moved it most and
    the amount from each cause.
#}

with

product_changes as (

    select * from {{ ref('int_account_product_changes_compared') }}

),

account_months as (

    select * from {{ ref('fct_account_mrr_monthly') }}

),

account_changes as (

    select
        account_id,
        month_start_date,
        sum(previous_mrr) as previous_mrr,
        sum(mrr) as mrr,
        sum(product_added_mrr) as product_added_mrr,
        sum(product_removed_mrr) as product_removed_mrr,
        sum(plan_change_mrr) as plan_change_mrr,
        sum(seat_change_mrr) as seat_change_mrr,
        sum(price_change_mrr) as price_change_mrr,
        sum(discount_change_mrr) as discount_change_mrr
    from product_changes
    group by account_id, month_start_date

),

typed as (

    select
        account_changes.*,
        account_changes.mrr - account_changes.previous_mrr as mrr_change,
        account_months.first_paid_month_start_date,
        case
            when account_changes.previous_mrr = 0 and account_changes.mrr > 0
                and account_changes.month_start_date
                = account_months.first_paid_month_start_date
                then 'new'
            when account_changes.previous_mrr = 0 and account_changes.mrr > 0
                then 'reactivation'
            when account_changes.previous_mrr > 0 and account_changes.mrr = 0
                then 'churn'
            when account_changes.mrr > account_changes.previous_mrr
                then 'expansion'
            when account_changes.mrr < account_changes.previous_mrr
                then 'contraction'
        end as movement_type
    from account_changes
    inner join account_months
        on
            account_changes.account_id = account_months.account_id
            and account_changes.month_start_date = account_months.month_start_date

),

reasoned as (

    select
        *,
        case movement_type
            when 'expansion'
                then greatest(
                        product_added_mrr, plan_change_mrr, seat_change_mrr, price_change_mrr,
                        discount_change_mrr
                    )
            when 'contraction' then least(
                    product_removed_mrr, plan_change_mrr, seat_change_mrr, price_change_mrr,
                    discount_change_mrr
                )
        end as largest_cause_mrr
    from typed
    where movement_type is not null

),

final as (

    select
        {{ surrogate_key(['account_id', 'month_start_date']) }} as mrr_movement_id,
        account_id,
        month_start_date,
        movement_type,
        case
            when movement_type in ('new', 'reactivation', 'churn') then movement_type
            when largest_cause_mrr = product_added_mrr then 'product_added'
            when largest_cause_mrr = product_removed_mrr then 'product_removed'
            when largest_cause_mrr = plan_change_mrr then 'plan_change'
            when largest_cause_mrr = seat_change_mrr then 'seat_change'
            when largest_cause_mrr = discount_change_mrr then 'discount_change'
            else 'price_change'
        end as movement_reason,
        cast(previous_mrr as {{ type_money() }}) as previous_mrr,
        cast(mrr as {{ type_money() }}) as mrr,
        cast(mrr_change as {{ type_money() }}) as mrr_change,
        cast(product_added_mrr as {{ type_money() }}) as product_added_mrr,
        cast(product_removed_mrr as {{ type_money() }}) as product_removed_mrr,
        cast(plan_change_mrr as {{ type_money() }}) as plan_change_mrr,
        cast(seat_change_mrr as {{ type_money() }}) as seat_change_mrr,
        cast(price_change_mrr as {{ type_money() }}) as price_change_mrr,
        cast(discount_change_mrr as {{ type_money() }}) as discount_change_mrr,
        first_paid_month_start_date
    from reasoned

)

select * from final
