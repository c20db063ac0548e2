{#
    Two columns cancel within every group: per group, the sum of `plus` equals the sum of
    `minus` (beyond `tolerance`). For flows that move between the rows of a group, such as the
    transfers of a segment waterfall: what leaves one segment enters another in the same month.

    data_tests:
      - group_sums_balance:
          arguments:
            group_by: [month_start_date, segment_type]
            plus: transfer_in_mrr
            minus: transfer_out_mrr
#}
{% test group_sums_balance(model, group_by, plus, minus, tolerance=0.005) %}

select
    {{ group_by | join(', ') }},
    sum({{ plus }}) as sum_plus,
    sum({{ minus }}) as sum_minus
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ plus }}) - sum({{ minus }})) > {{ tolerance }}

{% endtest %}
