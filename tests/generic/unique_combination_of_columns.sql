{#
    Fails for every combination of the given columns that occurs on more than one row: the
    primary-key test for a model with a composite key.

    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [account_id, feature_id, usage_date]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    with

    duplicated as (

        select
            {% for column in combination_of_columns -%}
                {{ column }},
            {% endfor -%}
            count(*) as row_count
        from {{ model }}
        group by {{ combination_of_columns | join(', ') }}
        having count(*) > 1

    )

    select * from duplicated

{% endtest %}
