{#
    One row per CSM and month: the book of business the CSM owns (accounts paying at the
    month's end, ARR) and its dollar-weighted GRR and NRR over 12 months. The CRM keeps only each
    account's current owner, so a book is measured with today's owners over its history, read
    from the CRM's accounts (as dim_accounts carries it).
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

final as (

    select
        accounts.owner_csm_id as csm_id,
        account_months.month_start_date,
        sum(case when account_months.mrr > 0 then 1 else 0 end) as book_accounts,
        sum(account_months.mrr) * 12 as book_arr,
        sum(
            case
                when account_months.mrr_12_months_before > 0
                    then account_months.mrr_12_months_before
                else 0
            end
        ) as book_starting_mrr_12m,
        sum(
            case when account_months.mrr_12_months_before > 0 then account_months.mrr else 0 end
        ) as book_current_mrr_12m,
        sum(
            case
                when account_months.mrr_12_months_before > 0
                    and account_months.mrr < account_months.mrr_12_months_before
                    then account_months.mrr
                when account_months.mrr_12_months_before > 0
                    then account_months.mrr_12_months_before
                else 0
            end
        ) as book_retained_mrr_12m
    from account_months
    inner join accounts
        on account_months.account_id = accounts.account_id
    where accounts.owner_csm_id is not null
    group by accounts.owner_csm_id, account_months.month_start_date

)

select * from final
