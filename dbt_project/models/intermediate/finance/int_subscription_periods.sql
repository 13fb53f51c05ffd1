with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

plans as (

    select * from {{ ref('stg_app__plans') }}

),

billed_periods as (

    select
        invoices.invoice_id,
        invoices.subscription_id,
        invoices.user_id,
        invoices.plan_id,
        invoices.invoice_status,
        invoices.issued_at,
        invoices.period_start_at,
        invoices.period_end_at,
        cast(invoices.period_start_at as date) as period_start_date,
        cast(invoices.period_end_at as date) as period_end_date,
        invoices.amount_due,
        plans.billing_interval_months,
        cast(
            invoices.amount_due / plans.billing_interval_months as decimal(18, 4)
        ) as mrr_amount
    from invoices
    inner join plans on invoices.plan_id = plans.plan_id
    where invoices.invoice_status != 'void'

)

select * from billed_periods
