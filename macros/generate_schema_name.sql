{#
    Use a model's custom schema as-is (`staging`, not `main_staging`); models without one go to
    the target schema. Each developer has their own DuckDB file, so dev and prod never share a
    database and the target-prefixed default buys nothing here.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
