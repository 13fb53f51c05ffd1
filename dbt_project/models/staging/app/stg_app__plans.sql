with

source as (

    select * from {{ source('app', 'plans') }}

),

renamed as (

    select
        cast(plan_id as varchar) as plan_id,
        cast(plan_name as varchar) as plan_name,
        cast(tier as varchar) as plan_tier,
        cast(billing_interval as varchar) as billing_interval,
        case billing_interval
            when 'month' then 1
            when 'year' then 12
        end as billing_interval_months,
        cast(price_cents as bigint) as price_cents,
        {{ cents_to_amount('price_cents') }} as price_amount,
        upper(cast(currency as varchar)) as currency,
        cast(is_active as boolean) as is_active,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

),

deduplicated as (

    {{ latest_version_of('renamed', key='plan_id') }}

)

select * from deduplicated
