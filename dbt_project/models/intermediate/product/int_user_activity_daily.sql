with

events as (

    select * from {{ ref('int_events_deduped') }}

),

user_days as (

    select
        user_id,
        occurred_date as activity_date,
        cast(count(*) as bigint) as events,
        cast(count_if(event_type != 'reminder_sent') as bigint) as user_events,
        cast(count_if(event_type = 'plant_added') as bigint) as plants_added,
        cast(count_if(event_type = 'reminder_completed') as bigint) as reminders_completed,
        count_if(event_type != 'reminder_sent') > 0 as is_active
    from events
    group by user_id, occurred_date

)

select * from user_days
