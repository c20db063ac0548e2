{#
    Cross-database types dbt does not ship. Dispatched, so an adapter that spells a type
    differently gets its own `<adapter>__type_*` macro without touching the models.
#}

{# A calendar date (no time of day). #}
{% macro type_date() -%}
    {{ return(adapter.dispatch('type_date', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__type_date() -%}
    {{ return('date') }}
{%- endmacro %}

{#
    An exact decimal: amounts in currency units, prices, percentages. 18 digits with 4 after the
    point matches the loader's raw column type (scripts/cswh/raw_schema.py), so the cast never
    rounds.
#}
{% macro type_decimal(precision=18, scale=4) -%}
    {{ return(adapter.dispatch('type_decimal', 'cs_warehouse')(precision, scale)) }}
{%- endmacro %}

{% macro default__type_decimal(precision, scale) -%}
    {{ return(api.Column.numeric_type('decimal', precision, scale)) }}
{%- endmacro %}
