{#
    Rank the versions of each key in a raw table, newest first: 1 is the version to keep.

    Raw tables hold every delivered version of a key. The latest `updated_at` wins; when two
    versions share it, the later load wins, then the later row of the file, then the file path
    (so the choice is deterministic even for a file loaded twice in one run).

    Usage, in a CTE:  {{ latest_version_rank(['ticket_id']) }} as version_rank
    then keep `where version_rank = 1`. Portable window function: no `qualify`.
#}
{% macro latest_version_rank(key_columns, updated_at='updated_at') -%}
    {{ return(adapter.dispatch('latest_version_rank', 'cs_warehouse')(key_columns, updated_at)) }}
{%- endmacro %}

{% macro default__latest_version_rank(key_columns, updated_at) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by
            {{ updated_at }} desc,
            _loaded_at desc,
            _source_row_number desc,
            _source_file desc
    )
{%- endmacro %}


{#
    The same ranking for a very large raw table, as two CTEs, `duplicated_keys` and
    `versions_ranked` (every raw column plus `version_rank`). A window over every row must buffer
    the whole table, and DuckDB cannot spill that: at SF 50 (47 million usage rows) it ran out of
    a 4 GB memory limit. Almost every key has a single version, so only the keys delivered more
    than once are ranked; the others pass with rank 1. The grouping and the semi- and anti-joins
    spill to disk.

    Usage, inside a WITH list, after the CTE that selects the raw rows:
        {{ versions_ranked_ctes('raw_daily_feature_usage', ['account_id', 'usage_date']) }},
        latest_versions as (select * from versions_ranked where version_rank = 1)
#}
{% macro versions_ranked_ctes(raw_cte, key_columns, updated_at='updated_at') -%}
    {%- set keys_match -%}
        {%- for column in key_columns -%}
            duplicated_keys.{{ column }} = {{ raw_cte }}.{{ column }}
            {%- if not loop.last %} and {% endif -%}
        {%- endfor -%}
    {%- endset -%}
duplicated_keys as (

    select {{ key_columns | join(', ') }}
    from {{ raw_cte }}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1

),

versions_ranked as (

    select
        {{ raw_cte }}.*,
        cast(1 as {{ dbt.type_bigint() }}) as version_rank
    from {{ raw_cte }}
    where not exists (
        select 1 from duplicated_keys
        where {{ keys_match }}
    )

    union all

    select
        *,
        {{ latest_version_rank(key_columns, updated_at) }} as version_rank
    from {{ raw_cte }}
    where exists (
        select 1 from duplicated_keys
        where {{ keys_match }}
    )

)
{%- endmacro %}
