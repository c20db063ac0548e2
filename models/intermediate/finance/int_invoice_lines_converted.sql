{#
    Every line of every invoice that was not voided, with its amount in the reporting currency.
    A line for a subscription item converts at the rate the item was booked at, the same rate
    its MRR uses, so invoices and contracts reconcile without exchange-rate noise; any other line
    (one-off charges, credits) at the rate of the day the invoice was issued.
#}

{%- set reporting_currency = var('reporting_currency') %}

with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

exchange_rates as (

    select * from {{ ref('int_exchange_rates_spanned') }}

),

item_rates as (

    select distinct
        subscription_item_id,
        currency,
        exchange_rate
    from items

),

final as (

    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoice_lines.line_type,
        invoice_lines.subscription_item_id,
        invoices.currency,
        invoices.issued_at,
        coalesce(invoice_lines.period_start_date, invoices.period_start_date) as period_start_date,
        coalesce(invoice_lines.period_end_date, invoices.period_end_date) as period_end_date,
        invoice_lines.amount as amount_in_currency,
        case
            when invoices.currency = '{{ reporting_currency }}' then 1
            else coalesce(item_rates.exchange_rate, exchange_rates.rate_to_reporting_currency)
        end as exchange_rate,
        cast(
            invoice_lines.amount * case
                when invoices.currency = '{{ reporting_currency }}' then 1
                else coalesce(item_rates.exchange_rate, exchange_rates.rate_to_reporting_currency)
            end as {{ type_decimal() }}
        ) as amount
    from invoice_lines
    inner join invoices
        on invoice_lines.invoice_id = invoices.invoice_id
    left join item_rates
        on
            invoice_lines.subscription_item_id = item_rates.subscription_item_id
            and invoices.currency = item_rates.currency
    left join exchange_rates
        on
            invoices.currency = exchange_rates.currency
            and cast(invoices.issued_at as {{ type_date() }}) >= exchange_rates.serves_from_date
            and cast(invoices.issued_at as {{ type_date() }}) < exchange_rates.serves_before_date
    where invoices.status != 'void'

)

select * from final
