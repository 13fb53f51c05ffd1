with

source as (

    select * from {{ source('app', 'users') }}

),

renamed as (

    select
        cast(user_id as bigint) as user_id,
        lower(cast(email as varchar)) as email,
        upper(cast(country_code as varchar)) as country_code,
        cast(timezone as varchar) as timezone,
        cast(signup_channel as varchar) as signup_channel,
        cast(created_at as timestamp) as signed_up_at,
        cast(updated_at as timestamp) as updated_at,
        cast(deleted_at as timestamp) as deleted_at,
        deleted_at is not null as is_deleted,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

),

deduplicated as (

    {{ latest_version_of('renamed', key='user_id') }}

)

select * from deduplicated
