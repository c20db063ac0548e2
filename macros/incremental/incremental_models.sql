{#
    Incremental models: one model file, the right strategy for each engine.

    DuckDB and PostgreSQL replace rows by key (`delete+insert`): the batch holds the new state of
    every key it touches and dbt deletes those keys before inserting it. Spark without Delta has
    no merge and no delete, so it rewrites whole partitions (`insert_overwrite` with dynamic
    partition overwrite): the batch must hold every row of each partition it touches. The filters
    below are written so that one batch satisfies both: it is always made of whole partitions
    (a date or a week), or, on Spark for a model with no partition column, of the whole table.

    Schema changes fail the run instead of being patched silently (`on_schema_change: fail`):
    old rows of an added column would be null. Run `dbt build --full-refresh` after changing an
    incremental model's columns, and to repair anything older than the lookback windows.

    Usage, first line of a model:
        {{ config(**incremental_config(unique_key='ticket_id')) }}
        {{ config(**incremental_config(unique_key='account_week_id', partition_by='week_start_date')) }}
#}
{% macro incremental_config(unique_key, partition_by=none) -%}
    {%- set settings = {'materialized': 'incremental', 'on_schema_change': 'fail'} -%}
    {%- if target.type == 'spark' -%}
        {#- Without partition_by, insert_overwrite replaces the whole table: correct, not cheap. -#}
        {%- do settings.update({'incremental_strategy': 'insert_overwrite', 'file_format': 'parquet'}) -%}
        {%- if partition_by -%}
            {%- do settings.update({'partition_by': [partition_by]}) -%}
        {%- endif -%}
    {%- else -%}
        {%- do settings.update({'incremental_strategy': 'delete+insert', 'unique_key': unique_key}) -%}
    {%- endif -%}
    {{- return(settings) -}}
{%- endmacro %}


{#
    True when this run of an incremental model may process a part of the table only. False on a
    first build, a --full-refresh, and on Spark for a model without a partition column (there the
    whole table is rewritten, so the batch must be the whole table). Also false in unit tests,
    where `this` is not set: they test the model's logic on given rows, as a full build.
#}
{% macro incremental_batch_is_partial() -%}
    {{- return(
        this is not none
        and is_incremental()
        and (target.type != 'spark' or config.get('partition_by'))
    ) -}}
{%- endmacro %}


{#
    Staging of a versioned raw table, picked up by load time: the values of `column` (the key on
    DuckDB and PostgreSQL, the partition column on Spark) that received a raw version loaded after
    the newest version this model already holds. The model then re-ranks *every* raw version of
    those values, so a stale re-delivery (an old `updated_at` loaded late) loses exactly as in a
    full build, and a correction to a row of any age is picked up: nothing is missed by a
    lookback. Raw is append-only and DuckDB admits one writer at a time, so no load can commit
    rows older than this watermark while a build runs.

    Renders nothing when the batch must be the whole table (see incremental_batch_is_partial).
    Usage, in the import CTE of the raw table:
        select * from {{ source('crm', 'activities') }}
        {{ where_new_raw_versions(source('crm', 'activities'), 'activity_id') }}
#}
{% macro where_new_raw_versions(source_relation, column) -%}
    {%- if incremental_batch_is_partial() %}
    where {{ column }} in (
        select new_versions.{{ column }}
        from {{ source_relation }} as new_versions
        where new_versions._loaded_at > (
            select
                coalesce(
                    max(current_rows._loaded_at),
                    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
                )
            from {{ this }} as current_rows
        )
    )
    {%- endif -%}
{%- endmacro %}


{#
    Weekly models, picked up by week: the first week this run recomputes, as a date expression.
    Incremental runs recompute the newest `incremental_lookback_weeks` weeks already built (and
    every week after them); `extra_weeks` reaches further back for the inputs of rolling windows
    (an 8-week window needs 7 weeks before the first week it outputs). On a full build it is a
    date before any data.
#}
{% macro weekly_reprocess_from(extra_weeks=0) -%}
    {%- if incremental_batch_is_partial() -%}
        {%- set weeks_back = var('incremental_lookback_weeks') | int + extra_weeks | int -%}
        (
            select
                coalesce(
                    cast(
                        {{ dbt.dateadd('day', -7 * weeks_back, 'max(current_rows.week_start_date)') }}
                        as date
                    ),
                    cast('1900-01-01' as date)
                )
            from {{ this }} as current_rows
        )
    {%- else -%}
        cast('1900-01-01' as date)
    {%- endif -%}
{%- endmacro %}


{#
    Weekly models whose old rows can be restated by an input of any age (the health score weighs
    every week by the account's current touch tier): the batch cannot be "the newest weeks". A
    pre-hook deletes the rows to restate instead: every row of the newest
    `incremental_lookback_weeks` weeks (and later), plus every row of each account whose stored
    touch_tier differs from `tier_relation`'s (joined on `join_column`); the model then inserts
    the rows its table lacks (where_row_missing). Deleting whole weeks also removes an
    account-week that no longer qualifies (an account no longer paying).

    Renders nothing when the batch must be the whole table (see incremental_batch_is_partial),
    so Spark, which cannot delete, rebuilds such a model (configure it without partition_by).
    Usage:  {{ config(pre_hook="{{ delete_restated_weekly_rows(ref('dim_accounts')) }}") }}
#}
{% macro delete_restated_weekly_rows(tier_relation, join_column='account_id') -%}
    {%- if incremental_batch_is_partial() %}
    delete from {{ this }}
    where
        week_start_date >= {{ weekly_reprocess_from() }}
        or account_id in (
            select stored_rows.account_id
            from {{ this }} as stored_rows
            inner join {{ tier_relation }} as tiers
                on stored_rows.{{ join_column }} = tiers.{{ join_column }}
            where stored_rows.touch_tier != tiers.touch_tier
        )
    {%- endif -%}
{%- endmacro %}


{#
    With delete_restated_weekly_rows: true for a row the table lacks (`key` is the expression of
    the query, `column` the table's column). Always true when the batch is the whole table.
#}
{% macro where_row_missing(key, column) -%}
    {%- if incremental_batch_is_partial() -%}
        not exists (
            select 1 from {{ this }} as current_rows
            where current_rows.{{ column }} = {{ key }}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
