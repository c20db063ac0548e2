{%- set segments = {
    'touch_tier': ('previous_touch_tier', 'touch_tier'),
    'plan_tier': ('previous_plan_tier', 'plan_tier'),
    'region': ('region', 'region'),
} -%}

{#
    The MRR waterfall per month by touch tier, plan tier and region, chained month to month:
    a segment opens each month where it closed the month before, and
        opening + new + expansion + reactivation - contraction - churn
        + transfer_in - transfer_out = closing.
    An account belongs to the segment it was in at a month-end (its touch tier and plan tier
    then; its region). Within a month:
    - an account paying at the previous month-end opens in its segment then, and its movement
      (expansion, contraction, churn) counts there: the segment at the start of the month. An
      account that moves tier and churns is churn of the tier it started the month in.
    - if it is still paying and sits in another segment at this month-end, its closing MRR leaves
      the old segment (transfer_out) and enters the new one (transfer_in).
    - a new or reactivated account (not paying at the previous month-end) counts in the segment
      it closes the month in.
    Over the segments of one type, the transfers cancel and every column adds up to
    rpt_mrr_waterfall. Every segment value ever seen has a row every month (zeros when empty),
    so a segment's months chain without gaps.
#}

with

account_months as (

    select * from {{ ref('int_account_months_compared') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

account_month_segments as (

    {% for segment_type, (start_column, end_column) in segments.items() %}
        select
            account_months.month_start_date,
            '{{ segment_type }}' as segment_type,
            case
                when account_months.previous_mrr > 0 then account_months.{{ start_column }}
            end as start_segment,
            case when account_months.mrr > 0 then account_months.{{ end_column }} end
                as end_segment,
            account_months.previous_mrr,
            account_months.mrr,
            coalesce(movements.movement_type, 'none') as movement_type,
            coalesce(movements.mrr_change, 0) as mrr_change
        from account_months
        left join movements
            on
                account_months.account_id = movements.account_id
                and account_months.month_start_date = movements.month_start_date
        where account_months.previous_mrr > 0 or account_months.mrr > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

classified as (

    select
        *,
        start_segment is not null and end_segment is not null and start_segment != end_segment
            as is_transfer
    from account_month_segments

),

segment_flows as (

    -- Where the month starts (the segment at the previous month-end; for a new or reactivated
    -- account, the one it closes in): opening, the movement, and a transfer out...
    select
        month_start_date,
        segment_type,
        coalesce(start_segment, end_segment) as segment_value,
        previous_mrr as opening_mrr,
        case when movement_type = 'new' then mrr_change else 0 end as new_mrr,
        case when movement_type = 'expansion' then mrr_change else 0 end as expansion_mrr,
        case when movement_type = 'reactivation' then mrr_change else 0 end as reactivation_mrr,
        case when movement_type = 'contraction' then 0 - mrr_change else 0 end
            as contraction_mrr,
        case when movement_type = 'churn' then 0 - mrr_change else 0 end as churned_mrr,
        0 as transfer_in_mrr,
        case when is_transfer then mrr else 0 end as transfer_out_mrr,
        case when is_transfer then 0 else mrr end as closing_mrr,
        case when previous_mrr > 0 then 1 else 0 end as opening_customers,
        case when movement_type = 'new' then 1 else 0 end as new_customers,
        case when movement_type = 'reactivation' then 1 else 0 end as reactivated_customers,
        case when movement_type = 'churn' then 1 else 0 end as churned_customers,
        0 as transferred_in_customers,
        case when is_transfer then 1 else 0 end as transferred_out_customers,
        case when mrr > 0 and not is_transfer then 1 else 0 end as closing_customers
    from classified

    union all

    -- ...and, for an account that changed segment, the transfer in where it closes the month.
    select
        month_start_date,
        segment_type,
        end_segment as segment_value,
        0 as opening_mrr,
        0 as new_mrr,
        0 as expansion_mrr,
        0 as reactivation_mrr,
        0 as contraction_mrr,
        0 as churned_mrr,
        mrr as transfer_in_mrr,
        0 as transfer_out_mrr,
        mrr as closing_mrr,
        0 as opening_customers,
        0 as new_customers,
        0 as reactivated_customers,
        0 as churned_customers,
        1 as transferred_in_customers,
        0 as transferred_out_customers,
        1 as closing_customers
    from classified
    where is_transfer

),

segment_totals as (

    select
        month_start_date,
        segment_type,
        segment_value,
        sum(opening_mrr) as opening_mrr,
        sum(new_mrr) as new_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(transfer_in_mrr) as transfer_in_mrr,
        sum(transfer_out_mrr) as transfer_out_mrr,
        sum(closing_mrr) as closing_mrr,
        sum(opening_customers) as opening_customers,
        sum(new_customers) as new_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(churned_customers) as churned_customers,
        sum(transferred_in_customers) as transferred_in_customers,
        sum(transferred_out_customers) as transferred_out_customers,
        sum(closing_customers) as closing_customers
    from segment_flows
    group by month_start_date, segment_type, segment_value

),

segment_values as (

    select distinct
        segment_type,
        segment_value
    from segment_totals

),

final as (

    select
        {{ surrogate_key(
            ['months.month_start_date', 'segment_values.segment_type', 'segment_values.segment_value']
        ) }} as waterfall_segment_month_id,
        months.month_start_date,
        months.is_complete_month,
        segment_values.segment_type,
        segment_values.segment_value,
        {% for column in [
            'opening_mrr', 'new_mrr', 'expansion_mrr', 'reactivation_mrr', 'contraction_mrr',
            'churned_mrr', 'transfer_in_mrr', 'transfer_out_mrr', 'closing_mrr'
        ] -%}
            cast(coalesce(segment_totals.{{ column }}, 0) as {{ type_money() }}) as {{ column }},
        {% endfor -%}
        cast(coalesce(segment_totals.closing_mrr, 0) * 12 as {{ type_money() }}) as closing_arr,
        {% for column in [
            'opening_customers', 'new_customers', 'reactivated_customers', 'churned_customers',
            'transferred_in_customers', 'transferred_out_customers', 'closing_customers'
        ] -%}
            cast(coalesce(segment_totals.{{ column }}, 0) as {{ dbt.type_bigint() }})
                as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from months
    cross join segment_values
    left join segment_totals
        on
            months.month_start_date = segment_totals.month_start_date
            and segment_values.segment_type = segment_totals.segment_type
            and segment_values.segment_value = segment_totals.segment_value

)

select * from final
