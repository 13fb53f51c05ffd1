with

payments as (

    select * from {{ ref('stg_billing__payments') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

final as (

    select
        payments.payment_id,
        payments.invoice_id,
        invoices.subscription_id,
        payments.user_id,
        payments.payment_status,
        payments.failure_code,
        payments.currency,
        payments.amount,
        payments.attempted_at,
        cast(payments.attempted_at as date) as attempted_date,
        payments.refunded_at,
        cast(
            row_number() over (
                partition by payments.invoice_id
                order by payments.attempted_at, payments.payment_id
            ) as integer
        ) as attempt_number,
        payments.payment_status = 'succeeded' as is_succeeded
    from payments
    left join invoices on payments.invoice_id = invoices.invoice_id

)

select * from final
