{#
    One row per subscription term that has come up for renewal (quarterly and annual contracts),
    with its outcome: renewed flat, renewed with expansion, renewed with contraction, or churned.
#}

with

terms as (

    select * from {{ ref('int_subscription_terms_spined') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

final as (

    select
        terms.subscription_term_id,
        terms.subscription_id,
        terms.account_id,
        accounts.touch_tier,
        accounts.owner_csm_id,
        terms.billing_interval,
        terms.term_number,
        terms.term_started_at,
        terms.term_ends_at,
        cast({{ dbt.date_trunc('month', 'terms.term_ends_at') }} as date)
            as renewal_month_start_date,
        terms.expiring_mrr,
        terms.renewed_mrr,
        terms.renewed_mrr - terms.expiring_mrr as renewal_mrr_change,
        case
            when terms.is_churned then 'churned'
            when terms.renewed_mrr > terms.expiring_mrr then 'renewed_with_expansion'
            when terms.renewed_mrr < terms.expiring_mrr then 'renewed_with_contraction'
            else 'renewed_flat'
        end as renewal_outcome,
        not terms.is_churned as is_renewed
    from terms
    inner join accounts
        on terms.account_id = accounts.account_id
    where terms.is_due

)

select * from final
