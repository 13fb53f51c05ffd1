with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}
    where is_active

),

cohorts as (

    select
        user_id,
        cast(date_trunc('month', signed_up_at) as date) as cohort_month
    from users

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_users
    from cohorts
    group by cohort_month

),

calendar_months as (

    -- Every cohort x every month from its sign-up month to the current month (zeros included).
    select distinct cast(date_trunc('month', date_day) as date) as calendar_month
    from {{ ref('int_calendar_days') }}

),

cohort_months as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_users,
        {{ months_between('cohort_sizes.cohort_month', 'calendar_months.calendar_month') }}
            as months_since_signup
    from cohort_sizes
    inner join calendar_months on cohort_sizes.cohort_month <= calendar_months.calendar_month

),

active_user_months as (

    select distinct
        cohorts.cohort_month,
        cohorts.user_id,
        {{ months_between('cohorts.cohort_month', 'activity.activity_date') }}
            as months_since_signup
    from activity
    inner join cohorts on activity.user_id = cohorts.user_id
    where activity.activity_date >= cohorts.cohort_month

),

retained as (

    select
        cohort_month,
        months_since_signup,
        count(*) as retained_users
    from active_user_months
    group by cohort_month, months_since_signup

),

final as (

    select
        cohort_months.cohort_month,
        cast(cohort_months.months_since_signup as integer) as months_since_signup,
        cast(cohort_months.cohort_users as bigint) as cohort_users,
        cast(coalesce(retained.retained_users, 0) as bigint) as retained_users,
        cast(coalesce(retained.retained_users, 0) as double)
        / cast(cohort_months.cohort_users as double) as retention_rate
    from cohort_months
    left join retained
        on
            cohort_months.cohort_month = retained.cohort_month
            and cohort_months.months_since_signup = retained.months_since_signup

)

select * from final
