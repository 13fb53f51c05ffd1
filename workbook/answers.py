"""Reference answers behind the exercises' check cells (reading this file spoils the exercises).

Answers that depend on the generated data (seed, scale) are computed here from the sources, on
purpose in a *different* way from the solution notebooks (pandas instead of SQL), so a check
compares two independent routes to the same fact.
"""

from __future__ import annotations

import pandas as pd

from workbook.query import query


def signups(channel: str, month: str) -> int:
    """Users created in ``month`` (``"2026-03"``, UTC) through ``channel``."""
    users = query("select signup_channel, created_at from users", database="app")
    created = pd.to_datetime(users["created_at"])
    in_month = created.dt.strftime("%Y-%m") == month
    return int(((users["signup_channel"] == channel) & in_month).sum())


def latest_load_of_user(user_id: int) -> str:
    """The ``_load_id`` of the newest version of a user in ``raw.app_users`` (raw is a log:
    newest = latest ``updated_at``, then latest ``_loaded_at``, then ``_source``)."""
    rows = query(
        "select updated_at, _loaded_at, _source, _load_id from raw.app_users where user_id = ?",
        [user_id],
    )
    newest = rows.sort_values(["updated_at", "_loaded_at", "_source"]).iloc[-1]
    return str(newest["_load_id"])


def quarantine_reasons() -> pd.DataFrame:
    """Quarantined rows per reason (columns ``reason``, ``rows``), sorted by reason."""
    quarantined = query("select reason from meta.quarantine")
    counts = quarantined.groupby("reason").size().rename("rows").reset_index()
    return counts.sort_values("reason").reset_index(drop=True)


def staging_plans(sb=None) -> pd.DataFrame:
    """What ``stg_app__plans`` must hold: one row per plan, the latest version of the raw log
    (latest ``updated_at``, then ``_loaded_at``, then ``_source``), renamed and typed.

    ``sb``: read the raw table of this sandbox (``workbook.sandbox``); the project's by default.
    """
    raw = (sb.query if sb is not None else query)("select * from raw.app_plans")
    latest = (
        raw.sort_values(["plan_id", "updated_at", "_loaded_at", "_source"])
        .groupby("plan_id", as_index=False)
        .tail(1)
    )
    months = latest["billing_interval"].map({"month": 1, "year": 12})
    frame = pd.DataFrame(
        {
            "plan_id": latest["plan_id"],
            "plan_name": latest["plan_name"],
            "plan_tier": latest["tier"],
            "billing_interval": latest["billing_interval"],
            "billing_interval_months": months.astype("int64"),
            "price_cents": latest["price_cents"].astype("int64"),
            "price_amount": (latest["price_cents"] / 100).round(2),
            "currency": latest["currency"].str.upper(),
            "is_active": latest["is_active"].astype(bool),
        }
    )
    return frame.sort_values("plan_id").reset_index(drop=True)


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
