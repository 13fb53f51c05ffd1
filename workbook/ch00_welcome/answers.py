"""Reference answers behind chapter 00's exercise checks (reading this file spoils them).

Computed from the sources in a *different* way from the solution notebook (pandas instead of
SQL), so a check compares two independent routes to the same fact.
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
