with

payments as (

    select * from {{ ref('stg_billing__payments') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

payments_collected as (

    -- the money that moved: a failed attempt collects nothing; a refunded charge was collected
    select
        *,
        cast(
            case when payment_status = 'failed' then 0 else amount end as decimal(18, 2)
        ) as amount_paid
    from payments

),

final as (

    select
        payments_collected.payment_id,
        payments_collected.invoice_id,
        invoices.subscription_id,
        payments_collected.user_id,
        payments_collected.payment_status,
        payments_collected.failure_code,
        payments_collected.currency,
        payments_collected.amount,
        payments_collected.amount_paid,
        payments_collected.amount_refunded,
        cast(
            payments_collected.amount_paid - payments_collected.amount_refunded as decimal(18, 2)
        ) as amount_net,
        payments_collected.attempted_at,
        cast(payments_collected.attempted_at as date) as attempted_date,
        payments_collected.refunded_at,
        cast(payments_collected.refunded_at as date) as refunded_date,
        cast(
            row_number() over (
                partition by payments_collected.invoice_id
                order by payments_collected.attempted_at, payments_collected.payment_id
            ) as integer
        ) as attempt_number,
        payments_collected.payment_status = 'succeeded' as is_succeeded,
        payments_collected.payment_status = 'refunded' as is_refunded
    from payments_collected
    left join invoices on payments_collected.invoice_id = invoices.invoice_id

)

select * from final
