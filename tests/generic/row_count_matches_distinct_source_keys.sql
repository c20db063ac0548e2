{#
    Raw against staging: the model must hold exactly one row per distinct key of its source
    table (the documented de-duplication keeps the latest version of each key, nothing more,
    nothing less). Fails with the two counts when they differ. Rendered for every staging model
    from the contracts.

    data_tests:
      - row_count_matches_distinct_source_keys:
          arguments:
            source_name: crm
            table_name: accounts
            key_columns: [account_id]
#}
{% test row_count_matches_distinct_source_keys(model, source_name, table_name, key_columns) %}

    with

    raw_keys as (

        select count(*) as raw_distinct_keys
        from (
            select distinct {{ key_columns | join(', ') }}
            from {{ source(source_name, table_name) }}
        ) as distinct_keys

    ),

    model_rows as (

        select count(*) as model_rows from {{ model }}

    )

    select
        raw_keys.raw_distinct_keys,
        model_rows.model_rows
    from raw_keys
    cross join model_rows
    where raw_keys.raw_distinct_keys != model_rows.model_rows

{% endtest %}
