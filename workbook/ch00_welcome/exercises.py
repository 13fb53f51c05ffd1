"""Reference answers behind chapter 00's exercises (reading this file spoils them).

Computed from the sources in a *different* way from the solution notebook (pandas instead of
SQL), so a check compares two independent routes to the same fact.
"""

from __future__ import annotations

import pandas as pd

from workbook.query import query


def signups_by_channel(month: str) -> pd.DataFrame:
    """Users created in ``month`` (``"2026-03"``, UTC) per ``signup_channel``: columns
    ``signup_channel``, ``signups`` (channels without a sign-up that month are left out)."""
    users = query("select signup_channel, created_at from users", database="app")
    in_month = users[pd.to_datetime(users["created_at"]).dt.strftime("%Y-%m") == month]
    counts = in_month.groupby("signup_channel").size().rename("signups").reset_index()
    return counts.astype({"signups": "int64"}).sort_values("signup_channel", ignore_index=True)
