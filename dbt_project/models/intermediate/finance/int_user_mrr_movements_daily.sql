with

subscription_days as (

    select * from {{ ref('int_subscriptions_mrr_daily') }}

),

user_days as (

    select
        user_id,
        date_day,
        sum(mrr_amount) as mrr
    from subscription_days
    group by user_id, date_day
    having sum(mrr_amount) > 0

),

first_paid_days as (

    select
        user_id,
        min(date_day) as first_paid_date
    from user_days
    group by user_id

),

compared as (

    -- Each day's MRR next to the previous day's; the full join also yields the day after a
    -- user's last paying day, where MRR is 0 (a churn).
    select
        coalesce(today.user_id, yesterday.user_id) as user_id,
        coalesce(
            today.date_day, cast({{ dbt.dateadd('day', 1, 'yesterday.date_day') }} as date)
        ) as date_day,
        cast(coalesce(yesterday.mrr, 0) as decimal(18, 4)) as previous_mrr,
        cast(coalesce(today.mrr, 0) as decimal(18, 4)) as mrr
    from user_days as today
    full outer join user_days as yesterday
        on
            today.user_id = yesterday.user_id
            and today.date_day = cast({{ dbt.dateadd('day', 1, 'yesterday.date_day') }} as date)

),

classified as (

    select
        compared.user_id,
        compared.date_day,
        compared.previous_mrr,
        compared.mrr,
        case
            when compared.previous_mrr = 0 and compared.date_day = first_paid_days.first_paid_date
                then 'new'
            when compared.previous_mrr = 0 then 'reactivation'
            when compared.mrr = 0 then 'churn'
            when compared.mrr > compared.previous_mrr then 'expansion'
            when compared.mrr < compared.previous_mrr then 'contraction'
            else 'retained'
        end as movement_type,
        compared.mrr - compared.previous_mrr as movement_amount
    from compared
    inner join first_paid_days on compared.user_id = first_paid_days.user_id
    where compared.date_day <= {{ last_complete_day() }}

)

select * from classified
