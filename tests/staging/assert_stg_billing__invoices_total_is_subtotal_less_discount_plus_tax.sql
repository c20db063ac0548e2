-- The contract defines an invoice total as subtotal - discount + tax. Returns every invoice that
-- breaks the identity by a cent or more (amounts are in currency units, so a smaller gap is
-- rounding in the billing system, not an error).

with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

mismatched as (

    select
        invoice_id,
        subtotal,
        discount_amount,
        tax_amount,
        total,
        subtotal - discount_amount + tax_amount as expected_total
    from invoices
    where abs(total - (subtotal - discount_amount + tax_amount)) >= 0.01

)

select * from mismatched
