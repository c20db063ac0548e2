{#
    One row per renewal or expansion opportunity the CRM tracks (its latest version): the pipeline
    CSMs work, for BI (renewal and expansion pipeline by owner, stage and close date). Amounts
    are the CRM's annual recurring revenue at stake, in USD.
#}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

final as (

    select
        opportunity_id,
        account_id,
        owner_csm_id,
        opportunity_type,
        stage,
        stage = 'open' as is_open,
        stage = 'closed_won' as is_won,
        cast(amount as {{ type_money() }}) as amount,
        close_date,
        created_at,
        closed_at
    from opportunities

)

select * from final
