{#-
    The metrics table: every consumer (notebooks, serving API, Dagster checks, dashboards) reads
    these columns and never recomputes them. Each metric is defined once: MRR, active users and
    revenue upstream (fct_mrr_daily, fct_active_users_daily, int_revenue_daily), lined up here by
    day; the funnel counts here, from the per-row flags dim_users and fct_subscriptions define.
-#}
with

mrr as (

    select * from {{ ref('fct_mrr_daily') }}

),

revenue as (

    select * from {{ ref('int_revenue_daily') }}

),

active_users as (

    select * from {{ ref('fct_active_users_daily') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

subscriptions as (

    select * from {{ ref('fct_subscriptions') }}

),

signups as (

    select
        signed_up_date as date_day,
        count(*) as signups
    from users
    group by signed_up_date

),

activations as (

    select
        cast(activated_at as date) as date_day,
        count(*) as activated_users
    from users
    where is_activated
    group by cast(activated_at as date)

),

trial_starts as (

    select
        cast(trial_started_at as date) as date_day,
        count(*) as trial_starts
    from subscriptions
    where has_trial
    group by cast(trial_started_at as date)

),

trial_ends as (

    select
        cast(trial_ended_at as date) as date_day,
        count(*) as trials_ended,
        count_if(is_trial_converted) as trial_conversions
    from subscriptions
    where has_trial and trial_ended_at < {{ sproutly_now() }}
    group by cast(trial_ended_at as date)

),

final as (

    select
        mrr.date_day,
        mrr.mrr,
        mrr.arr,
        mrr.new_mrr,
        mrr.expansion_mrr,
        mrr.contraction_mrr,
        mrr.churned_mrr,
        mrr.reactivation_mrr,
        mrr.net_new_mrr,
        mrr.active_subscriptions,
        mrr.paying_users,
        mrr.new_paying_users,
        mrr.churned_users,
        mrr.reactivated_users,
        revenue.gross_revenue,
        revenue.refunded_revenue,
        revenue.net_revenue,
        active_users.dau,
        active_users.wau,
        active_users.mau,
        cast(coalesce(signups.signups, 0) as bigint) as signups,
        cast(coalesce(activations.activated_users, 0) as bigint) as activated_users,
        cast(coalesce(trial_starts.trial_starts, 0) as bigint) as trial_starts,
        cast(coalesce(trial_ends.trials_ended, 0) as bigint) as trials_ended,
        cast(coalesce(trial_ends.trial_conversions, 0) as bigint) as trial_conversions,
        cast(trial_ends.trial_conversions as double)
        / cast(nullif(trial_ends.trials_ended, 0) as double) as trial_conversion_rate
    from mrr
    left join revenue on mrr.date_day = revenue.date_day
    left join active_users on mrr.date_day = active_users.date_day
    left join signups on mrr.date_day = signups.date_day
    left join activations on mrr.date_day = activations.date_day
    left join trial_starts on mrr.date_day = trial_starts.date_day
    left join trial_ends on mrr.date_day = trial_ends.date_day

)

select * from final
