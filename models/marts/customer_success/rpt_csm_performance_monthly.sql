{#
    One row per month and CSM, and per month and team (performance_level 'csm' or 'team'): book of
    business (accounts, ARR), 12-month GRR and NRR of the book, renewals (rate by logos and
    dollars, renewed ARR against the monthly share of the renewal quota), engagement activities,
    average onboarding time, advocates, health-band distribution and saves. Ratios of a team are
    computed from its summed parts, never averaged across CSMs.
#}

{%- set summed = [
    'book_accounts', 'book_arr', 'book_starting_mrr_12m', 'book_current_mrr_12m',
    'book_retained_mrr_12m', 'renewals_due', 'renewals_won', 'expiring_mrr', 'renewed_mrr',
    'renewal_quota_for_month', 'engagement_activities', 'executive_business_reviews',
    'onboardings_completed', 'onboarding_days', 'red_accounts', 'yellow_accounts',
    'green_accounts', 'advocates', 'saves'
] %}

with

csms as (

    select * from {{ ref('stg_crm__csms') }}

),

books as (

    select * from {{ ref('int_csm_books_measured_monthly') }}

),

activity as (

    select * from {{ ref('int_csm_activities_counted_monthly') }}

),

book_health as (

    select * from {{ ref('rpt_csm_health_monthly') }}

),

renewals as (

    select * from {{ ref('fct_renewals') }}

),

renewal_counts as (

    select
        owner_csm_id as csm_id,
        renewal_month_start_date as month_start_date,
        count(*) as renewals_due,
        sum(case when is_renewed then 1 else 0 end) as renewals_won,
        sum(expiring_mrr) as expiring_mrr,
        sum(renewed_mrr) as renewed_mrr
    from renewals
    where owner_csm_id is not null
    group by owner_csm_id, renewal_month_start_date

),

csm_months as (

    select
        books.csm_id,
        csms.team,
        books.month_start_date,
        books.book_accounts,
        books.book_arr,
        books.book_starting_mrr_12m,
        books.book_current_mrr_12m,
        books.book_retained_mrr_12m,
        coalesce(renewal_counts.renewals_due, 0) as renewals_due,
        coalesce(renewal_counts.renewals_won, 0) as renewals_won,
        coalesce(renewal_counts.expiring_mrr, 0) as expiring_mrr,
        coalesce(renewal_counts.renewed_mrr, 0) as renewed_mrr,
        coalesce(csms.annual_renewal_quota, 0) / 12 as renewal_quota_for_month,
        coalesce(activity.engagement_activities, 0) as engagement_activities,
        coalesce(activity.executive_business_reviews, 0) as executive_business_reviews,
        coalesce(activity.onboardings_completed, 0) as onboardings_completed,
        coalesce(activity.average_onboarding_days * activity.onboardings_completed, 0)
            as onboarding_days,
        coalesce(book_health.red_accounts, 0) as red_accounts,
        coalesce(book_health.yellow_accounts, 0) as yellow_accounts,
        coalesce(book_health.green_accounts, 0) as green_accounts,
        coalesce(book_health.advocates, 0) as advocates,
        coalesce(book_health.saves, 0) as saves
    from books
    inner join csms
        on books.csm_id = csms.csm_id
    left join renewal_counts
        on
            books.csm_id = renewal_counts.csm_id
            and books.month_start_date = renewal_counts.month_start_date
    left join activity
        on
            books.csm_id = activity.csm_id
            and books.month_start_date = activity.month_start_date
    left join book_health
        on
            books.csm_id = book_health.csm_id
            and books.month_start_date = book_health.month_start_date

),

levels as (

    select
        'csm' as performance_level,
        csm_id as performer_id,
        team,
        month_start_date,
        {{ summed | join(',\n        ') }}
    from csm_months
    union all
    select
        'team' as performance_level,
        team as performer_id,
        team,
        month_start_date,
        {% for column in summed -%}
            sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from csm_months
    group by team, month_start_date

),

final as (

    select
        {{ surrogate_key(['performance_level', 'performer_id', 'month_start_date']) }}
            as csm_performance_id,
        performance_level,
        performer_id,
        team,
        month_start_date,
        cast(book_accounts as {{ dbt.type_bigint() }}) as book_accounts,
        cast(book_arr as {{ type_money() }}) as book_arr,
        1.0 * book_retained_mrr_12m / nullif(book_starting_mrr_12m, 0)
            as book_gross_revenue_retention_12m,
        1.0 * book_current_mrr_12m / nullif(book_starting_mrr_12m, 0)
            as book_net_revenue_retention_12m,
        cast(renewals_due as {{ dbt.type_bigint() }}) as renewals_due,
        cast(renewals_won as {{ dbt.type_bigint() }}) as renewals_won,
        1.0 * renewals_won / nullif(renewals_due, 0) as logo_renewal_rate,
        1.0 * renewed_mrr / nullif(expiring_mrr, 0) as net_dollar_renewal_rate,
        cast(renewed_mrr * 12 as {{ type_money() }}) as renewed_arr,
        cast(renewal_quota_for_month as {{ type_money() }}) as renewal_quota_for_month,
        1.0 * renewed_mrr * 12 / nullif(renewal_quota_for_month, 0) as renewal_quota_attainment,
        cast(engagement_activities as {{ dbt.type_bigint() }}) as engagement_activities,
        cast(executive_business_reviews as {{ dbt.type_bigint() }}) as executive_business_reviews,
        cast(onboardings_completed as {{ dbt.type_bigint() }}) as onboardings_completed,
        1.0 * onboarding_days / nullif(onboardings_completed, 0) as average_onboarding_days,
        cast(advocates as {{ dbt.type_bigint() }}) as advocates,
        cast(red_accounts as {{ dbt.type_bigint() }}) as red_accounts,
        cast(yellow_accounts as {{ dbt.type_bigint() }}) as yellow_accounts,
        cast(green_accounts as {{ dbt.type_bigint() }}) as green_accounts,
        1.0 * red_accounts / nullif(red_accounts + yellow_accounts + green_accounts, 0)
            as red_share,
        cast(saves as {{ dbt.type_bigint() }}) as saves
    from levels

)

select * from final
