{#
    The trouble / opportunity split must mean what it says: trouble escalations are followed by
    churn more often than opportunity escalations, and opportunity escalations by expansion more
    often than trouble ones. Returns a row (a failure) when either does not hold.
#}

with

follow_through as (

    select * from {{ ref('rpt_escalation_follow_through') }}

),

trouble as (

    select
        churn_rate_90d,
        expansion_rate_90d
    from follow_through
    where escalation_type = 'trouble'

),

opportunity as (

    select
        churn_rate_90d,
        expansion_rate_90d
    from follow_through
    where escalation_type = 'opportunity'

)

select
    trouble.churn_rate_90d as trouble_churn_rate_90d,
    opportunity.churn_rate_90d as opportunity_churn_rate_90d,
    trouble.expansion_rate_90d as trouble_expansion_rate_90d,
    opportunity.expansion_rate_90d as opportunity_expansion_rate_90d
from trouble
cross join opportunity
where
    trouble.churn_rate_90d <= opportunity.churn_rate_90d
    or opportunity.expansion_rate_90d <= trouble.expansion_rate_90d
