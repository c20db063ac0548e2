{#
    One row per period (week or month), escalation type (trouble, opportunity) and slice (all,
    touch_tier, reason, product, severity, owner_csm): escalations received from Support, the
    accounts escalated, repeats, average hours from ticket to escalation, to acceptance and to
    resolution, and the rates per 100 tickets and per 100 active (paying) accounts of the same
    slice. A rate is empty where the slice has no tickets or accounts of its own (a reason or a
    severity describes escalations, not tickets).
#}

{%- set slices = {
    'all': "'all'",
    'touch_tier': 'touch_tier',
    'reason': 'reason',
    'product': "coalesce(product_id, 'unknown')",
    'severity': 'severity',
    'owner_csm': "coalesce(owner_csm_id, 'unassigned')",
} %}
{%- set ticket_slices = ['all', 'touch_tier', 'product', 'owner_csm'] %}
{#- What a slice adds to a group by: nothing for 'all' (PostgreSQL refuses a constant there). #}
{%- set slice_grouping = {} %}
{%- for slice, expression in slices.items() %}
    {%- do slice_grouping.update({slice: [] if slice == 'all' else [expression]}) %}
{%- endfor %}
{%- set account_slices = ['all', 'touch_tier', 'owner_csm'] %}

with

escalations as (

    select * from {{ ref('fct_escalations') }}

),

tickets as (

    -- Deleted tickets never reach a mart (counted in rpt_support_tickets_weekly).
    select * from {{ ref('stg_support_desk__tickets') }}
    where not is_deleted

),

tiers as (

    select * from {{ ref('fct_account_touch_tiers_monthly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

account_weeks as (

    select * from {{ ref('int_account_weeks_spined') }}

),

escalation_periods as (

    {% for grain in ['week', 'month'] %}
        select
            '{{ grain }}' as period_grain,
            escalated_{{ grain }}_start_date as period_start_date,
            escalation_type,
            escalation_id,
            account_id,
            is_repeat_escalation,
            hours_ticket_to_escalation,
            hours_to_acceptance,
            hours_to_resolution,
            touch_tier,
            reason,
            product_id,
            severity,
            owner_csm_id
        from escalations
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

escalation_counts as (

    {% for slice, expression in slices.items() %}
        select
            period_grain,
            period_start_date,
            escalation_type,
            '{{ slice }}' as slice_type,
            {{ expression }} as slice_value,
            count(*) as escalations,
            count(distinct account_id) as accounts_escalated,
            sum(case when is_repeat_escalation then 1 else 0 end) as repeat_escalations,
            avg(hours_ticket_to_escalation) as average_hours_ticket_to_escalation,
            avg(hours_to_acceptance) as average_hours_to_acceptance,
            avg(hours_to_resolution) as average_hours_to_resolution
        from escalation_periods
        group by
            {{ (['period_grain', 'period_start_date', 'escalation_type'] + slice_grouping[slice])
                | join(', ') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

ticket_facts as (

    select
        tickets.ticket_id,
        tickets.product_id,
        tiers.touch_tier,
        accounts.owner_csm_id,
        cast({{ dbt.date_trunc('week', 'tickets.created_at') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'tickets.created_at') }} as date) as month_start_date
    from tickets
    left join accounts
        on tickets.account_id = accounts.account_id
    left join tiers
        on
            tickets.account_id = tiers.account_id
            and cast({{ dbt.date_trunc('month', 'tickets.created_at') }} as date)
            = tiers.month_start_date

),

ticket_counts as (

    {% for grain in ['week', 'month'] %}
        {% set outer_loop = loop %}
        {% for slice in ticket_slices %}
            select
                '{{ grain }}' as period_grain,
                {{ grain }}_start_date as period_start_date,
                '{{ slice }}' as slice_type,
                {{ slices[slice] }} as slice_value,
                count(*) as tickets
            from ticket_facts
            group by {{ ([grain ~ '_start_date'] + slice_grouping[slice]) | join(', ') }}
            {% if not (loop.last and outer_loop.last) %}union all{% endif %}
        {% endfor %}
    {% endfor %}

),

active_accounts as (

    {% for slice in account_slices %}
        {%- set account_grouping = slice_grouping[slice]
            | map('replace', 'touch_tier', 'tiers.touch_tier') | list %}
        select
            'month' as period_grain,
            tiers.month_start_date as period_start_date,
            '{{ slice }}' as slice_type,
            {{ slices[slice] | replace('touch_tier', 'tiers.touch_tier') }} as slice_value,
            count(*) as active_accounts
        from tiers
        inner join accounts
            on tiers.account_id = accounts.account_id
        where tiers.is_paying
        group by {{ (['tiers.month_start_date'] + account_grouping) | join(', ') }}
        union all
        select
            'week' as period_grain,
            account_weeks.week_start_date as period_start_date,
            '{{ slice }}' as slice_type,
            {{ slices[slice] | replace('touch_tier', 'tiers.touch_tier') }} as slice_value,
            count(*) as active_accounts
        from account_weeks
        inner join accounts
            on account_weeks.account_id = accounts.account_id
        {% if slice == 'touch_tier' -%}
            left join tiers
                on
                    account_weeks.account_id = tiers.account_id
                    and cast(
                        {{ dbt.date_trunc('month', 'account_weeks.week_start_date') }} as date
                    ) = tiers.month_start_date
        {%- endif %}
        where account_weeks.is_paying
        group by {{ (['account_weeks.week_start_date'] + account_grouping) | join(', ') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ surrogate_key([
            'escalation_counts.period_grain',
            'escalation_counts.period_start_date',
            'escalation_counts.escalation_type',
            'escalation_counts.slice_type',
            'escalation_counts.slice_value'
        ]) }} as escalation_kpi_id,
        escalation_counts.period_grain,
        escalation_counts.period_start_date,
        escalation_counts.escalation_type,
        escalation_counts.slice_type,
        escalation_counts.slice_value,
        escalation_counts.escalations,
        escalation_counts.accounts_escalated,
        cast(escalation_counts.repeat_escalations as {{ dbt.type_bigint() }}) as repeat_escalations,
        escalation_counts.average_hours_ticket_to_escalation,
        escalation_counts.average_hours_to_acceptance,
        escalation_counts.average_hours_to_resolution,
        ticket_counts.tickets,
        100.0 * escalation_counts.escalations / nullif(ticket_counts.tickets, 0)
            as escalations_per_100_tickets,
        active_accounts.active_accounts,
        100.0 * escalation_counts.escalations / nullif(active_accounts.active_accounts, 0)
            as escalations_per_100_active_accounts
    from escalation_counts
    left join ticket_counts
        on
            escalation_counts.period_grain = ticket_counts.period_grain
            and escalation_counts.period_start_date = ticket_counts.period_start_date
            and escalation_counts.slice_type = ticket_counts.slice_type
            and escalation_counts.slice_value = ticket_counts.slice_value
    left join active_accounts
        on
            escalation_counts.period_grain = active_accounts.period_grain
            and escalation_counts.period_start_date = active_accounts.period_start_date
            and escalation_counts.slice_type = active_accounts.slice_type
            and escalation_counts.slice_value = active_accounts.slice_value

)

select * from final
