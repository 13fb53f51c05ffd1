{#-
    The calendar every daily model joins to: one row per day from the first sign-up up to the last
    complete day (today, the first day not yet complete, is excluded).

    Plain SQL on every engine: the day offsets 0 .. 99,999 (273 years) are five cross-joined digit
    columns, each offset a `dbt.dateadd` from the first day. No `generate_series` (DuckDB) or
    `generator` (Snowflake), and no query at compile time (dbt's `date_spine` counts the days
    with one, which cannot compile before the staging views exist, e.g. in the portability gate).
-#}
with

users as (

    select * from {{ ref('stg_app__users') }}

),

bounds as (

    select
        coalesce(min(cast(users.signed_up_at as date)), {{ sproutly_today() }}) as first_day,
        {{ sproutly_today() }} as end_day
    from users

),

digits as (

    select 0 as digit
    {%- for digit in range(1, 10) %}
        union all
        select {{ digit }} as digit
    {%- endfor %}

),

day_offsets as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

days as (

    select
        cast(
            {{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.first_day') }} as date
        ) as date_day
    from bounds
    cross join day_offsets
    where day_offsets.day_offset < {{ days_between('bounds.first_day', 'bounds.end_day') }}

)

select * from days
