with

source as (

    select * from {{ source('app', 'subscriptions') }}

),

renamed as (

    select
        cast(subscription_id as bigint) as subscription_id,
        cast(user_id as bigint) as user_id,
        cast(plan_id as varchar) as plan_id,
        cast(status as varchar) as subscription_status,
        cast(trial_start_at as timestamp) as trial_started_at,
        cast(trial_end_at as timestamp) as trial_ended_at,
        cast(started_at as timestamp) as started_at,
        cast(current_period_start as timestamp) as current_period_start_at,
        cast(current_period_end as timestamp) as current_period_end_at,
        cast(cancel_at_period_end as boolean) as is_canceling_at_period_end,
        cast(canceled_at as timestamp) as canceled_at,
        cast(ended_at as timestamp) as ended_at,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

),

deduplicated as (

    {{ latest_version_of('renamed', key='subscription_id') }}

)

select * from deduplicated
