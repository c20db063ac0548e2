{#
    Spark target only: register Parquet folders as tables of one schema in the session's
    catalog (the Hive metastore of the `spark` profile), replacing earlier registrations.
    Run by `python -m cswh.targets.spark replicate` after it exports the DuckDB raw layer.

    Args: schema_name, and locations: {table name: absolute folder of its Parquet files}.
    The tables are external: dropping one forgets it and leaves its files alone.
#}
{% macro spark_register_parquet_tables(schema_name, locations) %}
    {% if target.type != 'spark' %}
        {% do exceptions.raise_compiler_error(
            'spark_register_parquet_tables is for the spark target, not ' ~ target.type
        ) %}
    {% endif %}
    {% do run_query('create schema if not exists ' ~ schema_name) %}
    {% for table_name, location in locations.items() %}
        {% do run_query('drop table if exists ' ~ schema_name ~ '.' ~ table_name) %}
        {% do run_query(
            'create table ' ~ schema_name ~ '.' ~ table_name
            ~ " using parquet location '" ~ location ~ "'"
        ) %}
    {% endfor %}
    {{ log('registered ' ~ (locations | length) ~ ' table(s) in schema ' ~ schema_name, info=true) }}
{% endmacro %}
