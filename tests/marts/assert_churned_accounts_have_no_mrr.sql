-- An account in the churned lifecycle stage must not carry MRR: churned means it paid before
-- and pays nothing now. Returns the accounts that break it.

with

accounts as (

    select * from {{ ref('dim_accounts') }}

)

select
    account_id,
    lifecycle_stage,
    mrr
from accounts
where
    lifecycle_stage = 'churned'
    and mrr != 0
