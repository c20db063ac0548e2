{#
    Post-hook of every model and seed: gives the query planner statistics on what was just built.

    PostgreSQL has none on a table a build has just created until autovacuum gets to it, so the
    next model's joins are planned on guesses: at SF 10 it chose a nested loop over 10,000
    accounts and 20 million component rows for fct_account_health_components_weekly, and the
    model had not finished after 8 minutes. `analyze` costs about a second per table there.
    DuckDB keeps its statistics up to date as it writes, and the Spark build plans on file
    sizes, so other engines render nothing (dbt skips an empty hook).
#}
{% macro refresh_table_statistics() -%}
    {{ return(adapter.dispatch('refresh_table_statistics', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__refresh_table_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_table_statistics() -%}
    {%- if config.get('materialized') in ['table', 'incremental', 'seed'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
