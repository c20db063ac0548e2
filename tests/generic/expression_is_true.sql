{#
    Fails for every row where the expression is not true (a null counts as a failure): the test
    for arithmetic identities and bounds, e.g. opening + movements = closing. Restrict the rows
    with the standard test config `where:`.

    data_tests:
      - expression_is_true:
          arguments:
            expression: "abs(opening_mrr + new_mrr - closing_mrr) < 0.01"
#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)

{% endtest %}
