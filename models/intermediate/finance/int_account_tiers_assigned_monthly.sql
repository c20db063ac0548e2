{%- set tier_reason_parts = ['matching_rules.touch_tier', "':'", 'matching_rules.rule_name'] -%}

{#
    Each account's touch tier in every month since the account was created (or first paid, if
    billing knew it first), by the rules in the touch_tier_rules seed applied to that month's ARR,
    seats and products and the company's size: a rule matches when the account meets every threshold the rule sets (empty = not part of the
    rule); the highest tier with a matching rule wins, its first matching rule is the reason, and
    a tier set by hand in the CRM overrides the rules. No matching rule means Tech Touch. The CRM
    keeps only the current override and head count, so those apply to every month.
#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

rules as (

    select * from {{ ref('touch_tier_rules') }}

),

months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

account_facts as (

    select
        accounts.account_id,
        months.month_start_date,
        accounts.employee_count,
        accounts.touch_tier_override,
        coalesce(account_months.mrr, 0) as mrr,
        coalesce(account_months.arr, 0) as arr,
        coalesce(account_months.seats, 0) as seats,
        coalesce(account_months.product_count, 0) as product_count
    from accounts
    cross join months
    left join account_months
        on
            accounts.account_id = account_months.account_id
            and months.month_start_date = account_months.month_start_date
    -- Every paying month has a tier, also one billed before the CRM account was created.
    where
        accounts.created_at < months.next_month_start_date
        or account_months.account_id is not null

),

matching_rules as (

    select
        account_facts.account_id,
        rules.touch_tier,
        rules.rule_name,
        account_facts.month_start_date,
        row_number() over (
            partition by account_facts.account_id, account_facts.month_start_date
            order by
                case rules.touch_tier when 'high_touch' then 1 when 'low_touch' then 2 else 3 end,
                rules.rule_order
        ) as match_rank
    from account_facts
    inner join rules
        on
            (rules.min_arr is null or account_facts.arr >= rules.min_arr)
            and (
                rules.min_employee_count is null
                or account_facts.employee_count >= rules.min_employee_count
            )
            and (
                rules.min_product_count is null
                or account_facts.product_count >= rules.min_product_count
            )
            and (rules.min_seats is null or account_facts.seats >= rules.min_seats)

),

final as (

    select
        {{ surrogate_key(['account_facts.account_id', 'account_facts.month_start_date']) }}
            as account_month_id,
        account_facts.account_id,
        account_facts.month_start_date,
        account_facts.mrr,
        account_facts.arr,
        account_facts.seats,
        account_facts.product_count,
        coalesce(
            account_facts.touch_tier_override, matching_rules.touch_tier, 'tech_touch'
        ) as touch_tier,
        case
            when account_facts.touch_tier_override is not null then 'crm_override'
            when matching_rules.rule_name is not null
                then {{ dbt.concat(tier_reason_parts) }}
            else 'tech_touch:default'
        end as touch_tier_reason
    from account_facts
    left join matching_rules
        on
            account_facts.account_id = matching_rules.account_id
            and account_facts.month_start_date = matching_rules.month_start_date
            and matching_rules.match_rank = 1

)

select * from final
