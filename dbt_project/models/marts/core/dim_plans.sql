with

plans as (

    select * from {{ ref('stg_app__plans') }}

),

final as (

    select
        plan_id,
        plan_name,
        plan_tier,
        billing_interval,
        cast(billing_interval_months as integer) as billing_interval_months,
        price_amount,
        cast(price_amount / billing_interval_months as decimal(18, 4)) as monthly_price_amount,
        currency,
        is_active,
        created_at,
        updated_at
    from plans

)

select * from final
