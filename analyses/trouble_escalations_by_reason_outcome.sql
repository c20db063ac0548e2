-- What followed trouble escalations, by reason: which kinds of trouble Support hands over end
-- in churn or contraction within 90 days, to decide where a save play pays off first.
-- Only escalations with 90 observed days after them count.

with

escalations as (

    select * from {{ ref('fct_escalations') }}

),

final as (

    select
        reason,
        count(*) as observed_escalations,
        sum(case when is_followed_by_churn_90d then 1 else 0 end) as followed_by_churn,
        sum(case when is_followed_by_contraction_90d then 1 else 0 end)
            as followed_by_contraction,
        avg(case when is_followed_by_churn_90d then 1.0 else 0.0 end) as churn_rate_90d,
        avg(hours_to_resolution) as average_hours_to_resolution
    from escalations
    where
        escalation_type = 'trouble'
        and is_observed_90d
    group by reason

)

select * from final
order by churn_rate_90d desc
