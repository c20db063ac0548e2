{#
    DEPRECATED alias of int_calendar_months_spined (renamed to the naming rule
    int_<entities>_<verb>ed, issue 17). Kept only while models in customer_success and escalations
    still ref this name; delete it once they ref int_calendar_months_spined.
#}

select * from {{ ref('int_calendar_months_spined') }}  -- noqa: AM04
