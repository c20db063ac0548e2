{#
    A balance chains from period to period: in every row after the first of its series, each
    opening column equals the closing column of the series' previous row (the previous month).
    Fails for every row where one does not (beyond `tolerance`), and for a series with a gap
    (a month missing between two rows), since the previous row is then not the month before.

    data_tests:
      - opening_equals_previous_closing:
          arguments:
            partition_by: [segment_type, segment_value]
            order_by: month_start_date
            balances: {opening_mrr: closing_mrr, opening_customers: closing_customers}
#}
{% test opening_equals_previous_closing(model, order_by, balances, partition_by=[], tolerance=0.005) %}

with

chained as (

    select
        {% for column in partition_by %}{{ column }}, {% endfor %}
        {{ order_by }},
        lag({{ order_by }}) over (
            {% if partition_by %}partition by {{ partition_by | join(', ') }}{% endif %}
            order by {{ order_by }}
        ) as previous_{{ order_by }},
        {% for opening, closing in balances.items() %}
            {{ opening }},
            lag({{ closing }}) over (
                {% if partition_by %}partition by {{ partition_by | join(', ') }}{% endif %}
                order by {{ order_by }}
            ) as previous_{{ closing }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ model }}

)

select *
from chained
where
    previous_{{ order_by }} is not null
    and (
        previous_{{ order_by }}
        != cast({{ dbt.dateadd('month', -1, order_by) }} as date)
        {% for opening, closing in balances.items() %}
            or abs({{ opening }} - previous_{{ closing }}) > {{ tolerance }}
        {% endfor %}
    )

{% endtest %}
