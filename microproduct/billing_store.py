"""The billing system's backing store: a small SQLite file with ``invoices`` and ``payments``.

The pipeline never opens this file. It reaches billing only through the HTTP API in
:mod:`microproduct.billing_api`, exactly like a real company reaches Stripe or Chargebee. The
simulator writes the store; the API reads it (read-only, per request).

Every timestamp is stored already in the API's wire format, ISO-8601 UTC with a ``Z``
(``2026-01-05T09:12:44Z``). A fixed-width format sorts as text in time order, so the API can page
``ORDER BY updated_at, id`` without parsing anything. Money is integer cents.

Tests of other rooms can build a tiny store by hand with :func:`create_store`, :func:`put_invoice`
and :func:`put_payment` (clearer than hunting for a case in generated data).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

INVOICE_COLUMNS: tuple[str, ...] = (
    "invoice_id",
    "subscription_id",
    "user_id",
    "plan_id",
    "status",
    "currency",
    "amount_due_cents",
    "amount_paid_cents",
    "amount_refunded_cents",
    "period_start",
    "period_end",
    "issued_at",
    "paid_at",
    "refunded_at",
    "updated_at",
)
PAYMENT_COLUMNS: tuple[str, ...] = (
    "payment_id",
    "invoice_id",
    "user_id",
    "amount_cents",
    "amount_refunded_cents",
    "currency",
    "status",
    "failure_code",
    "attempted_at",
    "refunded_at",
    "updated_at",
)
#: columns a hand-built row may leave out (rows made before refunds were recorded on invoices)
DEFAULTS: dict[str, Any] = {"amount_refunded_cents": 0, "refunded_at": None}
#: endpoint name -> (table, primary key column, columns in API order)
ENTITIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "invoices": ("invoices", "invoice_id", INVOICE_COLUMNS),
    "payments": ("payments", "payment_id", PAYMENT_COLUMNS),
}

SCHEMA = """
create table if not exists invoices (
    invoice_id        text primary key,   -- in_000000123
    subscription_id   integer not null,
    user_id           integer not null,
    plan_id           text not null,
    status            text not null,      -- open, paid, void, uncollectible
    currency          text not null,
    amount_due_cents  integer not null,
    amount_paid_cents integer not null,
    amount_refunded_cents integer not null default 0,  -- full or partial refund of the payment
    period_start      text not null,
    period_end        text not null,
    issued_at         text not null,
    paid_at           text,
    refunded_at       text,               -- when the (last) refund was issued
    updated_at        text not null
);
create index if not exists invoices_updated on invoices (updated_at, invoice_id);
create table if not exists payments (
    payment_id    text primary key,       -- py_000000456
    invoice_id    text not null,
    user_id       integer not null,
    amount_cents  integer not null,
    amount_refunded_cents integer not null default 0,
    currency      text not null,
    status        text not null,          -- succeeded, failed, refunded (in full or in part)
    failure_code  text,                   -- card_declined, insufficient_funds, expired_card
    attempted_at  text not null,
    refunded_at   text,
    updated_at    text not null
);
create index if not exists payments_updated on payments (updated_at, payment_id);
"""


def iso_z(moment: datetime) -> str:
    """Format a naive-UTC datetime the way the billing API does: ``2026-01-05T09:12:44Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def invoice_id(number: int) -> str:
    return f"in_{number:09d}"


def payment_id(number: int) -> str:
    return f"py_{number:09d}"


def create_store(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) a billing store and return a read-write connection.

    ``journal_mode=DELETE`` keeps the store a single self-contained file (no ``-wal`` sidecar), so
    two runs with the same seed produce byte-identical files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("pragma journal_mode=DELETE")
    con.executescript(SCHEMA)
    _add_refund_columns(con)
    return con


def _add_refund_columns(con: sqlite3.Connection) -> None:
    """A store written before refunds were recorded on invoices gains the columns (and keeps its
    rows: no refund recorded, ``amount_refunded_cents`` 0)."""
    for table, column, definition in (
        ("invoices", "amount_refunded_cents", "integer not null default 0"),
        ("invoices", "refunded_at", "text"),
        ("payments", "amount_refunded_cents", "integer not null default 0"),
    ):
        existing = {row[1] for row in con.execute(f"pragma table_info({table})")}
        if column not in existing:
            con.execute(f"alter table {table} add column {column} {definition}")
    con.commit()


def _upsert(con: sqlite3.Connection, table: str, columns: tuple[str, ...], row: Mapping) -> None:
    row = {**{c: v for c, v in DEFAULTS.items() if c in columns}, **row}
    missing = [c for c in columns if c not in row]
    if missing:
        raise ValueError(f"{table} row lacks columns {missing}")
    placeholders = ", ".join("?" for _ in columns)
    con.execute(
        f"insert or replace into {table} ({', '.join(columns)}) values ({placeholders})",  # noqa: S608 - fixed names
        [row[c] for c in columns],
    )


def put_invoice(con: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Insert or replace one invoice (a dict with every column of :data:`INVOICE_COLUMNS`)."""
    _upsert(con, "invoices", INVOICE_COLUMNS, row)


def put_payment(con: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Insert or replace one payment (a dict with every column of :data:`PAYMENT_COLUMNS`)."""
    _upsert(con, "payments", PAYMENT_COLUMNS, row)
