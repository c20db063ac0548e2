{#
    One row per paying account per week: the health score (0-100), its band, its change against
    four weeks earlier, every component's score, and the two components pulling it down most,
    as text a CSM can act on. Score = sum of weight x component score / sum of the weights of
    the components that could be scored (a missing component's weight is redistributed, never
    scored as zero). An account-week where no component could be scored (the sources behind
    them never delivered) has no row.

    Incremental (macros/incremental), like its components: a run restates the newest
    `incremental_lookback_weeks` weeks and every week of an account whose touch tier changed,
    and inserts the account-weeks the table lacks, reading each such account's components from
    four weeks before its first missing week (for the change over four weeks).
#}

{{ config(**incremental_config(unique_key='account_week_id')) }}
{{ config(pre_hook="{{ delete_restated_weekly_rows(
    ref('fct_account_health_components_weekly'), 'account_week_id') }}") }}

with

all_components as (

    select * from {{ ref('fct_account_health_components_weekly') }}

),

-- The account-weeks the table lacks, first per account (on a full build: every account-week).
missing_weeks as (

    select
        account_id,
        min(week_start_date) as first_missing_week_start_date
    from all_components
    where {{ where_row_missing('all_components.account_week_id', 'account_week_id') }}
    group by account_id

),

-- Their components, from four weeks before (the change over four weeks reads them).
components as (

    select all_components.*
    from all_components
    inner join missing_weeks
        on
            all_components.account_id = missing_weeks.account_id
            and all_components.week_start_date >= cast(
                {{ dbt.dateadd('day', -28, 'missing_weeks.first_missing_week_start_date') }}
                as date
            )

),

bands as (

    select * from {{ ref('health_score_bands') }}
    where health_score_version = '{{ var("health_score_version") }}'

),

scored_weights as (

    select
        account_week_id,
        sum(weight) as scored_weight
    from components
    where component_score is not null and weight > 0
    group by account_week_id

),

points_lost as (

    select
        components.account_week_id,
        components.component,
        components.component_explanation,
        1.0 * components.weight / scored_weights.scored_weight
        * (100 - components.component_score) as points_lost,
        -- Ranked on weight x points below 100, which orders like points_lost (the scored weight
        -- is the same for the whole account-week) but in exact decimals: a tie stays a tie on
        -- every engine and goes to the component name, instead of to floating-point noise.
        row_number() over (
            partition by components.account_week_id
            order by
                components.weight * (100 - components.component_score) desc,
                components.component
        ) as drag_rank
    from components
    inner join scored_weights
        on components.account_week_id = scored_weights.account_week_id
    where components.component_score is not null and components.weight > 0

),

scores as (

    select
        components.account_week_id,
        components.account_id,
        components.week_start_date,
        components.touch_tier,
        sum(
            case
                when components.component_score is not null and components.weight > 0
                    then components.weight * components.component_score
                else 0
            end
        ) / max(scored_weights.scored_weight) as health_score,
        max(scored_weights.scored_weight) as scored_weight,
        sum(
            case
                when components.component_score is not null and components.weight > 0 then 1
                else 0
            end
        ) as components_scored,
        {% for component in [
            'engagement', 'relationship', 'usage_trend', 'adoption', 'utilization',
            'customer_sentiment', 'csm_sentiment', 'support', 'business_outcomes', 'onboarding'
        ] -%}
            max(
                case
                    when components.component = '{{ component }}' then components.component_score
                end
            ) as {{ component }}_score{% if not loop.last %},{% endif %}
        {% endfor %}
    from components
    left join scored_weights
        on components.account_week_id = scored_weights.account_week_id
    group by
        components.account_week_id,
        components.account_id,
        components.week_start_date,
        components.touch_tier

),

banded as (

    select
        scores.*,
        bands.health_band,
        row_number() over (
            partition by scores.account_week_id order by bands.min_score desc
        ) as band_rank
    from scores
    left join bands
        on scores.health_score >= bands.min_score

),

final as (

    select
        banded.account_week_id,
        banded.account_id,
        banded.week_start_date,
        banded.touch_tier,
        '{{ var("health_score_version") }}' as health_score_version,
        banded.health_score,
        banded.health_band,
        banded.health_score - four_weeks_earlier.health_score as health_score_change_4w,
        cast(banded.components_scored as {{ dbt.type_bigint() }}) as components_scored,
        cast(banded.scored_weight as {{ type_money() }}) as scored_weight,
        banded.engagement_score,
        banded.relationship_score,
        banded.usage_trend_score,
        banded.adoption_score,
        banded.utilization_score,
        banded.customer_sentiment_score,
        banded.csm_sentiment_score,
        banded.support_score,
        banded.business_outcomes_score,
        banded.onboarding_score,
        first_drag.component as top_drag_component,
        first_drag.component_explanation as top_drag_explanation,
        second_drag.component as second_drag_component,
        second_drag.component_explanation as second_drag_explanation
    from banded
    left join banded as four_weeks_earlier
        on
            banded.account_id = four_weeks_earlier.account_id
            and four_weeks_earlier.band_rank = 1
            and four_weeks_earlier.week_start_date
            = cast({{ dbt.dateadd('day', -28, 'banded.week_start_date') }} as date)
    left join points_lost as first_drag
        on
            banded.account_week_id = first_drag.account_week_id
            and first_drag.drag_rank = 1
            and first_drag.points_lost > 0
    left join points_lost as second_drag
        on
            banded.account_week_id = second_drag.account_week_id
            and second_drag.drag_rank = 2
            and second_drag.points_lost > 0
    -- An account-week with nothing to score (its sources not delivered) has no score to show.
    where
        banded.band_rank = 1
        and banded.components_scored > 0
        and {{ where_row_missing('banded.account_week_id', 'account_week_id') }}

)

select * from final
