{#
    One row per currency and rate day: the rate to the reporting currency (var
    reporting_currency) and the days it serves, until the next rate day. A pair delivered only the
    other way round (reporting currency to the currency) serves inverted. The first rate of a
    currency also serves every earlier day, so an item booked before the rate history starts
    still converts.
#}

{%- set reporting_currency = var('reporting_currency') %}

with

exchange_rates as (

    select * from {{ ref('stg_billing__exchange_rates') }}

),

direct_rates as (

    select
        rate_date,
        currency,
        rate
    from exchange_rates
    where
        quote_currency = '{{ reporting_currency }}'
        and currency != '{{ reporting_currency }}'

),

inverted_rates as (

    select
        exchange_rates.rate_date,
        exchange_rates.quote_currency as currency,
        1.0 / exchange_rates.rate as rate
    from exchange_rates
    left join direct_rates
        on
            exchange_rates.quote_currency = direct_rates.currency
            and exchange_rates.rate_date = direct_rates.rate_date
    where
        exchange_rates.currency = '{{ reporting_currency }}'
        and exchange_rates.quote_currency != '{{ reporting_currency }}'
        and direct_rates.currency is null

),

daily_rates as (

    select * from direct_rates
    union all
    select * from inverted_rates

),

rates_ordered as (

    select
        currency,
        rate_date,
        rate,
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date,
        row_number() over (partition by currency order by rate_date) as rate_number
    from daily_rates

),

final as (

    select
        currency,
        rate_date,
        cast(rate as {{ type_decimal(24, 12) }}) as rate_to_reporting_currency,
        case
            when rate_number = 1 then cast('1900-01-01' as {{ type_date() }})
            else rate_date
        end as serves_from_date,
        coalesce(next_rate_date, cast('2999-12-31' as {{ type_date() }})) as serves_before_date
    from rates_ordered

)

select * from final
