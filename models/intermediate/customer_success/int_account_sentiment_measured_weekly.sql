{#
    Sentiment indicators per account per week: the latest NPS answer and the trailing 90-day NPS
    (% promoters - % detractors, answers 9-10 and 0-6), CSAT on tickets solved in the last 90 days
    (satisfied ratings / rated tickets, on either scale: 4-5 of 5 or good is satisfied),
    the CSM's latest sentiment pulse, and advocates (contacts who were NPS promoters in the last
    180 days, or are champions).
#}

with

grid as (

    select * from {{ ref('int_account_weeks_spined') }}

),

surveys as (

    select * from {{ ref('stg_crm__survey_responses') }}

),

pulses as (

    select * from {{ ref('stg_crm__csm_sentiment_pulses') }}

),

tickets as (

    -- Deleted tickets never reach a mart (counted in rpt_support_tickets_weekly).
    select * from {{ ref('stg_support_desk__tickets') }}
    where not is_deleted

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

nps_answers as (

    select
        account_id,
        contact_id,
        score,
        responded_at,
        cast({{ dbt.date_trunc('week', 'responded_at') }} as date) as week_start_date
    from surveys
    where survey_type = 'nps'

),

pulse_weeks as (

    select
        account_id,
        sentiment_score,
        recorded_at,
        cast({{ dbt.date_trunc('week', 'recorded_at') }} as date) as week_start_date
    from pulses

),

latest_in_week as (

    select
        grid.account_week_id,
        max(nps_answers.responded_at) as last_nps_at,
        max(pulse_weeks.recorded_at) as last_pulse_at
    from grid
    left join nps_answers
        on
            grid.account_id = nps_answers.account_id
            and grid.week_start_date = nps_answers.week_start_date
    left join pulse_weeks
        on
            grid.account_id = pulse_weeks.account_id
            and grid.week_start_date = pulse_weeks.week_start_date
    group by grid.account_week_id

),

latest_known as (

    select
        grid.account_week_id,
        grid.account_id,
        max(latest_in_week.last_nps_at) over running_weeks as last_nps_at,
        max(latest_in_week.last_pulse_at) over running_weeks as last_pulse_at
    from grid
    inner join latest_in_week
        on grid.account_week_id = latest_in_week.account_week_id
    window running_weeks as (
        partition by grid.account_id order by grid.week_start_date
        rows between unbounded preceding and current row
    )

),

latest_values as (

    select
        latest_known.account_week_id,
        avg(nps_answers.score) as latest_nps_score,
        avg(pulse_weeks.sentiment_score) as latest_csm_sentiment_score
    from latest_known
    left join nps_answers
        on
            latest_known.account_id = nps_answers.account_id
            and latest_known.last_nps_at = nps_answers.responded_at
    left join pulse_weeks
        on
            latest_known.account_id = pulse_weeks.account_id
            and latest_known.last_pulse_at = pulse_weeks.recorded_at
    group by latest_known.account_week_id

),

nps_windows as (

    select
        grid.account_week_id,
        sum(
            case
                when nps_answers.responded_at
                    >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
                    then 1
                else 0
            end
        ) as nps_responses_90d,
        sum(
            case
                when nps_answers.responded_at
                    >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
                    and nps_answers.score >= 9
                    then 1
                when nps_answers.responded_at
                    >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
                    and nps_answers.score <= 6
                    then -1
                else 0
            end
        ) as net_promoters_90d,
        count(
            distinct case when nps_answers.score >= 9 then nps_answers.contact_id end
        ) as promoter_contacts_180d
    from grid
    inner join nps_answers
        on
            grid.account_id = nps_answers.account_id
            and grid.week_ends_before > nps_answers.responded_at
            and nps_answers.responded_at
            >= {{ dbt.dateadd('day', -180, 'grid.week_ends_before') }}
    group by grid.account_week_id

),

ticket_csat as (

    select
        grid.account_week_id,
        avg(case when tickets.is_csat_satisfied then 1.0 else 0.0 end) as ticket_csat_90d,
        count(*) as ticket_csat_responses_90d
    from grid
    inner join tickets
        on
            grid.account_id = tickets.account_id
            and grid.week_ends_before > tickets.solved_at
            and tickets.solved_at >= {{ dbt.dateadd('day', -90, 'grid.week_ends_before') }}
    where tickets.is_csat_satisfied is not null
    group by grid.account_week_id

),

advocate_contacts as (

    select
        grid.account_week_id,
        nps_answers.contact_id
    from grid
    inner join nps_answers
        on
            grid.account_id = nps_answers.account_id
            and nps_answers.score >= 9
            and grid.week_ends_before > nps_answers.responded_at
            and nps_answers.responded_at
            >= {{ dbt.dateadd('day', -180, 'grid.week_ends_before') }}
    union all
    select
        grid.account_week_id,
        contacts.contact_id
    from grid
    inner join contacts
        on
            grid.account_id = contacts.account_id
            and contacts.is_champion
            and grid.week_ends_before > contacts.created_at

),

advocates as (

    select
        account_week_id,
        count(distinct contact_id) as advocates
    from advocate_contacts
    group by account_week_id

),

final as (

    select
        grid.account_week_id,
        grid.account_id,
        grid.week_start_date,
        latest_values.latest_nps_score,
        coalesce(nps_windows.nps_responses_90d, 0) as nps_responses_90d,
        100.0 * nps_windows.net_promoters_90d
        / nullif(nps_windows.nps_responses_90d, 0) as nps_90d,
        ticket_csat.ticket_csat_90d,
        coalesce(ticket_csat.ticket_csat_responses_90d, 0) as ticket_csat_responses_90d,
        latest_values.latest_csm_sentiment_score,
        coalesce(nps_windows.promoter_contacts_180d, 0) as promoter_contacts_180d,
        coalesce(advocates.advocates, 0) as advocates
    from grid
    inner join latest_values
        on grid.account_week_id = latest_values.account_week_id
    left join nps_windows
        on grid.account_week_id = nps_windows.account_week_id
    left join ticket_csat
        on grid.account_week_id = ticket_csat.account_week_id
    left join advocates
        on grid.account_week_id = advocates.account_week_id

)

select * from final
