{#
    DEPRECATED alias of int_account_tiers_assigned_monthly (renamed to the naming rule
    int_<entities>_<verb>ed_monthly, issue 17). Kept only while models in escalations still ref
    this name; delete it once they ref int_account_tiers_assigned_monthly.
#}

select * from {{ ref('int_account_tiers_assigned_monthly') }}  -- noqa: AM04
