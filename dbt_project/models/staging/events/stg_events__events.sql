{#-
    Events are immutable facts, so there is no "latest version" to pick. This view only renames and
    casts; the same event delivered twice (a re-sent file) is removed by the incremental
    `int_events_deduped`, which reads only recent loads instead of the whole log on every run.
-#}
with

source as (

    select * from {{ source('events', 'events') }}

),

renamed as (

    select
        cast(event_id as varchar) as event_id,
        cast(event_type as varchar) as event_type,
        cast(user_id as bigint) as user_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(received_at as timestamp) as received_at,
        cast(platform as varchar) as platform,
        cast(app_version as varchar) as app_version,
        {{ as_json('properties') }} as properties,
        cast(_load_id as varchar) as _load_id,
        cast(_loaded_at as timestamp) as _loaded_at,
        cast(_source as varchar) as _source
    from source

)

select * from renamed
