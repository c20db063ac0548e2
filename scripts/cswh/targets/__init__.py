"""Extra dbt targets beside DuckDB: PostgreSQL (`postgres`) and Spark (`spark`).

The Python loader always validates into DuckDB; each target module copies the raw layer to its
engine and runs the same dbt project there. Both are optional extras: `make demo` needs neither.
"""
