{#
    The trouble / opportunity split must mean what it says: trouble escalations are followed by
    churn more often than opportunity escalations, and opportunity escalations by expansion more
    often than trouble ones. Returns a row (a failure) when either does not hold, on
    rpt_escalation_follow_through.

    A statistical gate: with `below_minimum_sample` false it judges only when both types have at
    least `min_escalations_observed` observed escalations; with it true, only when either has
    fewer (declare that one with severity warn). Without escalations of both types there is
    nothing to compare and no row.

    data_tests:
      - escalation_types_split_outcomes:
          arguments:
            min_escalations_observed: 20
#}
{% test escalation_types_split_outcomes(model, min_escalations_observed, below_minimum_sample=false) %}

with

follow_through as (

    select * from {{ model }}

),

trouble as (

    select
        escalations_observed,
        churn_rate_90d,
        expansion_rate_90d
    from follow_through
    where escalation_type = 'trouble'

),

opportunity as (

    select
        escalations_observed,
        churn_rate_90d,
        expansion_rate_90d
    from follow_through
    where escalation_type = 'opportunity'

),

compared as (

    select
        trouble.escalations_observed as trouble_escalations_observed,
        opportunity.escalations_observed as opportunity_escalations_observed,
        trouble.churn_rate_90d as trouble_churn_rate_90d,
        opportunity.churn_rate_90d as opportunity_churn_rate_90d,
        trouble.expansion_rate_90d as trouble_expansion_rate_90d,
        opportunity.expansion_rate_90d as opportunity_expansion_rate_90d,
        trouble.escalations_observed >= {{ min_escalations_observed }}
        and opportunity.escalations_observed >= {{ min_escalations_observed }}
            as has_minimum_sample
    from trouble
    cross join opportunity

)

select *
from compared
where
    (
        trouble_churn_rate_90d <= opportunity_churn_rate_90d
        or opportunity_expansion_rate_90d <= trouble_expansion_rate_90d
    )
    and {{ 'not' if below_minimum_sample }} has_minimum_sample

{% endtest %}
