with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

subscription_periods as (

    select * from {{ ref('int_subscription_periods') }}

),

final as (

    select
        invoices.invoice_id,
        invoices.subscription_id,
        invoices.user_id,
        invoices.plan_id,
        invoices.invoice_status,
        invoices.currency,
        invoices.amount_due,
        invoices.amount_paid,
        invoices.amount_refunded,
        cast(invoices.amount_paid - invoices.amount_refunded as decimal(18, 2)) as amount_net,
        -- MRR is defined once, on the billed period; a void invoice bills none.
        cast(coalesce(subscription_periods.mrr_amount, 0) as decimal(18, 4)) as mrr_amount,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.issued_at,
        cast(invoices.issued_at as date) as issued_date,
        invoices.paid_at,
        cast(invoices.paid_at as date) as paid_date,
        invoices.refunded_at,
        cast(invoices.refunded_at as date) as refunded_date,
        invoices.invoice_status = 'paid' as is_paid,
        invoices.amount_refunded > 0 as is_refunded,
        invoices.amount_refunded > 0
        and invoices.amount_refunded = invoices.amount_paid as is_fully_refunded
    from invoices
    left join subscription_periods on invoices.invoice_id = subscription_periods.invoice_id

)

select * from final
