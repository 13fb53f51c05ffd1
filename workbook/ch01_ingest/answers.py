"""Reference answers behind chapter 01's exercise checks (reading this file spoils them).

Computed from the sources in a *different* way from the solution notebook (pandas instead of
SQL), so a check compares two independent routes to the same fact.
"""

from __future__ import annotations

from workbook.query import query


def latest_load_of_user(user_id: int) -> str:
    """The ``_load_id`` of the newest version of a user in ``raw.app_users`` (raw is a log:
    newest = latest ``updated_at``, then latest ``_loaded_at``, then ``_source``)."""
    rows = query(
        "select updated_at, _loaded_at, _source, _load_id from raw.app_users where user_id = ?",
        [user_id],
    )
    newest = rows.sort_values(["updated_at", "_loaded_at", "_source"]).iloc[-1]
    return str(newest["_load_id"])
