with

source as (

    select * from {{ source('billing', 'invoices') }}

),

renamed as (

    select
        cast(invoice_id as varchar) as invoice_id,
        cast(subscription_id as bigint) as subscription_id,
        cast(user_id as bigint) as user_id,
        cast(plan_id as varchar) as plan_id,
        cast(status as varchar) as invoice_status,
        upper(cast(currency as varchar)) as currency,
        cast(amount_due_cents as bigint) as amount_due_cents,
        cast(amount_paid_cents as bigint) as amount_paid_cents,
        -- NULL = a row loaded before the column existed: no refund was recorded on invoices then
        cast(coalesce(amount_refunded_cents, 0) as bigint) as amount_refunded_cents,
        {{ cents_to_amount('amount_due_cents') }} as amount_due,
        {{ cents_to_amount('amount_paid_cents') }} as amount_paid,
        {{ cents_to_amount('coalesce(amount_refunded_cents, 0)') }} as amount_refunded,
        cast(period_start as timestamp) as period_start_at,
        cast(period_end as timestamp) as period_end_at,
        cast(issued_at as timestamp) as issued_at,
        cast(paid_at as timestamp) as paid_at,
        cast(refunded_at as timestamp) as refunded_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

),

deduplicated as (

    {{ latest_version_of('renamed', key='invoice_id') }}

)

select * from deduplicated
