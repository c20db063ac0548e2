{#
    The churn and retention ratios of rpt_churn_retention_monthly (the company) and
    rpt_churn_retention_by_segment_monthly (per segment), written once so both state the same
    formulas (models/marts/finance/_finance__docs.md). Select it from a relation that has, per row:

      opening_customers, churned_customers, opening_mrr       base of the month (1-month window)
      new_mrr, expansion_mrr, reactivation_mrr,
      contraction_mrr, churned_mrr                             the month's movements
      starting_mrr_1m, current_mrr_1m, retained_mrr_1m         ΣA_i, ΣB_i, Σ min(A_i, B_i), 1 month
      customers_12_months_before, customers_retained_12m,
      starting_mrr_12m, current_mrr_12m, retained_mrr_12m     the same over 12 months

    Sums first, then one division: never an average of per-account ratios. A ratio whose
    denominator is zero is empty.

    Usage:  select ..., {{ retention_rate_columns() }} from inputs
#}
{% macro retention_rate_columns() -%}
    {%- set ratios = [
        ('logo_churn_rate', 'churned_customers', 'opening_customers'),
        ('gross_revenue_churn_rate', 'churned_mrr + contraction_mrr', 'opening_mrr'),
        (
            'net_revenue_churn_rate',
            'churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr',
            'opening_mrr',
        ),
        (
            'quick_ratio',
            'new_mrr + expansion_mrr + reactivation_mrr',
            'contraction_mrr + churned_mrr',
        ),
        ('gross_revenue_retention_1m', 'retained_mrr_1m', 'starting_mrr_1m'),
        ('net_revenue_retention_1m', 'current_mrr_1m', 'starting_mrr_1m'),
        ('gross_revenue_retention_12m', 'retained_mrr_12m', 'starting_mrr_12m'),
        ('net_revenue_retention_12m', 'current_mrr_12m', 'starting_mrr_12m'),
    ] -%}
    {%- for name, numerator, denominator in ratios %}
        cast(
            1.0 * ({{ numerator }}) / nullif({{ denominator }}, 0) as {{ type_ratio() }}
        ) as {{ name }},
    {%- endfor %}
        cast(
            1.0 - 1.0 * customers_retained_12m / nullif(customers_12_months_before, 0)
            as {{ type_ratio() }}
        ) as logo_churn_rate_t12m,
        cast(
            1.0 - 1.0 * retained_mrr_12m / nullif(starting_mrr_12m, 0) as {{ type_ratio() }}
        ) as gross_revenue_churn_rate_t12m,
        cast(
            1.0 - 1.0 * current_mrr_12m / nullif(starting_mrr_12m, 0) as {{ type_ratio() }}
        ) as net_revenue_churn_rate_t12m
{%- endmacro %}
