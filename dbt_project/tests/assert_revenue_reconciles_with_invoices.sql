{#-
    Revenue in metrics_daily adds up to the invoices, to the cent: over the days it covers, the sum
    of gross_revenue is the amount_paid of the invoices paid on those days, the sum of
    refunded_revenue the amount_refunded of the invoices refunded on those days, and the sum of
    net_revenue is gross - refunds. Returns one row when any of them differs by a cent or more.
    Portable SQL (no aggregate FILTER clause: Snowflake has none).
-#}
{#- Dagster reports this test as a check of the metrics table (it reads two models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'metrics_daily'}}}) }}

with

metrics as (

    select * from {{ ref('metrics_daily') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

covered as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day,
        sum(gross_revenue) as gross_revenue,
        sum(refunded_revenue) as refunded_revenue,
        sum(net_revenue) as net_revenue
    from metrics

),

invoiced as (

    select
        sum(
            case
                when invoices.paid_date between covered.first_day and covered.last_day
                    then invoices.amount_paid
                else 0
            end
        ) as gross_revenue,
        sum(
            case
                when invoices.refunded_date between covered.first_day and covered.last_day
                    then invoices.amount_refunded
                else 0
            end
        ) as refunded_revenue
    from invoices
    cross join covered

),

compared as (

    select
        covered.gross_revenue,
        invoiced.gross_revenue as invoiced_gross_revenue,
        covered.refunded_revenue,
        invoiced.refunded_revenue as invoiced_refunded_revenue,
        covered.net_revenue
    from covered
    cross join invoiced

)

select *
from compared
where
    round(gross_revenue, 2) != round(invoiced_gross_revenue, 2)
    or round(refunded_revenue, 2) != round(invoiced_refunded_revenue, 2)
    or round(net_revenue, 2) != round(gross_revenue - refunded_revenue, 2)
