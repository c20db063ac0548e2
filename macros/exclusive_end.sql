{#
    An end instant as the first instant after the period (the contract's convention). Exports
    that write inclusive ends (23:59:59 or 23:59:59.999 on the last day) are moved to the next
    midnight, so a subscription paid through 31 March is still in March's MRR.
#}
{% macro exclusive_end(column) -%}
    {{ return(adapter.dispatch('exclusive_end', 'cs_warehouse')(column)) }}
{%- endmacro %}

{% macro default__exclusive_end(column) -%}
    case
        when {{ column }} >= {{ dbt.dateadd('second', 86399, dbt.date_trunc('day', column)) }}
            then cast(
                {{ dbt.dateadd('day', 1, dbt.date_trunc('day', column)) }}
                as {{ dbt.type_timestamp() }}
            )
        else {{ column }}
    end
{%- endmacro %}
