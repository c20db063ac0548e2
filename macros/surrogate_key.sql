{#
    A deterministic surrogate key for a composite natural key: md5 of the parts cast to text and
    joined with '-', nulls replaced by a marker so (null, 'a') and ('', 'a') differ.
    Portable through dbt's cross-database `hash`, `concat` and `type_string`.

    Usage:  {{ surrogate_key(['account_id', 'feature_id', 'usage_date']) }} as daily_feature_usage_id
#}
{% macro surrogate_key(columns) -%}
    {{ return(adapter.dispatch('surrogate_key', 'cs_warehouse')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}
            {%- do parts.append("'-'") -%}
        {%- endif -%}
        {%- do parts.append(
            "coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_cswh_null_')"
        ) -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
