{#
    One row per escalation type (and 'all'): of the escalations whose 90 days are observed, the
    share followed by churn, contraction or expansion of the account within 90 days. Trouble
    escalations should be followed by churn more often than opportunity ones, and opportunity
    escalations by expansion: if not, the split is not telling the team what it should.
#}

with

escalations as (

    select * from {{ ref('fct_escalations') }}

),

observed as (

    select
        escalation_type,
        is_followed_by_churn_90d,
        is_followed_by_contraction_90d,
        is_followed_by_expansion_90d
    from escalations
    where is_observed_90d
    union all
    select
        'all' as escalation_type,
        is_followed_by_churn_90d,
        is_followed_by_contraction_90d,
        is_followed_by_expansion_90d
    from escalations
    where is_observed_90d

),

final as (

    select
        escalation_type,
        count(*) as escalations_observed,
        {% for outcome in ['churn', 'contraction', 'expansion'] -%}
            cast(
                sum(
                    case when is_followed_by_{{ outcome }}_90d then 1 else 0 end
                ) as {{ dbt.type_bigint() }}
            ) as followed_by_{{ outcome }}_90d,
            1.0 * sum(case when is_followed_by_{{ outcome }}_90d then 1 else 0 end) / count(*)
                as {{ outcome }}_rate_90d{% if not loop.last %},{% endif %}
        {% endfor %}
    from observed
    group by escalation_type

)

select * from final
