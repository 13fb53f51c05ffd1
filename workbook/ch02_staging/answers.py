"""Reference answers behind chapter 02's exercise checks (reading this file spoils them).

Computed from the sources in a *different* way from the solution notebook (pandas instead of
SQL), so a check compares two independent routes to the same fact.
"""

from __future__ import annotations

import pandas as pd

from workbook.query import query


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
