{#
    Hours from one timestamp to another, to the second, as a fractional number.

    DuckDB and PostgreSQL divide `1.0 * seconds` exactly enough (a double on DuckDB, an exact
    numeric on PostgreSQL). Spark types `1.0 * seconds / 3600` as decimal(28, 6): six decimals
    of an hour, which shifts averages over many rows in the fifth decimal. Spark therefore
    divides in double precision, as DuckDB does.
#}
{% macro hours_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('hours_between', 'cs_warehouse')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__hours_between(start_timestamp, end_timestamp) -%}
    1.0 * {{ dbt.datediff(start_timestamp, end_timestamp, 'second') }} / 3600
{%- endmacro %}

{% macro spark__hours_between(start_timestamp, end_timestamp) -%}
    cast({{ dbt.datediff(start_timestamp, end_timestamp, 'second') }} as double) / 3600
{%- endmacro %}
