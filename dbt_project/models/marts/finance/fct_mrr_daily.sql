with

days as (

    select * from {{ ref('int_calendar_days') }}

),

movements as (

    select * from {{ ref('int_user_mrr_movements_daily') }}

),

subscription_days as (

    select * from {{ ref('int_subscriptions_mrr_daily') }}

),

movements_by_day as (

    select
        date_day,
        sum(mrr) as mrr,
        sum(case when movement_type = 'new' then movement_amount end) as new_mrr,
        sum(case when movement_type = 'expansion' then movement_amount end) as expansion_mrr,
        sum(case when movement_type = 'contraction' then movement_amount end) as contraction_mrr,
        sum(case when movement_type = 'churn' then movement_amount end) as churned_mrr,
        sum(
            case when movement_type = 'reactivation' then movement_amount end
        ) as reactivation_mrr,
        count_if(mrr > 0) as paying_users,
        count_if(movement_type = 'new') as new_paying_users,
        count_if(movement_type = 'churn') as churned_users,
        count_if(movement_type = 'reactivation') as reactivated_users
    from movements
    group by date_day

),

subscriptions_by_day as (

    select
        date_day,
        count_if(mrr_amount > 0) as active_subscriptions
    from subscription_days
    group by date_day

),

final as (

    select
        days.date_day,
        cast(coalesce(movements_by_day.mrr, 0) as decimal(18, 4)) as mrr,
        cast(coalesce(movements_by_day.mrr, 0) * 12 as decimal(18, 4)) as arr,
        cast(coalesce(movements_by_day.new_mrr, 0) as decimal(18, 4)) as new_mrr,
        cast(coalesce(movements_by_day.expansion_mrr, 0) as decimal(18, 4)) as expansion_mrr,
        cast(coalesce(movements_by_day.contraction_mrr, 0) as decimal(18, 4)) as contraction_mrr,
        cast(coalesce(movements_by_day.churned_mrr, 0) as decimal(18, 4)) as churned_mrr,
        cast(
            coalesce(movements_by_day.reactivation_mrr, 0) as decimal(18, 4)
        ) as reactivation_mrr,
        cast(
            coalesce(movements_by_day.new_mrr, 0)
            + coalesce(movements_by_day.expansion_mrr, 0)
            + coalesce(movements_by_day.contraction_mrr, 0)
            + coalesce(movements_by_day.churned_mrr, 0)
            + coalesce(movements_by_day.reactivation_mrr, 0)
            as decimal(18, 4)
        ) as net_new_mrr,
        cast(coalesce(movements_by_day.paying_users, 0) as bigint) as paying_users,
        cast(coalesce(movements_by_day.new_paying_users, 0) as bigint) as new_paying_users,
        cast(coalesce(movements_by_day.churned_users, 0) as bigint) as churned_users,
        cast(coalesce(movements_by_day.reactivated_users, 0) as bigint) as reactivated_users,
        cast(
            coalesce(subscriptions_by_day.active_subscriptions, 0) as bigint
        ) as active_subscriptions
    from days
    left join movements_by_day on days.date_day = movements_by_day.date_day
    left join subscriptions_by_day on days.date_day = subscriptions_by_day.date_day

)

select * from final
