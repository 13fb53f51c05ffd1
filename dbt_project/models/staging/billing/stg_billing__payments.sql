with

source as (

    select * from {{ source('billing', 'payments') }}

),

renamed as (

    select
        cast(payment_id as varchar) as payment_id,
        cast(invoice_id as varchar) as invoice_id,
        cast(user_id as bigint) as user_id,
        cast(amount_cents as bigint) as amount_cents,
        cast(amount_cents / 100.0 as decimal(18, 2)) as amount,
        upper(cast(currency as varchar)) as currency,
        cast(status as varchar) as payment_status,
        cast(failure_code as varchar) as failure_code,
        cast(attempted_at as timestamp) as attempted_at,
        cast(refunded_at as timestamp) as refunded_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by payment_id
        order by updated_at desc, _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
