{{ config(materialized='table') }}

with

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

subscriptions as (

    select * from {{ ref('stg_app__subscriptions') }}

),

days as (

    select * from {{ ref('int_calendar_days') }}

),

covered_days as (

    select
        periods.subscription_id,
        periods.user_id,
        days.date_day,
        periods.invoice_id,
        periods.plan_id,
        periods.issued_at,
        periods.mrr_amount
    from periods
    inner join days
        on
            periods.period_start_date <= days.date_day
            and periods.period_end_date > days.date_day

),

latest_invoice_per_day as (

    select * from covered_days
    qualify row_number() over (
        partition by subscription_id, date_day
        order by issued_at desc nulls last, invoice_id desc nulls last
    ) = 1

),

before_end as (

    select latest_invoice_per_day.*
    from latest_invoice_per_day
    inner join subscriptions
        on latest_invoice_per_day.subscription_id = subscriptions.subscription_id
    where
        subscriptions.ended_at is null
        or latest_invoice_per_day.date_day < cast(subscriptions.ended_at as date)

)

select * from before_end
