{#
    One row per subscription term that has come up for renewal (quarterly and annual contracts),
    with its outcome: renewed flat, renewed with expansion, renewed with contraction, or churned.
    The touch tier is the account's at the last month-end before the term ended (while the
    expiring MRR was in force), so renewal rates by tier count a churned renewal in the tier the
    account was in, not in the tech-touch tier its zero ARR gets afterwards.
#}

with

terms as (

    select * from {{ ref('int_subscription_terms_spined') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

tiers as (

    select * from {{ ref('int_account_tiers_assigned_monthly') }}

),

terms_due as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'term_ends_at') }} as date) as renewal_month_start_date
    from terms
    where is_due

),

final as (

    select
        terms_due.subscription_term_id,
        terms_due.subscription_id,
        terms_due.account_id,
        -- The tier when the term came up; the current one if the account has no tier then.
        coalesce(tier_before_renewal.touch_tier, accounts.touch_tier) as touch_tier,
        accounts.owner_csm_id,
        terms_due.billing_interval,
        terms_due.term_number,
        terms_due.term_started_at,
        terms_due.term_ends_at,
        terms_due.renewal_month_start_date,
        cast(terms_due.expiring_mrr as {{ type_money() }}) as expiring_mrr,
        cast(terms_due.renewed_mrr as {{ type_money() }}) as renewed_mrr,
        cast(terms_due.renewed_mrr - terms_due.expiring_mrr as {{ type_money() }})
            as renewal_mrr_change,
        case
            when terms_due.is_churned then 'churned'
            when terms_due.renewed_mrr > terms_due.expiring_mrr then 'renewed_with_expansion'
            when terms_due.renewed_mrr < terms_due.expiring_mrr then 'renewed_with_contraction'
            else 'renewed_flat'
        end as renewal_outcome,
        not terms_due.is_churned as is_renewed
    from terms_due
    inner join accounts
        on terms_due.account_id = accounts.account_id
    left join tiers as tier_before_renewal
        on
            terms_due.account_id = tier_before_renewal.account_id
            and tier_before_renewal.month_start_date
            = cast(
                {{ dbt.dateadd('month', -1, 'terms_due.renewal_month_start_date') }} as date
            )

)

select * from final
