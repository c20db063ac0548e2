-- Renewals due in the next 90 days on accounts whose health is not green: the list a CS
-- leader reviews each week with the CSMs who own them, largest ARR first.
-- `dbt compile --select renewals_at_risk_next_quarter`, then run target/compiled/.../*.sql.

with

renewals_due as (

    select * from {{ ref('rpt_renewals_due') }}

),

account_health as (

    select * from {{ ref('rpt_account_health_current') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

final as (

    select
        renewals_due.account_id,
        accounts.account_name,
        renewals_due.owner_csm_id,
        renewals_due.touch_tier,
        renewals_due.term_ends_at,
        renewals_due.days_until_renewal,
        renewals_due.current_arr,
        renewals_due.is_cancellation_requested,
        account_health.health_score,
        account_health.health_band,
        account_health.top_drag_explanation,
        account_health.trouble_escalations_90d
    from renewals_due
    inner join account_health
        on renewals_due.account_id = account_health.account_id
    left join accounts
        on renewals_due.account_id = accounts.account_id
    where
        renewals_due.days_until_renewal <= 90
        and account_health.health_band in ('red', 'yellow')

)

select * from final
order by current_arr desc
