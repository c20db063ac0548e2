{#
    PostgreSQL only: compare unit-test numbers by value, not by how many decimals they carry.

    dbt compares a unit test's actual and expected rows as text. PostgreSQL's numeric keeps the
    scale an expression produced (an average is 50.0000000000000000, a sum of decimal(18, 4)
    is 80.0000), while the expected row, cast from the fixture, is 50 or 80; DuckDB's fixed-scale
    decimals and doubles print the same either way. Both sides' numeric columns therefore pass
    through trim_scale (PostgreSQL 13+) before dbt compares them: the values must still be equal,
    only trailing zeros are ignored. Every other type, and every other engine, is compared as dbt
    does by default.
#}
{% macro postgres__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {%- set numeric_columns = [] -%}
    {%- for column in get_column_schema_from_query(main_sql) -%}
        {%- if column.is_numeric() -%}
            {%- do numeric_columns.append(adapter.quote(column.name) | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set compared_columns = [] -%}
    {%- for column_name in expected_column_names -%}
        {%- if column_name | lower in numeric_columns -%}
            {%- do compared_columns.append(
                'trim_scale(' ~ column_name ~ ') as ' ~ column_name
            ) -%}
        {%- else -%}
            {%- do compared_columns.append(column_name) -%}
        {%- endif -%}
    {%- endfor -%}
-- Build actual result given inputs
with dbt_internal_unit_test_actual as (
    select
        {{ compared_columns | join(', ') }},
        {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ main_sql }}
    ) as dbt_internal_unit_test_actual_rows
),

-- Build expected result
dbt_internal_unit_test_expected as (
    select
        {{ compared_columns | join(', ') }},
        {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ expected_fixture_sql }}
    ) as dbt_internal_unit_test_expected_rows
)

-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
{%- endmacro %}
