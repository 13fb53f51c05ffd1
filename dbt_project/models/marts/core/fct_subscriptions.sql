with

subscriptions as (

    select * from {{ ref('stg_app__subscriptions') }}

),

subscription_days as (

    select * from {{ ref('int_subscriptions_mrr_daily') }}

),

mrr_summary as (

    select
        subscription_id,
        min(case when mrr_amount > 0 then date_day end) as first_paying_date,
        max(case when mrr_amount > 0 then date_day end) as last_paying_date,
        max(mrr_amount) as peak_mrr_amount,
        max(date_day) as last_covered_date
    from subscription_days
    group by subscription_id

),

current_mrr as (

    select
        subscription_id,
        mrr_amount
    from subscription_days
    where date_day = {{ last_complete_day() }}

),

final as (

    select
        subscriptions.subscription_id,
        subscriptions.user_id,
        subscriptions.plan_id,
        subscriptions.subscription_status,
        subscriptions.created_at,
        subscriptions.trial_started_at,
        subscriptions.trial_ended_at,
        subscriptions.started_at,
        subscriptions.current_period_start_at,
        subscriptions.current_period_end_at,
        subscriptions.is_canceling_at_period_end,
        subscriptions.canceled_at,
        subscriptions.ended_at,
        subscriptions.trial_started_at is not null as has_trial,
        subscriptions.trial_started_at is not null
        and subscriptions.started_at is not null as is_trial_converted,
        subscriptions.ended_at is not null as has_ended,
        mrr_summary.first_paying_date,
        mrr_summary.last_paying_date,
        cast(coalesce(mrr_summary.peak_mrr_amount, 0) as decimal(18, 4)) as peak_mrr_amount,
        cast(coalesce(current_mrr.mrr_amount, 0) as decimal(18, 4)) as current_mrr_amount
    from subscriptions
    left join mrr_summary on subscriptions.subscription_id = mrr_summary.subscription_id
    left join current_mrr on subscriptions.subscription_id = current_mrr.subscription_id

)

select * from final
