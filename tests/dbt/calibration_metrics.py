"""The calibration metrics of docs/calibration.md, computed from a built warehouse.

Every metric reads the marts (schema ``marts``) except where a mart does not carry what is needed:
"quiet for 30+ days" reads ``intermediate.int_user_activity_daily``. ``now`` is the day after the
last day of ``marts.metrics_daily`` (the simulated clock at build time).

Run it on a built warehouse (``python -m orchestration run`` or ``make run`` first)::

    uv run --locked --no-sync python tests/dbt/calibration_metrics.py data/warehouse/dev.duckdb
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

#: metric -> (low, high): the calibrated ranges (docs/calibration.md). ``None`` = not bounded.
TARGETS: dict[str, tuple[float | None, float | None]] = {
    "retention_m1": (0.30, 0.60),
    "retention_m2": (0.18, 0.50),
    "retention_m3": (0.15, 0.40),
    "dau_mau": (0.10, 0.30),
    "mau_share_of_users": (0.20, 0.60),
    "quiet_30d_share": (0.30, 0.75),
    "activation_7d": (0.25, 0.55),
    "trial_or_purchase_share": (0.05, 0.20),
    "paid_within_4_months": (0.03, 0.10),
    "trial_conversion": (0.30, 0.60),
    "paid_churn_monthly": (0.03, 0.10),
    "first_renewal_churn_monthly_plans": (0.08, 0.45),
    "later_renewal_churn_monthly_plans": (0.01, 0.15),
    "first_over_later_renewal_churn": (1.5, None),
    "weekend_dau_lift": (0.10, 0.25),
    "weekend_signup_lift": (0.10, 0.25),
    "signup_growth_last_vs_first_4_weeks": (1.3, 3.0),
    "signup_spike_ratio": (2.0, 6.0),
    "refund_rate_payments": (0.01, 0.03),
}


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def _weekend_lift(con: duckdb.DuckDBPyConnection, column: str) -> float:
    """Mean (value / centred 7-day mean) on Sat-Sun over the same on Mon-Fri, minus 1.

    Dividing by the centred weekly mean removes growth and spikes; the first 30 days are skipped
    (the app starts empty, so DAU ramps up).
    """
    return _one(
        con,
        f"""
        with daily as (
            select date_day, {column} as value,
                avg({column}) over (order by date_day rows between 3 preceding and 3 following)
                    as weekly_mean,
                count(*) over (order by date_day rows between 3 preceding and 3 following) as n
            from marts.metrics_daily
        ),
        relative as (
            select isodow(date_day) >= 6 as is_weekend, value / weekly_mean as ratio
            from daily
            where n = 7 and weekly_mean > 0
              and date_day >= (select min(date_day) + 30 from marts.metrics_daily)
        )
        select avg(ratio) filter (where is_weekend) / avg(ratio) filter (where not is_weekend) - 1
        from relative
        """,  # noqa: S608 - column names are literals of this module
    )


def measure(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Every calibration metric (fractions as 0..1) plus a few counts (``n_*``)."""
    m: dict[str, float] = {}
    now = "(select max(date_day) + 1 from marts.metrics_daily)"

    # retention by sign-up cohort (calendar months): months since sign-up 1, 2, 3
    for k in (1, 2, 3):
        low, high = con.execute(
            f"select min(retention_rate), max(retention_rate) from marts.fct_retention_cohorts "  # noqa: S608
            f"where months_since_signup = {k}"
        ).fetchone()
        m[f"retention_m{k}"] = low
        m[f"retention_m{k}_max"] = high

    # stickiness over the last 30 days; MAU on the last day against everyone who ever signed up
    m["dau_mau"] = _one(
        con,
        "select avg(dau / mau) from (select * from marts.metrics_daily "
        "order by date_day desc limit 30)",
    )
    m["mau_share_of_users"] = _one(
        con,
        "select (select mau from marts.metrics_daily order by date_day desc limit 1) "
        "/ (select count(*) from marts.dim_users)",
    )
    # users signed up 30+ days ago whose last activity is 30+ days old (from intermediate)
    m["quiet_30d_share"] = _one(
        con,
        f"""
        with last_active as (
            select user_id, max(activity_date) as last_date
            from intermediate.int_user_activity_daily where is_active group by user_id
        )
        select avg(case when coalesce(last_active.last_date, date '1900-01-01')
                        < {now} - 30 then 1 else 0 end)
        from marts.dim_users left join last_active using (user_id)
        where dim_users.signed_up_date < {now} - 30
        """,  # noqa: S608
    )

    # activation within 7 days (users whose window is complete)
    m["activation_7d"] = _one(
        con,
        "select avg(case when is_activated then 1 else 0 end) from marts.dim_users "
        "where is_activation_window_complete",
    )
    low, high = con.execute(
        "select min(rate), max(rate) from (select signup_cohort_month, "
        "avg(case when is_activated then 1 else 0 end) as rate from marts.dim_users "
        "where is_activation_window_complete group by 1)"
    ).fetchone()
    m["activation_7d_cohort_min"], m["activation_7d_cohort_max"] = low, high

    # free -> trial/purchase and free -> paid, on sign-ups observed for 60+ days (a free user
    # stops converting 45 days after sign-up and a trial lasts 14: 60 days see every conversion)
    row = con.execute(
        f"""
        select
            avg(case when first_trial_started_at is not null or first_paid_at is not null
                then 1 else 0 end),
            avg(case when first_paid_at is not null
                and first_paid_at < signed_up_at + interval 120 day then 1 else 0 end),
            count(*)
        from marts.dim_users where signed_up_date <= {now} - 60
        """  # noqa: S608
    ).fetchone()
    m["trial_or_purchase_share"], m["paid_within_4_months"], m["n_users_60d"] = row

    # trials that have ended: share converted to a paid subscription
    m["trial_conversion"], m["n_trials_ended"] = con.execute(
        f"select avg(case when is_trial_converted then 1 else 0 end), count(*) "
        f"from marts.fct_subscriptions where has_trial and trial_ended_at < {now}"  # noqa: S608
    ).fetchone()

    # paid churn: users churned in a calendar month / paying users on the month's eve, pooled over
    # the months that start with 50+ paying users (the launch months are all first renewals)
    monthly = con.execute(
        """
        with by_month as (
            select date_trunc('month', date_day) as month, sum(churned_users) as churned,
                arg_min(paying_users - new_paying_users - reactivated_users + churned_users,
                        date_day) as paying_at_start
            from marts.fct_mrr_daily group by 1
        )
        select month, churned, paying_at_start from by_month
        where paying_at_start > 0 order by month
        """
    ).fetchall()
    mature = [(churned, start) for _, churned, start in monthly if start >= 50]
    m["paid_churn_monthly"] = sum(c for c, _ in mature) / sum(s for _, s in mature)
    for month, churned, start in monthly:
        m[f"paid_churn_{month:%Y_%m}"] = churned / start
    m["n_paid_churn_months"] = len(mature)

    # renewals of monthly plans: of subscriptions whose Nth paid period ended 7+ days before now
    # (a failed renewal is retried 3 and 6 days later), the share with no (N+1)th paid invoice
    renewals = con.execute(
        f"""
        with paid as (
            select fct_invoices.subscription_id, period_end_at,
                row_number() over (partition by fct_invoices.subscription_id
                                   order by period_start_at, invoice_id) as n
            from marts.fct_invoices
            inner join marts.dim_plans using (plan_id)
            where is_paid and dim_plans.billing_interval = 'month'
        ),
        nth as (
            select p.n, p.subscription_id,
                exists (select 1 from paid q where q.subscription_id = p.subscription_id
                        and q.n = p.n + 1) as renewed
            from paid p where p.period_end_at < {now} - 7
        )
        select n = 1 as is_first, avg(case when renewed then 0 else 1 end), count(*)
        from nth group by 1 order by 1 desc
        """  # noqa: S608
    ).fetchall()
    for is_first, rate, count in renewals:
        key = "first" if is_first else "later"
        m[f"{key}_renewal_churn_monthly_plans"] = rate
        m[f"n_{key}_renewals_due"] = count
    m["first_over_later_renewal_churn"] = m["first_renewal_churn_monthly_plans"] / max(
        m["later_renewal_churn_monthly_plans"], 1e-9
    )

    # weekly rhythm, acquisition curve
    m["weekend_dau_lift"] = _weekend_lift(con, "dau")
    m["weekend_signup_lift"] = _weekend_lift(con, "signups")
    m["signup_growth_last_vs_first_4_weeks"] = _one(
        con,
        "select sum(signups) filter (where date_day >= (select max(date_day) - 27 "
        "from marts.metrics_daily)) / sum(signups) filter (where date_day < "
        "(select min(date_day) + 28 from marts.metrics_daily)) from marts.metrics_daily",
    )
    # the biggest day against the median of the 14 days before it (from day 15: the first days
    # are too small to compare)
    m["signup_spike_ratio"] = _one(
        con,
        """
        select max(signups / previous_median) from (
            select date_day, signups, median(signups) over (order by date_day
                rows between 14 preceding and 1 preceding) as previous_median
            from marts.metrics_daily
        ) where date_day >= (select min(date_day) + 14 from marts.metrics_daily)
        """,
    )
    m["paying_users_last_day"] = _one(
        con, "select paying_users from marts.fct_mrr_daily order by date_day desc limit 1"
    )

    # refunds: payments refunded / payments that succeeded (incl. those later refunded)
    m["refund_rate_payments"], m["n_refunds"] = con.execute(
        "select avg(case when payment_status = 'refunded' then 1 else 0 end), "
        "count(*) filter (where payment_status = 'refunded') "
        "from marts.fct_payments where payment_status in ('succeeded', 'refunded')"
    ).fetchone()
    # refund amounts (docs/calibration.md, "Refunds"): per invoice and payment, and by day in
    # metrics_daily (gross by paid date, refunds by refund date, net = gross - refunds)
    (
        m["invoices_gross_revenue"],
        m["invoices_refunded_revenue"],
        m["invoices_net_revenue"],
        m["n_invoices_refunded"],
        m["n_invoices_partially_refunded"],
        m["n_invoices_over_refunded"],
    ) = con.execute(
        """
        select sum(amount_paid), sum(amount_refunded), sum(amount_net),
            count(*) filter (where is_refunded),
            count(*) filter (where is_refunded and not is_fully_refunded),
            count(*) filter (where amount_refunded > amount_paid or amount_net < 0)
        from marts.fct_invoices
        """
    ).fetchone()
    (
        m["payments_gross_revenue"],
        m["payments_refunded_revenue"],
        m["n_payments_over_refunded"],
    ) = con.execute(
        "select sum(amount_paid), sum(amount_refunded), "
        "count(*) filter (where amount_refunded > amount_paid) from marts.fct_payments"
    ).fetchone()
    (
        m["gross_revenue"],
        m["refunded_revenue"],
        m["net_revenue"],
        m["n_days_net_not_gross_minus_refunds"],
        m["n_days_negative_net_revenue"],
    ) = con.execute(
        """
        select sum(gross_revenue), sum(refunded_revenue), sum(net_revenue),
            count(*) filter (where net_revenue != gross_revenue - refunded_revenue),
            count(*) filter (where net_revenue < 0)
        from marts.metrics_daily
        """
    ).fetchone()
    m["refunded_share_of_gross"] = m["refunded_revenue"] / m["gross_revenue"]

    # enough data for every chapter
    counts = con.execute(
        """
        select
            (select count(*) from marts.dim_users),
            (select min(paying_users) from marts.fct_mrr_daily
             where date_day >= (select min(date_day) + 14 from marts.fct_mrr_daily)),
            (select count(*) from marts.fct_subscriptions where has_trial),
            (select count(*) from marts.fct_subscriptions where canceled_at is not null),
            (select count(*) from marts.fct_subscriptions where has_ended and canceled_at is null),
            (select count(*) from (select subscription_id from marts.fct_invoices
                                   group by 1 having count(distinct plan_id) > 1)),
            (select count(*) from marts.fct_payments where payment_status = 'failed'),
            (select count(*) from marts.fct_payments where attempt_number > 1),
            (select sum(mrr) from marts.fct_mrr_daily
             where date_day = (select max(date_day) from marts.fct_mrr_daily)),
            (select count(*) from marts.fct_subscriptions where subscription_status = 'canceled'
             and user_id in (select user_id from marts.fct_subscriptions
                             group by 1 having count(*) > 1))
        """
    ).fetchone()
    (
        m["n_users"],
        m["n_min_paying_users"],
        m["n_trials"],
        m["n_cancellations"],
        m["n_involuntary_churn"],
        m["n_plan_changes"],
        m["n_failed_payments"],
        m["n_retries"],
        m["mrr_last_day"],
        m["n_reactivated_users_subs"],
    ) = counts
    return {k: float(v) if v is not None else float("nan") for k, v in m.items()}


def in_range(value: float, low: float, high: float | None) -> bool:
    return low <= value and (high is None or value <= high)


def report(metrics: dict[str, float]) -> str:
    lines = []
    for key, value in metrics.items():
        low, high = TARGETS.get(key, (None, None))
        target = "" if low is None else f"  target {low:g}..{'' if high is None else f'{high:g}'}"
        verdict = ""
        if low is not None:
            verdict = "  ok" if in_range(value, low, high) else "  OUT"
        lines.append(f"{key:40s} {value:10.4f}{target}{verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    with duckdb.connect(str(path), read_only=True) as connection:
        print(report(measure(connection)))
