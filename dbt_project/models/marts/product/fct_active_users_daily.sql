{#-
    Rolling active users without a 30x range join.

    Each active day `a` keeps the user "active within the last N days" on days a .. a+N-1, unless
    the user's next active day `n` comes sooner and takes over. So every active day contributes +1
    on day a and -1 on day least(n, a+N); a running sum of those steps, day by day, is the number
    of distinct users active in the trailing N days. The work is linear in user-days.
-#}
with

days as (

    select * from {{ ref('int_calendar_days') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}
    where is_active

),

active_days as (

    select
        user_id,
        activity_date,
        lead(activity_date) over (
            partition by user_id order by activity_date
        ) as next_activity_date
    from activity

),

{%- set windows = {'wau': 7, 'mau': 30} %}

steps as (

    {%- for name, length in windows.items() %}
        select
            '{{ name }}' as measure,
            activity_date as date_day,
            1 as step
        from active_days
        union all
        select
            '{{ name }}' as measure,
            least(
                coalesce(next_activity_date, activity_date + {{ length }}),
                activity_date + {{ length }}
            ) as date_day,
            -1 as step
        from active_days
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

steps_by_day as (

    select
        date_day,
        sum(case when measure = 'wau' then step end) as wau_step,
        sum(case when measure = 'mau' then step end) as mau_step
    from steps
    group by date_day

),

daily_active as (

    select
        activity_date as date_day,
        count(*) as dau
    from activity
    group by activity_date

),

final as (

    select
        days.date_day,
        cast(coalesce(daily_active.dau, 0) as bigint) as dau,
        cast(
            sum(coalesce(steps_by_day.wau_step, 0)) over (
                order by days.date_day rows between unbounded preceding and current row
            ) as bigint
        ) as wau,
        cast(
            sum(coalesce(steps_by_day.mau_step, 0)) over (
                order by days.date_day rows between unbounded preceding and current row
            ) as bigint
        ) as mau
    from days
    left join daily_active on days.date_day = daily_active.date_day
    left join steps_by_day on days.date_day = steps_by_day.date_day

)

select * from final
