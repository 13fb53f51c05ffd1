{#-
    The calendar every daily model joins to: one row per day from the first sign-up up to the last
    complete day. dbt's `date_spine` ends before `end_date` (today, the first day not yet complete)
    and counts the days with a query when the model is compiled, so its bounds are expressions that
    stand alone: the first sign-up day is a subquery, not an import CTE.
-#}
{%- set first_signup_day -%}
    (
        select coalesce(min(cast(users.signed_up_at as date)), {{ sproutly_today() }})
        from {{ ref('stg_app__users') }} as users
    )
{%- endset %}

with

spine as (

    {{ dbt.date_spine('day', first_signup_day, sproutly_today()) }}

),

days as (

    select cast(spine.date_day as date) as date_day
    from spine

)

select * from days
