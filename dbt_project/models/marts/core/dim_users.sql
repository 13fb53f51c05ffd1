with

users as (

    select * from {{ ref('stg_app__users') }}

),

activation as (

    select * from {{ ref('int_users_activation') }}

),

subscriptions as (

    select * from {{ ref('stg_app__subscriptions') }}

),

latest_mrr as (

    select * from {{ ref('int_subscriptions_mrr_daily') }}
    where date_day = {{ last_complete_day() }}

),

subscription_summary as (

    select
        user_id,
        cast(count(*) as bigint) as subscriptions,
        min(trial_started_at) as first_trial_started_at,
        min(started_at) as first_paid_at
    from subscriptions
    group by user_id

),

current_mrr as (

    select
        user_id,
        sum(mrr_amount) as mrr_amount
    from latest_mrr
    group by user_id

),

final as (

    select
        users.user_id,
        users.country_code,
        users.timezone,
        users.signup_channel,
        users.signed_up_at,
        cast(users.signed_up_at as date) as signed_up_date,
        cast(date_trunc('month', users.signed_up_at) as date) as signup_cohort_month,
        users.deleted_at,
        users.is_deleted,
        activation.is_activated,
        activation.activated_at,
        activation.is_activation_window_complete,
        coalesce(subscription_summary.subscriptions, 0) as subscriptions,
        subscription_summary.first_trial_started_at,
        subscription_summary.first_paid_at,
        cast(coalesce(current_mrr.mrr_amount, 0) as decimal(18, 4)) as current_mrr_amount,
        coalesce(current_mrr.mrr_amount, 0) > 0 as is_paying
    from users
    left join activation on users.user_id = activation.user_id
    left join subscription_summary on users.user_id = subscription_summary.user_id
    left join current_mrr on users.user_id = current_mrr.user_id

)

select * from final
