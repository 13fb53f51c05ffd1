{#-
    Incremental on LOAD time, not event time.

    Each run reads only the rows loaded since the newest `_loaded_at` already here, minus a
    lookback (var `events_lookback_hours`), so a late file -- old `occurred_at`, new `_loaded_at` --
    is picked up like any other, and a load whose clock ran a little behind is not skipped.

    dbt never checks that `unique_key` is unique, and delete+insert would happily insert two copies
    of one event from the same batch. So the batch is deduplicated first (first loaded copy wins),
    and a copy of an event that an *earlier* load already delivered is dropped. Re-running adds
    nothing: rows re-read through the lookback replace themselves (delete+insert on event_id).
-#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

events as (

    select * from {{ ref('stg_events__events') }}
    {% if is_incremental() %}
        where _loaded_at >= (
            select
                coalesce(
                    max(already_loaded._loaded_at), cast('1900-01-01' as timestamp)
                ) as newest_loaded_at
            from {{ this }} as already_loaded
        ) - interval ({{ var('events_lookback_hours') }}) hour
    {% endif %}

),

first_copies as (

    select * from events
    qualify row_number() over (
        partition by event_id
        order by _loaded_at asc, _source asc
    ) = 1

),

{% if is_incremental() %}
    not_loaded_before as (

        select first_copies.*
        from first_copies
        left join {{ this }} as already_loaded
            on
                first_copies.event_id = already_loaded.event_id
                and first_copies._loaded_at > already_loaded._loaded_at
        where already_loaded.event_id is null

    ),
{% else %}
    not_loaded_before as (

        select * from first_copies

    ),
{% endif %}

final as (

    select
        event_id,
        event_type,
        user_id,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        received_at,
        platform,
        app_version,
        properties,
        _load_id,
        _loaded_at,
        _source
    from not_loaded_before

)

select * from final
