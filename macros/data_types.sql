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

{#
    Money in the marts: an exact decimal BI tools and pandas read as a fixed decimal. 18 digits
    fit a 64-bit integer, which every BI tool and Parquet reader handles (DuckDB's sums of
    decimals are DECIMAL(38, s), which some do not); 4 places keep MRR exact (a day plan is
    30.4375 days of price a month, a quarter a third of its price) so that every sum, waterfall
    and reconciliation still adds up to the cent. Largest value 99,999,999,999,999.9999.
#}
{% macro type_money() -%}
    {{ return(adapter.dispatch('type_money', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__type_money() -%}
    {{ return(type_decimal(18, 4)) }}
{%- endmacro %}

{#
    Rates, shares and ratios in the marts (NRR, churn rates, shares): a double-precision float.
    Not dbt.type_float(): that is a 4-byte REAL on DuckDB and Spark.
#}
{% macro type_ratio() -%}
    {{ return(adapter.dispatch('type_ratio', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__type_ratio() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro postgres__type_ratio() -%}
    {{ return('double precision') }}
{%- endmacro %}
