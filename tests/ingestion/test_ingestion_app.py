"""App database: incremental cursor with lookback, dedupe, full refresh, empty extracts."""

from __future__ import annotations

import pytest
from ingestion_fixtures import (
    offered_equals_stored,
    put_rows,
    query,
    snapshot,
    subscription,
    user,
)

from ingestion import load


def test_incremental_appends_new_versions_and_lookback_adds_nothing(app_db, config):
    cfg = config()
    results = {r.entity: r for r in load("app", config=cfg)}
    assert {e: r.rows_loaded for e, r in results.items()} == {
        "plans": 1,
        "users": 3,
        "subscriptions": 2,
    }
    assert results["users"].cursor_after == "2026-04-30 11:00:00"
    wh = cfg.warehouse_path
    assert query(wh, "select distinct _source from raw.app_users") == [("app.db:users",)]

    # user 2 changes inside the lookback window; users 1 (10:00) and 3 (11:00) are re-read
    put_rows(app_db, "users", [user(2, "2026-04-30 10:30:00", email="new@example.com")])
    results = {r.entity: r for r in load("app", config=cfg)}

    users = results["users"]
    assert (users.rows_offered, users.rows_loaded, users.status) == (1, 1, "success")
    assert users.cursor_before == "2026-04-30 11:00:00"
    assert "2 row(s) re-read in the lookback window were already loaded" in users.message
    versions = query(wh, "select email from raw.app_users where user_id = 2 order by updated_at")
    assert versions == [("user2@example.com",), ("new@example.com",)]  # raw is a log
    offered_equals_stored(wh)
    before = snapshot(wh)
    assert all(r.status == "noop" for r in load("app", config=cfg))
    assert snapshot(wh) == before


def test_types_follow_the_contract(app_db, config):
    cfg = config()
    load("app", config=cfg)
    types = dict(
        query(
            cfg.warehouse_path,
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'app_subscriptions'",
        )
    )
    assert types["subscription_id"] == "BIGINT"
    assert types["cancel_at_period_end"] == "BOOLEAN"
    assert types["current_period_end"] == "TIMESTAMP"
    assert types["_loaded_at"] == "TIMESTAMP"
    row = query(
        cfg.warehouse_path,
        "select cancel_at_period_end, current_period_end::varchar, _loaded_at::varchar, _load_id "
        "from raw.app_subscriptions where subscription_id = 10",
    )
    assert row == [
        (
            False,
            "2026-05-01 00:00:00",
            "2026-05-01 00:00:00",
            "app_subscriptions-20260501T000000-0001",
        )
    ]


def test_bad_app_row_is_quarantined_once(app_db, config):
    put_rows(app_db, "subscriptions", [subscription(12, 3, cancel_at_period_end=7)])
    cfg = config(reject_ratio=0.5)
    (sub,) = [r for r in load("app", config=cfg) if r.entity == "subscriptions"]
    assert (sub.rows_offered, sub.rows_loaded, sub.rows_quarantined) == (3, 2, 1)
    (row,) = query(cfg.warehouse_path, "select location, reason from meta.quarantine")
    assert row[0].startswith("app.db:subscriptions rowid=")
    assert row[1] == "cancel_at_period_end: 7 is not a valid BOOLEAN"
    before = snapshot(cfg.warehouse_path)
    load("app", config=cfg)  # the bad row is re-read in the lookback window: not quarantined twice
    assert snapshot(cfg.warehouse_path) == before


def test_fault_03_empty_full_refresh_refuses_to_replace(app_db, config):
    cfg = config()
    load("app", config=cfg)
    put_rows(app_db, "users", [user(4, "2026-04-30 12:00:00")])
    results = {r.entity: r for r in load("app", config=cfg, full_refresh=True)}
    offered_equals_stored(cfg.warehouse_path, [r.load_id for r in results.values()])
    assert results["users"].strategy == "full_refresh"
    assert results["users"].rows_loaded == 4
    assert query(cfg.warehouse_path, "select count(*) from raw.app_users") == [(4,)]
    before = snapshot(cfg.warehouse_path)

    import sqlite3

    with sqlite3.connect(app_db) as con:
        con.execute("delete from users")
    results = {r.entity: r for r in load("app", config=cfg, full_refresh=True)}

    users = results["users"]
    assert users.status == "warn"
    assert "refused: the extract is empty and would replace 4 existing row(s)" in users.message
    assert query(cfg.warehouse_path, "select count(*) from raw.app_users") == [(4,)]
    assert snapshot(cfg.warehouse_path)["raw.app_users"] == before["raw.app_users"]
    assert (users.rows_offered, users.rows_loaded, users.rows_quarantined) == (0, 0, 0)


def test_fault_03_events_full_refresh_without_files_keeps_rows(data_dir, config):
    from datetime import date

    from ingestion_fixtures import event, write_events

    path = write_events(data_dir, date(2026, 4, 30), "a.jsonl", [event(1), event(2)])
    cfg = config()
    load("events", config=cfg)
    path.unlink()
    before = snapshot(cfg.warehouse_path)

    (result,) = load("events", config=cfg, full_refresh=True)

    assert result.status == "warn"
    assert snapshot(cfg.warehouse_path) == before


def test_missing_app_db_fails_with_its_path(data_dir, config):
    from ingestion import LoadFailed

    with pytest.raises(LoadFailed, match="No app database at .*app.db"):
        load("app", config=config())
