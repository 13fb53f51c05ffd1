with

users as (

    select * from {{ ref('stg_app__users') }}

),

events as (

    select * from {{ ref('int_events_deduped') }}

),

first_actions as (

    select
        events.user_id,
        min(
            case when events.event_type = 'plant_added' then events.occurred_at end
        ) as first_plant_added_at,
        min(
            case when events.event_type = 'reminder_completed' then events.occurred_at end
        ) as first_reminder_completed_at
    from events
    inner join users on events.user_id = users.user_id
    where
        events.event_type in ('plant_added', 'reminder_completed')
        and events.occurred_at >= users.signed_up_at
        and events.occurred_at
        < {{ dbt.dateadd('day', var('activation_window_days'), 'users.signed_up_at') }}
    group by events.user_id

),

activation as (

    select
        users.user_id,
        users.signed_up_at,
        first_actions.first_plant_added_at,
        first_actions.first_reminder_completed_at,
        coalesce(
            first_actions.first_plant_added_at is not null
            and first_actions.first_reminder_completed_at is not null,
            false
        ) as is_activated,
        case
            when
                first_actions.first_plant_added_at is not null
                and first_actions.first_reminder_completed_at is not null
                then greatest(
                    first_actions.first_plant_added_at,
                    first_actions.first_reminder_completed_at
                )
        end as activated_at,
        {{ dbt.dateadd('day', var('activation_window_days'), 'users.signed_up_at') }}
        <= {{ sproutly_now() }} as is_activation_window_complete
    from users
    left join first_actions on users.user_id = first_actions.user_id

)

select * from activation
