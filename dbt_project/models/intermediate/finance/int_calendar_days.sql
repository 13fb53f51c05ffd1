with

users as (

    select * from {{ ref('stg_app__users') }}

),

bounds as (

    select
        coalesce(min(cast(signed_up_at as date)), {{ sproutly_today() }}) as first_day,
        {{ sproutly_today() }} - interval 1 day as last_day
    from users

),

days as (

    {{ day_series('(select first_day from bounds)', '(select last_day from bounds)') }}

)

select * from days
