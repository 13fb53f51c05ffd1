{#-
    Revenue by day, each amount on the day its money moved: gross on the day an invoice was paid,
    refunds on the day they were issued (not on the original charge's day), net = gross - refunds.
    A day with refunds and few payments has a negative net revenue. MRR ignores refunds (it is a
    run rate of live subscriptions); this model is where refunds count.
-#}
with

days as (

    select * from {{ ref('int_calendar_days') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

gross_by_day as (

    select
        cast(paid_at as date) as date_day,
        sum(amount_paid) as gross_revenue,
        count(*) as invoices_paid
    from invoices
    where paid_at is not null
    group by cast(paid_at as date)

),

refunds_by_day as (

    select
        cast(refunded_at as date) as date_day,
        sum(amount_refunded) as refunded_revenue,
        count(*) as invoices_refunded
    from invoices
    where refunded_at is not null
    group by cast(refunded_at as date)

),

revenue_by_day as (

    select
        days.date_day,
        cast(coalesce(gross_by_day.gross_revenue, 0) as decimal(18, 2)) as gross_revenue,
        cast(
            coalesce(refunds_by_day.refunded_revenue, 0) as decimal(18, 2)
        ) as refunded_revenue,
        cast(
            coalesce(gross_by_day.gross_revenue, 0)
            - coalesce(refunds_by_day.refunded_revenue, 0)
            as decimal(18, 2)
        ) as net_revenue,
        cast(coalesce(gross_by_day.invoices_paid, 0) as bigint) as invoices_paid,
        cast(coalesce(refunds_by_day.invoices_refunded, 0) as bigint) as invoices_refunded
    from days
    left join gross_by_day on days.date_day = gross_by_day.date_day
    left join refunds_by_day on days.date_day = refunds_by_day.date_day

)

select * from revenue_by_day
