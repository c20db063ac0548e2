{#
    Escalations are the team's number-one KPI: every escalation key delivered by Support must be
    in fct_escalations, once. Returns the keys missing from the mart or counted twice.
#}

with

raw_escalations as (

    select distinct escalation_id from {{ source('support_desk', 'escalations') }}

),

mart_escalations as (

    select
        escalation_id,
        count(*) as mart_rows
    from {{ ref('fct_escalations') }}
    group by escalation_id

)

select
    coalesce(raw_escalations.escalation_id, mart_escalations.escalation_id) as escalation_id,
    coalesce(mart_escalations.mart_rows, 0) as mart_rows
from raw_escalations
full outer join mart_escalations
    on raw_escalations.escalation_id = mart_escalations.escalation_id
where
    raw_escalations.escalation_id is null
    or mart_escalations.escalation_id is null
    or mart_escalations.mart_rows != 1
