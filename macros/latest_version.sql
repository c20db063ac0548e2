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
