{%- set windows = {
    1: ('previous_mrr', 'previous_touch_tier', 'previous_plan_tier'),
    12: ('mrr_12_months_before', 'touch_tier_12_months_before', 'plan_tier_12_months_before'),
} -%}

{#
    One row per account, month and retention window (1 or 12 months) in which the account counts
    in a retention or churn figure: its MRR at the window's start (A_i, the month-end `window_months`
    months before) and now (B_i), and the segment the figure is attributed to. An account in the
    window's base (paying at its start) is attributed to its touch tier, plan tier and region at
    the window's start, whatever happened since: an account that moved tier and then churned is
    churn of the tier it started in. The 1-month window also lists the accounts new or reactivated
    in the month (not in the base; they count in net revenue churn and the quick ratio), in the
    segment they close the month in. rpt_churn_retention_monthly (company),
    rpt_churn_retention_by_segment_monthly (per segment) and the semantic layer's NRR, GRR and
    churn metrics are sums over these rows.
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

windows as (

    {% for window_months, (starting_mrr, start_touch_tier, start_plan_tier) in windows.items() %}
        select
            account_id,
            month_start_date,
            is_complete_month,
            first_paid_month_start_date,
            {{ window_months }} as window_months,
            {{ starting_mrr }} > 0 as is_in_base,
            {{ starting_mrr }} as starting_mrr,
            mrr,
            case when {{ starting_mrr }} > 0 then {{ start_touch_tier }} else touch_tier end
                as touch_tier,
            case when {{ starting_mrr }} > 0 then {{ start_plan_tier }} else plan_tier end
                as plan_tier,
            region
        from account_months
        where
            {{ starting_mrr }} > 0
            {%- if window_months == 1 %} or mrr > 0{% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ surrogate_key(['account_id', 'month_start_date', 'window_months']) }}
            as account_retention_id,
        account_id,
        month_start_date,
        is_complete_month,
        cast(window_months as {{ dbt.type_bigint() }}) as window_months,
        cast(
            {{ dbt.dateadd('month', '0 - window_months', 'month_start_date') }} as date
        ) as window_start_month_start_date,
        is_in_base,
        not is_in_base and month_start_date = first_paid_month_start_date as is_new,
        is_in_base and mrr > 0 as is_retained,
        touch_tier,
        plan_tier,
        region,
        cast(starting_mrr as {{ type_money() }}) as starting_mrr,
        cast(mrr as {{ type_money() }}) as mrr,
        cast(
            case when starting_mrr < mrr then starting_mrr else mrr end as {{ type_money() }}
        ) as retained_mrr
    from windows

)

select * from final
