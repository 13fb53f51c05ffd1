"""Reference answers behind chapter 03's exercise checks (reading this file spoils them).

Computed from the sources in a *different* way from the solution notebook (pandas instead of
SQL), so a check compares two independent routes to the same fact.
"""

from __future__ import annotations

import pandas as pd


def arpu_daily(sb) -> pd.DataFrame:
    """ARPU per day (``date_day``, ``arpu``) = MRR / paying users, NaN on days nobody pays.

    Computed from the sandbox's ``fct_mrr_daily`` in pandas (not from ``metrics_daily``)."""
    daily = sb.query("select date_day, mrr, paying_users from marts.fct_mrr_daily")
    paying = daily["paying_users"].astype(float)
    arpu = daily["mrr"].astype(float) / paying.where(paying > 0)
    return pd.DataFrame({"date_day": daily["date_day"], "arpu": arpu})


def mrr_monthly(sb) -> pd.DataFrame:
    """What ``fct_mrr_monthly`` must hold, one row per month (``month_start``): MRR on the
    month's last day, the month's net new MRR and sign-ups.

    Computed from the sandbox's ``fct_mrr_daily`` and ``dim_users`` in pandas."""
    daily = sb.query("select date_day, mrr, net_new_mrr from marts.fct_mrr_daily")
    daily["month_start"] = pd.to_datetime(daily["date_day"]).dt.to_period("M").dt.start_time
    daily = daily.sort_values("date_day")
    months = daily.groupby("month_start").agg(
        end_of_month_mrr=("mrr", "last"), net_new_mrr=("net_new_mrr", "sum")
    )
    users = sb.query("select signed_up_date from marts.dim_users")
    signup_months = pd.to_datetime(users["signed_up_date"]).dt.to_period("M").dt.start_time
    months["signups"] = signup_months.value_counts().reindex(months.index).fillna(0)
    months = months.astype({"end_of_month_mrr": float, "net_new_mrr": float, "signups": "int64"})
    return months.reset_index()
