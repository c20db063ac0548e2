{#
    A mart split by segment adds up to its unsegmented twin: for every month and segment type,
    the sum over the segment values of each listed column equals that column of `totals` for the
    month (beyond `tolerance`), and every month of either side is on the other. Fails with one
    row per month, segment type and column that does not add up.

    data_tests:
      - segment_totals_match:
          arguments:
            totals: ref('rpt_mrr_waterfall')
            columns: [opening_mrr, new_mrr, closing_mrr]
#}
{% test segment_totals_match(
    model, totals, columns, month_column='month_start_date', segment_type_column='segment_type',
    tolerance=0.005
) %}

with

segment_sums as (

    select
        {{ month_column }} as month_start_date,
        {{ segment_type_column }} as segment_type,
        {% for column in columns %}
            sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ model }}
    group by {{ month_column }}, {{ segment_type_column }}

),

segment_types as (

    select distinct segment_type from segment_sums

),

expected as (

    select
        totals.{{ month_column }} as month_start_date,
        segment_types.segment_type,
        {% for column in columns %}
            totals.{{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ totals }} as totals
    cross join segment_types

),

compared as (

    {% for column in columns %}
        select
            coalesce(expected.month_start_date, segment_sums.month_start_date)
                as month_start_date,
            coalesce(expected.segment_type, segment_sums.segment_type) as segment_type,
            '{{ column }}' as column_name,
            expected.{{ column }} as expected_total,
            segment_sums.{{ column }} as segment_sum
        from expected
        full outer join segment_sums
            on
                expected.month_start_date = segment_sums.month_start_date
                and expected.segment_type = segment_sums.segment_type
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select *
from compared
where
    expected_total is null
    or segment_sum is null
    or abs(expected_total - segment_sum) > {{ tolerance }}

{% endtest %}
