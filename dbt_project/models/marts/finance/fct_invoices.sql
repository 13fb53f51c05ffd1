with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

plans as (

    select * from {{ ref('stg_app__plans') }}

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
        case
            when invoices.invoice_status = 'void' then cast(0 as decimal(18, 4))
            else cast(invoices.amount_due / plans.billing_interval_months as decimal(18, 4))
        end as mrr_amount,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.issued_at,
        cast(invoices.issued_at as date) as issued_date,
        invoices.paid_at,
        invoices.invoice_status = 'paid' as is_paid
    from invoices
    inner join plans on invoices.plan_id = plans.plan_id

)

select * from final
