{#-
    The MRR bridge must close every day: mrr(d) = mrr(d-1) + net_new_mrr(d), where net_new_mrr is
    the sum of the five movements (new, expansion, contraction, churn, reactivation). The day
    before the first day has no MRR. Returns the days where it does not hold.
-#}
with

mrr as (

    select * from {{ ref('fct_mrr_daily') }}

),

bridged as (

    select
        date_day,
        mrr,
        coalesce(lag(mrr) over (order by date_day), 0) as previous_mrr,
        net_new_mrr
    from mrr

)

select *
from bridged
where mrr != previous_mrr + net_new_mrr
