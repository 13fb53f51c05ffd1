"""Fixtures for the ingestion tests: tiny hand-made sources in tmp_path, and state snapshots.

Each test gets its own data folder (``SPROUTLY_DATA_DIR``), a pinned clock (``SPROUTLY_NOW``) and
a test token; nothing touches /work/main/data. Small fixtures written here make each fault case
explicit (clearer than searching generated data for one).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion import IngestionConfig

NOW = "2026-05-01 00:00:00"
TOKEN = "test-token-not-a-secret"

APP_DDL = """
create table plans (plan_id text primary key, plan_name text, tier text, billing_interval text,
    price_cents integer, currency text, is_active integer, created_at text, updated_at text);
create table users (user_id integer primary key, email text, country_code text, timezone text,
    signup_channel text, created_at text, updated_at text, deleted_at text);
create table subscriptions (subscription_id integer primary key, user_id integer, plan_id text,
    status text, trial_start_at text, trial_end_at text, started_at text,
    current_period_start text, current_period_end text, cancel_at_period_end integer,
    canceled_at text, ended_at text, created_at text, updated_at text);
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPROUTLY_NOW", NOW)
    monkeypatch.setenv("BILLING_API_TOKEN", TOKEN)
    monkeypatch.delenv("BILLING_API_URL", raising=False)
    return tmp_path / "data"


class Sleeps(list):
    """An injected ``sleep`` that records instead of sleeping (backoff tests run instantly)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def config(data_dir: Path, sleeps: Sleeps) -> Callable[..., IngestionConfig]:
    def make(**overrides) -> IngestionConfig:
        overrides.setdefault("sleep", sleeps)
        overrides.setdefault("progress", False)
        return IngestionConfig.from_env(**overrides)

    return make


# -- app database ----------------------------------------------------------------------------
def user(user_id: int, updated_at: str = "2026-04-30 10:00:00", **overrides) -> dict:
    row = {
        "user_id": user_id,
        "email": f"user{user_id}@example.com",
        "country_code": "DE",
        "timezone": "Europe/Berlin",
        "signup_channel": "organic",
        "created_at": "2026-01-02 08:00:00",
        "updated_at": updated_at,
        "deleted_at": None,
    }
    return {**row, **overrides}


def plan(plan_id: str = "basic_monthly", **overrides) -> dict:
    row = {
        "plan_id": plan_id,
        "plan_name": "Basic (monthly)",
        "tier": "basic",
        "billing_interval": "month",
        "price_cents": 499,
        "currency": "USD",
        "is_active": 1,
        "created_at": "2026-01-01 00:00:00",
        "updated_at": "2026-01-01 00:00:00",
    }
    return {**row, **overrides}


def subscription(subscription_id: int, user_id: int, **overrides) -> dict:
    row = {
        "subscription_id": subscription_id,
        "user_id": user_id,
        "plan_id": "basic_monthly",
        "status": "active",
        "trial_start_at": None,
        "trial_end_at": None,
        "started_at": "2026-02-01 00:00:00",
        "current_period_start": "2026-04-01 00:00:00",
        "current_period_end": "2026-05-01 00:00:00",
        "cancel_at_period_end": 0,
        "canceled_at": None,
        "ended_at": None,
        "created_at": "2026-02-01 00:00:00",
        "updated_at": "2026-04-01 00:00:00",
    }
    return {**row, **overrides}


def put_rows(db: Path, table: str, rows: list[dict]) -> None:
    """Insert or replace rows in the hand-made app database (creating it if needed)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db)
    try:
        if not con.execute("select 1 from sqlite_master where name = 'users'").fetchall():
            con.executescript(APP_DDL)
        for row in rows:
            cols = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            con.execute(
                f"insert or replace into {table} ({cols}) values ({marks})", list(row.values())
            )
        con.commit()
    finally:
        con.close()


@pytest.fixture
def app_db(data_dir: Path) -> Path:
    """A small app database: 1 plan, 3 users, 2 subscriptions."""
    db = data_dir / "sources" / "app.db"
    put_rows(db, "plans", [plan()])
    put_rows(db, "users", [user(1), user(2), user(3, "2026-04-30 11:00:00")])
    put_rows(db, "subscriptions", [subscription(10, 1), subscription(11, 2)])
    return db


# -- event files -------------------------------------------------------------------------------
def event(i: int, **overrides) -> dict:
    row = {
        "event_id": f"{i:032x}",
        "event_type": "app_opened",
        "user_id": i % 7 + 1,
        "occurred_at": "2026-04-29T10:00:00+02:00",
        "received_at": "2026-04-29T08:00:05Z",
        "platform": "ios",
        "app_version": "3.4.1",
        "properties": {},
    }
    return {**row, **overrides}


def write_events(data_dir: Path, day: date, name: str, lines: list[dict | str]) -> Path:
    """One JSONL drop; ``str`` items are written verbatim (for malformed lines)."""
    folder = data_dir / "sources" / "landing" / "events" / f"date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = "".join(
        (x if isinstance(x, str) else json.dumps(x, sort_keys=True)) + "\n" for x in lines
    )
    path.write_text(text)
    return path


# -- state snapshots ---------------------------------------------------------------------------
SNAPSHOT_TABLES = (
    "raw.app_plans",
    "raw.app_users",
    "raw.app_subscriptions",
    "raw.billing_invoices",
    "raw.billing_payments",
    "raw.events",
    "meta.quarantine",
    "meta.file_manifest",
    "meta.schema_changes",
)


def snapshot(warehouse: Path) -> dict[str, tuple]:
    """Row count and content hash of every raw/meta table that exists (meta.loads excluded:
    every attempt, even a no-op, is logged there on purpose)."""
    if not warehouse.exists():
        return {}
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for name in SNAPSHOT_TABLES:
            if name in existing:
                out[name] = con.execute(f"select count(*), sum(hash(t)) from {name} t").fetchall()[
                    0
                ]
    return out


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def offered_equals_stored(warehouse: Path, load_ids: list[str] | None = None) -> None:
    """The invariant over committed loads: offered = rows in raw + rows in quarantine.

    ``load_ids``: only these loads (a full refresh or backfill deletes earlier loads' rows)."""
    loads = query(
        warehouse,
        "select load_id, source, entity, rows_offered, rows_loaded, rows_quarantined "
        "from meta.loads where status <> 'failed'",
    )
    if load_ids is not None:
        loads = [row for row in loads if row[0] in load_ids]
        assert len(loads) == len(load_ids)
    tables = {s: t for s, t in (("app", "app_"), ("billing", "billing_"), ("events", ""))}
    for load_id, source, entity, offered, loaded, quarantined in loads:
        table = f"raw.{tables[source]}{entity}"
        in_raw = query(warehouse, f"select count(*) from {table} where _load_id = ?", [load_id])
        in_q = query(warehouse, "select count(*) from meta.quarantine where load_id = ?", [load_id])
        assert (loaded, quarantined) == (in_raw[0][0], in_q[0][0]), load_id
        assert offered == loaded + quarantined, load_id
