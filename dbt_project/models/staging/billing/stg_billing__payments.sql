with

source as (

    select * from {{ source('billing', 'payments') }}

),

refunds_recorded as (

    -- NULL = a row loaded before the column existed, when every refund was a full one
    select
        *,
        coalesce(
            amount_refunded_cents,
            case when status = 'refunded' then amount_cents else 0 end
        ) as amount_refunded_cents_recorded
    from source

),

renamed as (

    select
        cast(payment_id as varchar) as payment_id,
        cast(invoice_id as varchar) as invoice_id,
        cast(user_id as bigint) as user_id,
        cast(amount_cents as bigint) as amount_cents,
        cast(amount_refunded_cents_recorded as bigint) as amount_refunded_cents,
        {{ cents_to_amount('amount_cents') }} as amount,
        {{ cents_to_amount('amount_refunded_cents_recorded') }} as amount_refunded,
        upper(cast(currency as varchar)) as currency,
        cast(status as varchar) as payment_status,
        cast(failure_code as varchar) as failure_code,
        cast(attempted_at as timestamp) as attempted_at,
        cast(refunded_at as timestamp) as refunded_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from refunds_recorded

),

deduplicated as (

    {{ latest_version_of('renamed', key='payment_id') }}

)

select * from deduplicated
