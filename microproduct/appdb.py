"""The app's operational database (SQLite): ``plans``, ``users``, ``subscriptions`` (contracts §1a).

Rows are updated in place, like a real production database: the only history is ``updated_at``.
Timestamps are TEXT ``YYYY-MM-DD HH:MM:SS`` in UTC; booleans are INTEGER 0/1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PLAN_COLUMNS = (
    "plan_id",
    "plan_name",
    "tier",
    "billing_interval",
    "price_cents",
    "currency",
    "is_active",
    "created_at",
    "updated_at",
)
USER_COLUMNS = (
    "user_id",
    "email",
    "country_code",
    "timezone",
    "signup_channel",
    "created_at",
    "updated_at",
    "deleted_at",
)
SUBSCRIPTION_COLUMNS = (
    "subscription_id",
    "user_id",
    "plan_id",
    "status",
    "trial_start_at",
    "trial_end_at",
    "started_at",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "created_at",
    "updated_at",
)
TABLES = {"plans": PLAN_COLUMNS, "users": USER_COLUMNS, "subscriptions": SUBSCRIPTION_COLUMNS}

SCHEMA = """
create table if not exists plans (
    plan_id          text primary key,
    plan_name        text not null,
    tier             text not null,
    billing_interval text not null,
    price_cents      integer not null,
    currency         text not null,
    is_active        integer not null,
    created_at       text not null,
    updated_at       text not null
);
create table if not exists users (
    user_id        integer primary key,   -- plain rowid alias: no AUTOINCREMENT, ids are given
    email          text not null,
    country_code   text not null,
    timezone       text not null,
    signup_channel text not null,
    created_at     text not null,
    updated_at     text not null,
    deleted_at     text
);
create table if not exists subscriptions (
    subscription_id      integer primary key,
    user_id              integer not null references users (user_id),
    plan_id              text not null references plans (plan_id),
    status               text not null,   -- trialing, active, past_due, canceled
    trial_start_at       text,
    trial_end_at         text,
    started_at           text,
    current_period_start text,
    current_period_end   text,
    cancel_at_period_end integer not null,
    canceled_at          text,
    ended_at             text,
    created_at           text not null,
    updated_at           text not null
);
create index if not exists subscriptions_user on subscriptions (user_id);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the app DB. ``journal_mode=DELETE``: one file, no WAL sidecar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("pragma journal_mode=DELETE")
    con.executescript(SCHEMA)
    return con


def upsert(con: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    """Write whole rows (insert or replace by primary key), in the given order."""
    columns = TABLES[table]
    sql = (
        f"insert or replace into {table} ({', '.join(columns)}) "  # noqa: S608 - fixed names
        f"values ({', '.join('?' for _ in columns)})"
    )
    con.executemany(sql, [[row[c] for c in columns] for row in rows])
