"""Reference answers behind chapter 03's exercises (reading this file spoils them).

Computed with pandas from the sandbox's staging models, a different route from the dbt models
the learner writes, so a check compares two independent routes to the same rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox

#: A payment that went through (a refunded one was paid first).
PAID = ("succeeded", "refunded")


def first_paid(sb: Sandbox) -> pd.DataFrame:
    """What ``int_users_first_paid`` must hold: one row per user with a payment that went
    through; ``first_paid_at`` (earliest ``attempted_at``), ``paid_payments``."""
    payments = sb.query(
        "select user_id, payment_status, attempted_at from staging.stg_billing__payments"
    )
    paid = payments[payments["payment_status"].isin(PAID)]
    grouped = paid.groupby("user_id")["attempted_at"]
    frame = pd.DataFrame({"first_paid_at": grouped.min(), "paid_payments": grouped.size()})
    return frame.astype({"paid_payments": "int64"}).reset_index()


def conversion_monthly(sb: Sandbox) -> pd.DataFrame:
    """What ``fct_conversion_monthly`` must hold: one row per sign-up month."""
    users = sb.query("select user_id, signed_up_at from staging.stg_app__users")
    users["signup_month"] = pd.to_datetime(users["signed_up_at"]).dt.to_period("M").dt.start_time
    users["converted"] = users["user_id"].isin(first_paid(sb)["user_id"])
    grouped = users.groupby("signup_month")
    frame = pd.DataFrame(
        {"signups": grouped.size(), "converted_users": grouped["converted"].sum()}
    ).astype("int64")
    frame["conversion_rate"] = frame["converted_users"] / frame["signups"]
    frame = frame.reset_index()
    frame["signup_month"] = frame["signup_month"].dt.date
    return frame
