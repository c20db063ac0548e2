{#
    Rows n = 0 .. upper_bound - 1, as the body of a CTE. Spines (months, billing terms) are built
    from it. Cross-joined digits rather than generate_series or a recursive CTE, which not every
    engine we target supports.

    Usage:  numbers as ({{ integer_series(1000) }})
#}
{% macro integer_series(upper_bound) -%}
    {{ return(adapter.dispatch('integer_series', 'cs_warehouse')(upper_bound)) }}
{%- endmacro %}

{% macro default__integer_series(upper_bound) -%}
    {%- set digit_count = (upper_bound - 1) | string | length -%}
    select n
    from (
        select
            {% for position in range(digit_count) -%}
                digits_{{ position }}.digit * {{ 10 ** position }}
                {%- if not loop.last %} + {% endif %}
            {%- endfor %} as n
        from
            {% for position in range(digit_count) -%}
                (
                    select 0 as digit union all select 1 union all select 2 union all select 3
                    union all select 4 union all select 5 union all select 6 union all select 7
                    union all select 8 union all select 9
                ) as digits_{{ position }}
                {%- if not loop.last %} cross join {% endif %}
            {% endfor %}
    ) as series
    where n < {{ upper_bound }}
{%- endmacro %}
