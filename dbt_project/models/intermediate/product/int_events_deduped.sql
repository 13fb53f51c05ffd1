{#-
    Incremental on LOAD, not on event time.

    Each run reads only the rows of loads that are not in the model yet. A load commits whole (one
    transaction in ingestion), so a `_load_id` found here was read completely, and a late file --
    old `occurred_at`, new load -- is picked up like any other. Selecting by load id instead of a
    `_loaded_at` lookback window means a new day reads only the new day: at ~10M events a 48 h
    lookback re-read the whole initial load on the day after it.

    The batch is deduplicated first (first loaded copy wins), and a copy of an event that an
    earlier load already delivered is dropped, so every event is inserted once and the model only
    ever appends. Re-running adds nothing: its loads are already here.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

with

events as (

    select * from {{ ref('stg_events__events') }}
    {% if is_incremental() %}
        where _load_id not in (
            select distinct already_loaded._load_id from {{ this }} as already_loaded
        )
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
            on first_copies.event_id = already_loaded.event_id
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
