-- The Customer Success roster BI and the dashboard show CSMs by: names of the team's own staff,
-- which the CS team needs to read its own numbers. Their emails stay in staging.

with

csms as (

    select * from {{ ref('stg_crm__csms') }}

),

final as (

    select
        csm_id,
        full_name as csm_name,
        team,
        role,
        manager_csm_id,
        hired_date,
        is_active
    from csms

)

select * from final
