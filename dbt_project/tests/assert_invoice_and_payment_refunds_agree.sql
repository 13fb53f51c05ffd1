{#-
    An invoice's refund is its payment's refund: billing records the same amount on both
    (docs/contracts.md §1b). Returns the invoices where amount_refunded differs from the sum of
    their payments' amount_refunded.

    Warn, not error: raw rows loaded before refunds were recorded on invoices read 0 refunded
    (staging), while their refunded payments read a full refund, so such a warehouse disagrees
    for those old refunds without anything being wrong with the new data.
-#}
{#- Dagster reports this test as a check of fct_invoices (it reads two models). -#}
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_invoices'}}}) }}

with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

payments as (

    select * from {{ ref('fct_payments') }}

),

refunds_by_invoice as (

    select
        invoice_id,
        sum(amount_refunded) as amount_refunded
    from payments
    group by invoice_id

),

compared as (

    select
        invoices.invoice_id,
        invoices.amount_refunded as invoice_amount_refunded,
        coalesce(refunds_by_invoice.amount_refunded, 0) as payments_amount_refunded
    from invoices
    left join refunds_by_invoice on invoices.invoice_id = refunds_by_invoice.invoice_id

)

select *
from compared
where invoice_amount_refunded != payments_amount_refunded
